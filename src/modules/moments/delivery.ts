import type { EntityManager } from '@mikro-orm/postgresql';
import type { MessagingProvider, SendResult } from '../../../messaging/sdk/index.js';
import type { AppDependencies } from '../../platform/context.js';
import { SUPPORTED_LOCALES, type Locale } from '../../platform/localized.js';
import type { Logger } from '../../platform/logger.js';
import type { DueWork, DueWorkScope } from '../../platform/module.js';
import { decide, retryDelayMs, type MemberMessaging } from './delivery-rules.js';
import { withinCap } from './frequency-cap.js';
import { MOMENT_POLICIES } from './kinds.js';
import { MomentSkipReason, MomentStatus, type MomentKind } from './moment.entity.js';
import { MomentRenderError, renderMoment } from './templates.js';

/** A claimed moment stays invisible to other workers this long (a worker that dies leaves it to the next). */
const LEASE_MS = 5 * 60_000;
/** The window of the frequency cap. */
const CAP_WINDOW_MS = 24 * 3_600_000;

interface ClaimedMoment {
  id: string;
  member_id: string;
  kind: MomentKind;
  occurred_at: Date;
  data: Record<string, unknown>;
  /** Sends so far, this claim included. */
  attempts: number;
}

/** Who a member is to the messaging provider: their pseudonym for it (an openid-like id), never their member id. */
export function messagingRecipient(pseudonyms: AppDependencies['pseudonyms'], providerName: string, memberId: string): string {
  return pseudonyms.forPartner(memberId, `messaging-${providerName}`);
}

/**
 * Delivery of members' moments through the messaging provider, as due work: each member's
 * moments go out one after another (only the first due one of a member can be claimed, and
 * none while another of theirs is held), claimed under `SKIP LOCKED` with a lease, so
 * several workers never send one twice nor two at once to one member. A process without a
 * messaging provider delivers none (they wait for one that has it).
 */
export const momentDueWork: DueWork = {
  name: 'member-moments',

  async nextDue(em: EntityManager, clockId: string | null, deps?: AppDependencies): Promise<Date | null> {
    if (!deps?.messaging) return null;
    // A member's moments wait while one of theirs is held by a worker (a lease a dead worker left runs out first).
    const [row] = await em.execute<{ due: Date | null }[]>(
      `select min(greatest(m.deliver_at, (select max(f.leased_until) from member_moment f where f.member_id = m.member_id and f.leased_until is not null))) as due
       from member_moment m where ${clockId ? 'm.test_clock_id = ?' : 'm.test_clock_id is null'} and m.deliver_at is not null`,
      clockId ? [clockId] : [],
    );
    return row?.due ? new Date(row.due) : null;
  },

  async runDue(scope: DueWorkScope): Promise<number> {
    const provider = scope.deps.messaging;
    if (!provider) return 0;
    let ran = 0;
    for (const head of await claim(scope.em, scope.now, scope.clockId, scope.limit)) {
      // The member's next moments, one after another, while they are due.
      for (let moment: ClaimedMoment | undefined = head; moment; [moment] = await claim(scope.em, scope.now, scope.clockId, 1, moment.member_id)) {
        await deliver(scope, provider, moment);
        ran++;
      }
    }
    return ran;
  },
};

/**
 * Takes due moments under a lease, at most one per member: a moment is taken only when it is
 * the first of its member's due moments (in the order they were recorded), so workers claiming
 * at once all aim at the same one and `SKIP LOCKED` gives it to one of them; and only when none
 * of the member's is held by a worker (a claim committed earlier). The attempt is counted in the
 * same committed statement.
 */
async function claim(em: EntityManager, now: Date, clockId: string | null, limit: number, memberId?: string): Promise<ClaimedMoment[]> {
  const lease = new Date(now.getTime() + LEASE_MS);
  const rows = await em.execute<ClaimedMoment[]>(
    `update member_moment set deliver_at = ?, leased_until = ?, attempts = attempts + 1
     where id in (
       select m.id from member_moment m
       where ${clockId ? 'm.test_clock_id = ?' : 'm.test_clock_id is null'} and m.deliver_at is not null and m.deliver_at <= ?
         ${memberId ? 'and m.member_id = ?' : ''}
         and not exists (
           select 1 from member_moment e
           where e.member_id = m.member_id and e.deliver_at <= ? and (e.created_at, e.id) < (m.created_at, m.id))
         and not exists (select 1 from member_moment f where f.member_id = m.member_id and f.leased_until > ?)
       order by m.deliver_at
       limit ?
       for update of m skip locked)
     returning id, member_id, kind, occurred_at, data, attempts`,
    [lease, lease, ...(clockId ? [clockId] : []), now, ...(memberId ? [memberId] : []), now, now, limit],
  );
  return rows.map((r) => ({ ...r, occurred_at: new Date(r.occurred_at) }));
}

