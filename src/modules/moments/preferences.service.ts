import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { SUPPORTED_LOCALES, type Locale } from '../../platform/localized.js';
import { MOMENT_POLICIES } from './kinds.js';
import { MemberMessagingPreference, MomentKind } from './moment.entity.js';
import { hhmmOf, minutesOfDay } from './quiet-hours.js';

/** A member's messaging preferences as they apply (the program's defaults where the member chose nothing). */
export interface MessagingPreferencesView {
  locale: Locale;
  /** False: the locale is the program's default, not the member's choice. */
  localeChosen: boolean;
  optOut: MomentKind[];
  marketingOptOut: boolean;
  /** The quiet hours that apply (null: none), `HH:MM` in the program time zone. */
  quietHours: { start: string; end: string; timeZone: string } | null;
  /** True: the member's own quiet hours, not the program's. */
  quietHoursChosen: boolean;
  /** Kinds the member would hear about (not opted out, directly or as marketing). */
  receiving: MomentKind[];
}

/** What a member changes; a field left out is kept, a null one goes back to the program's default. */
export interface MessagingPreferencesChange {
  locale?: string | null;
  optOut?: readonly MomentKind[] | null;
  marketingOptOut?: boolean | null;
  quietHours?: { start: string; end: string } | null;
}

/** Members' messaging preferences: the only code that writes `member_messaging_preference`. */
export class MessagingPreferencesService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'moments' | 'timeZone'>,
  ) {}

  async get(memberId: string): Promise<MessagingPreferencesView> {
    const row = await this.em.findOne(MemberMessagingPreference, { member: memberId }, { refresh: true });
    return this.view(row);
  }

  /** Changes what was given, every problem reported together; nothing changes when any is invalid. */
  async set(memberId: string, change: MessagingPreferencesChange): Promise<MessagingPreferencesView> {
    const start = change.quietHours ? minutesOfDay(change.quietHours.start) : null;
    const end = change.quietHours ? minutesOfDay(change.quietHours.end) : null;
    new InputValidator()
      .check(change.locale == null || SUPPORTED_LOCALES.includes(change.locale as Locale), 'locale', `must be one of ${SUPPORTED_LOCALES.join(', ')}`)
      .check(!change.quietHours || start !== null, 'quietHours.start', 'must be HH:MM (00:00 to 23:59)')
      .check(!change.quietHours || end !== null, 'quietHours.end', 'must be HH:MM (00:00 to 23:59)')
      .throwIfInvalid();
    await this.em.transactional(async (tx) => {
      const [current] = await tx.execute<{ locale: string | null; opt_out: string[]; marketing_opt_out: boolean; quiet_start: number | null; quiet_end: number | null }[]>(
        `select locale, opt_out, marketing_opt_out, quiet_start, quiet_end from member_messaging_preference where member_id = ? for update`,
        [memberId],
      );
      const keep = <T>(given: T | null | undefined, kept: T, reset: T): T => (given === undefined ? kept : given === null ? reset : given);
      const optOut = keep(change.optOut, (current?.opt_out ?? []) as MomentKind[], []);
      const quiet = change.quietHours === undefined ? [current?.quiet_start ?? null, current?.quiet_end ?? null] : change.quietHours === null ? [null, null] : [start, end];
      await tx.execute(
        `insert into member_messaging_preference (member_id, locale, opt_out, marketing_opt_out, quiet_start, quiet_end, updated_at)
         values (?, ?, ?::text[], ?, ?, ?, now())
         on conflict (member_id) do update set locale = excluded.locale, opt_out = excluded.opt_out, marketing_opt_out = excluded.marketing_opt_out,
           quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, updated_at = excluded.updated_at`,
        [
          memberId,
          keep(change.locale, current?.locale ?? null, null),
          `{${[...new Set(optOut)].sort().join(',')}}`,
          keep(change.marketingOptOut, current?.marketing_opt_out ?? false, false),
          quiet[0],
          quiet[1],
        ],
      );
    });
    return this.get(memberId);
  }

  private view(row: MemberMessagingPreference | null): MessagingPreferencesView {
    const settings = this.deps.moments;
    const chosenLocale = SUPPORTED_LOCALES.find((l) => l === row?.locale);
    const ownQuiet = row?.quietStart != null && row.quietEnd != null;
    const window = ownQuiet ? (row!.quietStart === row!.quietEnd ? null : { start: row!.quietStart!, end: row!.quietEnd! }) : settings.quietHours;
    const optOut = Object.values(MomentKind).filter((kind) => row?.optOut.includes(kind));
    const marketingOptOut = row?.marketingOptOut ?? false;
    return {
      locale: chosenLocale ?? settings.defaultLocale,
      localeChosen: chosenLocale !== undefined,
      optOut,
      marketingOptOut,
      quietHours: window ? { start: hhmmOf(window.start), end: hhmmOf(window.end), timeZone: this.deps.timeZone } : null,
      quietHoursChosen: ownQuiet,
      receiving: Object.values(MomentKind).filter((kind) => !optOut.includes(kind) && !(marketingOptOut && MOMENT_POLICIES[kind].marketing)),
    };
  }
}