interface MemberRow {
  erased_at: Date | null;
  locale: string | null;
  opt_out: string[] | null;
  marketing_opt_out: boolean | null;
  quiet_start: number | null;
  quiet_end: number | null;
}

async function memberMessaging(em: EntityManager, memberId: string): Promise<MemberMessaging & { locale: string | null }> {
  const [row] = await em.execute<MemberRow[]>(
    `select m.erased_at, p.locale, p.opt_out, p.marketing_opt_out, p.quiet_start, p.quiet_end
     from member m left join member_messaging_preference p on p.member_id = m.id where m.id = ?`,
    [memberId],
  );
  return {
    erased: !row || row.erased_at !== null,
    locale: row?.locale ?? null,
    optOut: row?.opt_out ?? [],
    marketingOptOut: row?.marketing_opt_out ?? false,
    ...(row?.quiet_start != null && row.quiet_end != null ? { quietHours: row.quiet_start === row.quiet_end ? null : { start: row.quiet_start, end: row.quiet_end } } : {}),
  };
}

/** The end of one moment's claim: what became of it. */
type Settled =
  | { status: MomentStatus.SENT; providerMessageId: string | null }
  | { status: MomentStatus.SKIPPED; reason: MomentSkipReason; error?: string; sent: boolean }
  | { status: MomentStatus.DEFERRED; until: Date }
  | { status: MomentStatus.PENDING | MomentStatus.FAILED; retryAt: Date | null; error: string };

async function deliver(scope: DueWorkScope, provider: MessagingProvider, moment: ClaimedMoment): Promise<void> {
  const { em, now, deps } = scope;
  const settings = deps.moments;
  const member = await memberMessaging(em, moment.member_id);
  const due = { kind: moment.kind, occurredAt: moment.occurred_at, data: moment.data };
  let decision = decide(due, member, now, settings, deps.timeZone);
  if (decision.action === 'SEND' && !MOMENT_POLICIES[moment.kind].uncapped && settings.frequencyCap > 0) {
    decision = await underCap(em, moment, member, now, scope) ? decision : { action: 'SKIP', reason: MomentSkipReason.FREQUENCY_CAP };
  }
  if (decision.action === 'SKIP') return settle(em, moment, now, { status: MomentStatus.SKIPPED, reason: decision.reason, sent: false });
  if (decision.action === 'DEFER') return settle(em, moment, now, { status: MomentStatus.DEFERRED, until: decision.until });

  const locale: Locale = SUPPORTED_LOCALES.includes(member.locale as Locale) ? (member.locale as Locale) : settings.defaultLocale;
  const template = settings.templates[moment.kind]!;
  let fields: Record<string, string>;
  try {
    fields = renderMoment(moment.kind, moment.data, moment.occurred_at, locale, deps.timeZone);
  } catch (error) {
    if (!(error instanceof MomentRenderError)) throw error;
    scope.logger.error({ momentId: moment.id, kind: moment.kind, err: error }, 'moment data cannot be rendered; skipped');
    return settle(em, moment, now, { status: MomentStatus.SKIPPED, reason: MomentSkipReason.INVALID_MESSAGE, error: error.message, sent: false });
  }
  await em.execute(`update member_moment set locale = ?, template = ? where id = ?`, [locale, template, moment.id]);
  const link = settings.links[moment.kind];
  const result = await send(provider, {
    messageId: moment.id,
    recipient: messagingRecipient(deps.pseudonyms, provider.name, moment.member_id),
    template,
    locale,
    fields,
    ...(link ? { link } : {}),
  });
  await settle(em, moment, now, outcome(result, moment, now, settings.maxAttempts, scope.logger), provider.name);
}

/** Whether the moment fits under the member's cap beside the others due for them now (by priority). */
async function underCap(em: EntityManager, moment: ClaimedMoment, member: MemberMessaging, now: Date, scope: DueWorkScope): Promise<boolean> {
  const [{ sent } = { sent: 0 }] = await em.execute<{ sent: number }[]>(
    `select count(*)::int as sent from member_moment where member_id = ? and status = 'SENT' and sent_at > ?`,
    [moment.member_id, new Date(now.getTime() - CAP_WINDOW_MS)],
  );
  const others = await em.execute<{ id: string; kind: MomentKind; occurred_at: Date; data: Record<string, unknown> }[]>(
    `select id, kind, occurred_at, data from member_moment where member_id = ? and id <> ? and deliver_at is not null and deliver_at <= ?`,
    [moment.member_id, moment.id, now],
  );
  // Only those that would go out now compete for what is left.
  const competing = others
    .map((o) => ({ id: o.id, kind: o.kind, occurredAt: new Date(o.occurred_at), data: o.data }))
    .filter((o) => decide(o, member, now, scope.deps.moments, scope.deps.timeZone).action === 'SEND');
  return withinCap([{ id: moment.id, kind: moment.kind, occurredAt: moment.occurred_at }, ...competing], sent, scope.deps.moments.frequencyCap).has(moment.id);
}

/** The provider's send; one that throws (an adapter's bug) is a retry, like an unreadable answer. */
async function send(provider: MessagingProvider, message: Parameters<MessagingProvider['send']>[0]): Promise<SendResult> {
  try {
    return await provider.send(message);
  } catch (error) {
    return { outcome: 'RETRY', reason: 'UNAVAILABLE', detail: `the ${provider.name} adapter threw: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function outcome(result: SendResult, moment: ClaimedMoment, now: Date, maxAttempts: number, logger: Logger): Settled {
  switch (result.outcome) {
    case 'SENT':
      return { status: MomentStatus.SENT, providerMessageId: result.providerMessageId ?? null };
    case 'REFUSED':
      logger.info({ momentId: moment.id, kind: moment.kind, reason: result.reason }, 'message refused by the provider; moment skipped');
      return { status: MomentStatus.SKIPPED, reason: MomentSkipReason[result.reason], error: result.detail, sent: true };
    case 'RETRY': {
      const failed = moment.attempts >= maxAttempts;
      const retryAt = failed ? null : new Date(now.getTime() + retryDelayMs(moment.attempts, result.retryAfterMs));
      const log = { momentId: moment.id, kind: moment.kind, reason: result.reason, attempts: moment.attempts, retryAt, detail: result.detail };
      if (result.reason === 'UNAUTHORIZED' || failed) logger.error(log, failed ? 'message given up after too many attempts' : 'the messaging provider refused our credentials');
      else logger.warn(log, 'message not delivered this time; will retry');
      return { status: failed ? MomentStatus.FAILED : MomentStatus.PENDING, retryAt, error: `${result.reason}: ${result.detail}` };
    }
  }
}

/** Ends a claim: final, deferred or due again; the lease is released. A claim that sent nothing gives its attempt back. */
async function settle(em: EntityManager, moment: ClaimedMoment, now: Date, settled: Settled, provider?: string): Promise<void> {
  const attempts = settled.status === MomentStatus.DEFERRED || (settled.status === MomentStatus.SKIPPED && !settled.sent) ? moment.attempts - 1 : moment.attempts;
  const [status, deliverAt, skipReason, error, sentAt, providerMessageId] =
    settled.status === MomentStatus.SENT
      ? [settled.status, null, null, null, now, settled.providerMessageId]
      : settled.status === MomentStatus.SKIPPED
        ? [settled.status, null, settled.reason, settled.error ?? null, null, null]
        : settled.status === MomentStatus.DEFERRED
          ? [settled.status, settled.until, null, null, null, null]
          : [settled.status, settled.retryAt, null, settled.error.slice(0, 1000), null, null];
  await em.execute(
    `update member_moment set status = ?, deliver_at = ?, leased_until = null, attempts = ?, skip_reason = ?,
       last_error = coalesce(?, last_error), sent_at = ?, provider = coalesce(?, provider), provider_message_id = ?
     where id = ?`,
    [status, deliverAt, attempts, skipReason, error, sentAt, provider ?? null, providerMessageId, moment.id],
  );
}
