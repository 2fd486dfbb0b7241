import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog, type AuditContext } from '../audit/index.js';
import type { AppDependencies } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { pgTextArray } from '../../platform/sql.js';
import { migrateRights } from '../entitlement/index.js';
import { applyProgramChanges, loadLoyaltyProgram, type ProgramChange } from '../loyalty-program/index.js';
import { addSegmentConfigVersion, type SegmentConfigInput } from '../segment/index.js';
import { moveToBundleVersion } from '../membership/index.js';
import { tierRightsDueNow } from '../tier/index.js';
import { CatalogDraft, CatalogDraftStatus, MemberMigration, type PublicationOutcome } from './catalog-draft.entity.js';
import { CatalogError } from './catalog.errors.js';
import { eligibleLines, planDraft, readLiveCatalog, type BundleLine, type CatalogChange, type DraftPlan } from './changes.js';

const MAX_TITLE = 200;
/** The plan columns a draft's UPDATE_PLAN sets, by term. */
const PLAN_COLUMNS: Record<string, string> = {
  name: 'name',
  priceAmount: 'price_amount',
  trialDays: 'trial_days',
  graceDays: 'grace_days',
  reminderDays: 'reminder_days',
  graceAccess: 'grace_access',
  refundPolicy: 'refund_policy',
  grandfathered: 'grandfathered',
  active: 'active',
};
const MAX_CHANGES = 200;

/** A draft as the console shows it: its changes, their problems and their diff against the live catalog. */
export interface DraftView {
  draft: CatalogDraft;
  plan: DraftPlan;
}

/** What a member gets of their plan's bundle today, and under a draft. */
export interface CatalogPreview {
  memberId: string;
  planCode: string;
  bundleCode: string;
  tier: string;
  segments: string[];
  today: BundleLine[];
  underDraft: BundleLine[];
}

/**
 * Product managers change what members get through drafts: saved with their problems listed
 * (all of them, never only the first), previewed on a real member, diffed against the live
 * catalog, then published with an effective date — a new version of each bundle they touch, so
 * members who bought the old one keep it (grandfathered until renewal) unless the publication
 * migrates them at the effective date. A publication still ahead can be cancelled and changes
 * nothing. Every step is audited in the transaction that makes it.
 */
export class CatalogService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<AppDependencies, 'now' | 'timeZone' | 'provisionedPartners'>,
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** The request's EntityManager, for the module's other services. */
  get entityManager(): EntityManager {
    return this.em;
  }

  private validate(title: string, changes: readonly CatalogChange[]): void {
    new InputValidator()
      .check(title.trim().length >= 1 && title.length <= MAX_TITLE, 'title', `must be 1-${MAX_TITLE} characters`)
      .check(changes.length <= MAX_CHANGES, 'changes', `must be at most ${MAX_CHANGES}`)
      .throwIfInvalid();
  }

  async view(draft: CatalogDraft): Promise<DraftView> {
    return { draft, plan: planDraft(await readLiveCatalog(this.em, this.now()), draft.changes) };
  }

  async get(draftId: string): Promise<CatalogDraft> {
    const draft = isUuid(draftId) ? await this.em.findOne(CatalogDraft, { id: draftId }) : null;
    if (!draft) throw AppError.notFound('CatalogDraft', draftId);
    return draft;
  }

  async list(status: CatalogDraftStatus | null): Promise<CatalogDraft[]> {
    return this.em.find(CatalogDraft, status ? { status } : {}, { orderBy: { updatedAt: 'desc', id: 'asc' }, limit: 100 });
  }

  /** Saves a new draft, problems and all (a draft is work in progress; publishing is what refuses them). */
  async create(title: string, changes: CatalogChange[], audit: AuditContext): Promise<CatalogDraft> {
    this.validate(title, changes);
    return this.em.transactional(async (tx) => {
      const draft = tx.create(CatalogDraft, { title: title.trim(), status: CatalogDraftStatus.DRAFT, changes, createdBy: audit.actor });
      await tx.flush();
      await AuditLog.append(tx, audit, { action: 'catalog.draft.create', subject: draft.id, before: null, after: { title: draft.title, changes } });
      return draft;
    });
  }

  async update(draftId: string, title: string, changes: CatalogChange[], audit: AuditContext): Promise<CatalogDraft> {
    this.validate(title, changes);
    const found = await this.get(draftId);
    return this.em.transactional(async (tx) => {
      const draft = await tx.findOneOrFail(CatalogDraft, { id: found.id }, { lockMode: 4 /* PESSIMISTIC_WRITE */ });
      if (draft.status !== CatalogDraftStatus.DRAFT) throw CatalogError.notEditable(draft.id, draft.status);
      const before = { title: draft.title, changes: draft.changes };
      draft.title = title.trim();
      draft.changes = changes;
      draft.updatedAt = this.now();
      await tx.flush();
      await AuditLog.append(tx, audit, { action: 'catalog.draft.update', subject: draft.id, before, after: { title: draft.title, changes } });
      return draft;
    });
  }

  /** What `memberId` gets of their plan's bundle now, and under the draft (as a member of the new version). */
  async preview(draftId: string, memberId: string): Promise<CatalogPreview> {
    const draft = await this.get(draftId);
    if (!isUuid(memberId)) throw AppError.notFound('Member', memberId);
    const [membership] = await this.em.execute<{ plan_code: string; bundle_code: string; version_id: string }[]>(
      `select p.code as plan_code, b.code as bundle_code, m.bundle_version_id as version_id
         from membership m join plan p on p.id = m.plan_id join bundle b on b.id = p.bundle_id
        where m.member_id = ? and m.status in ('TRIALING', 'ACTIVE', 'PAST_DUE') order by m.created_at desc limit 1`,
      [memberId],
    );
    if (!membership) throw CatalogError.noMembership(memberId);
    // The ladder from the program snapshot (cached per version), the member's rung from their tier row.
    const program = await loadLoyaltyProgram(this.em);
    const [heldTier] = await this.em.execute<{ tier_code: string }[]>(`select tier_code from member_tier where member_id = ?`, [memberId]);
    const tier = program.tier(heldTier?.tier_code ?? program.baseTier.code);
    const segments = (await this.em.execute<{ segment_code: string }[]>(`select segment_code from member_segment where member_id = ? order by segment_code`, [memberId])).map((s) => s.segment_code);
    const held = await this.em.execute<{ code: string; quota: number | null; period: string; min_tier: string | null; segments: string[] | null }[]>(
      `select b.code, bb.quota, bb.period, bb.min_tier, bb.segments from bundle_benefit bb join benefit b on b.id = bb.benefit_id
        where bb.bundle_version_id = ? order by bb.position, b.code`,
      [membership.version_id],
    );
    const today: BundleLine[] = held.map((l) => ({ benefitCode: l.code, quota: l.quota, period: l.period, minTier: l.min_tier, segments: l.segments }));
    const plan = planDraft(await readLiveCatalog(this.em, this.now()), draft.changes);
    const underDraft = plan.bundles.get(membership.bundle_code) ?? today;
    const member = { tierRank: tier.rank, segments };
    const rankOf = (code: string) => program.tiers.find((t) => t.code === code)?.rank ?? Number.MAX_SAFE_INTEGER;
    return {
      memberId,
      planCode: membership.plan_code,
      bundleCode: membership.bundle_code,
      tier: tier.code,
      segments,
      today: eligibleLines(today, member, rankOf),
      underDraft: eligibleLines(underDraft, member, rankOf),
    };
  }

  /**
   * Publishes a draft effective at `effectiveAt` (now when null or past): refused with every
   * problem listed when it has any. Members who subscribe from then on get the new versions;
   * current members keep theirs until renewal, or move at the effective date where `migrations`
   * says MIGRATE for their bundle.
   */
  async publish(draftId: string, options: { effectiveAt: Date | null; migrations: Record<string, MemberMigration> }, audit: AuditContext): Promise<CatalogDraft> {
    const found = await this.get(draftId);
    const now = this.now();
    const effectiveAt = options.effectiveAt && options.effectiveAt > now ? options.effectiveAt : now;
    const scheduled = effectiveAt > now;
    return this.em.transactional(async (tx) => {
      const draft = await tx.findOneOrFail(CatalogDraft, { id: found.id }, { lockMode: 4 /* PESSIMISTIC_WRITE */ });
      if (draft.status !== CatalogDraftStatus.DRAFT) throw CatalogError.notEditable(draft.id, draft.status);
      // One publication at a time: what it is checked against cannot change under it.
      await tx.execute(`select pg_advisory_xact_lock(hashtext('catalog-publication'))`);
      const live = await readLiveCatalog(tx, now);
      const plan = planDraft(live, draft.changes);
      const problems = [...plan.problems];
      for (const [bundleCode, migration] of Object.entries(options.migrations)) {
        if (!plan.bundles.has(bundleCode)) problems.push({ field: `migrations.${bundleCode}`, message: 'the draft does not change this bundle' });
        else if (!live.bundles.has(bundleCode) && migration === MemberMigration.MIGRATE) problems.push({ field: `migrations.${bundleCode}`, message: 'a new bundle has no members to migrate' });
        if (!Object.values(MemberMigration).includes(migration)) problems.push({ field: `migrations.${bundleCode}`, message: 'must be GRANDFATHER or MIGRATE' });
      }
      if (problems.length > 0) throw AppError.badInput(problems);

      const outcome: PublicationOutcome = {
        benefitIds: [],
        bundleVersions: [],
        bundlesCreated: [],
        plansCreated: [],
        planUpdates: plan.planUpdates as PublicationOutcome['planUpdates'],
        programChanges: plan.programChanges,
        ...(plan.segmentConfig !== null ? { segmentConfig: plan.segmentConfig } : {}),
      };
      for (const b of plan.benefits) {
        const [row] = await tx.execute<{ id: string }[]>(
          `insert into benefit (id, code, partner_id, kind, name, description, unit_price_amount, unit_price_currency, member_value_amount, member_value_currency)
           values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
          [b.code, b.partnerId, b.benefitKind, JSON.stringify(b.name), JSON.stringify(b.description), b.unitPrice, b.unitPrice === null ? null : b.currency, b.memberValue, b.memberValue === null ? null : b.currency],
        );
        outcome.benefitIds.push(row!.id);
      }
      const bundleIds = new Map([...live.bundles].map(([code, b]) => [code, b.id]));
      for (const b of plan.bundlesCreated) {
        const [row] = await tx.execute<{ id: string }[]>(`insert into bundle (id, code, name) values (gen_random_uuid(), ?, ?) returning id`, [b.code, JSON.stringify(b.name)]);
        bundleIds.set(b.code, row!.id);
        outcome.bundlesCreated!.push({ bundleCode: b.code, bundleId: row!.id });
      }
      for (const [bundleCode, lines] of plan.bundles) {
        // A new bundle's first version, or the next one of a live bundle.
        const version = (live.bundles.get(bundleCode)?.latest.version ?? 0) + 1;
        const [row] = await tx.execute<{ id: string }[]>(`insert into bundle_version (id, bundle_id, version, effective_from) values (gen_random_uuid(), ?, ?, ?) returning id`, [
          bundleIds.get(bundleCode)!,
          version,
          effectiveAt,
        ]);
        for (const [position, line] of lines.entries()) {
          await tx.execute(
            `insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position, min_tier, segments)
             select gen_random_uuid(), ?, b.id, ?, ?, ?, ?, ?::text[] from benefit b where b.code = ?`,
            [row!.id, line.quota, line.period, position, line.minTier, line.segments ? pgTextArray(line.segments) : null, line.benefitCode],
          );
        }
        outcome.bundleVersions.push({ bundleCode, versionId: row!.id, version });
      }
      // New plans go in now, off sale: the effective date puts them on sale (takeEffect), so a scheduled publication sells nothing early.
      for (const p of plan.plansCreated) {
        const [row] = await tx.execute<{ id: string }[]>(
          `insert into plan (id, code, name, price_amount, currency, billing_period, bundle_id, active, trial_days, reminder_days, grace_days, grace_access, refund_policy, grandfathered)
           values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, false, ?, ?, ?, ?, ?, ?) returning id`,
          [p.code, JSON.stringify(p.name), p.priceAmount, p.currency, p.billingPeriod, bundleIds.get(p.bundleCode)!, p.trialDays, p.reminderDays, p.graceDays, p.graceAccess, p.refundPolicy, p.grandfathered],
        );
        outcome.plansCreated!.push({ planCode: p.code, planId: row!.id });
      }
      draft.effectiveAt = effectiveAt;
      draft.migrations = options.migrations;
      draft.publishedAt = now;
      draft.updatedAt = now;
      draft.outcome = outcome;
      draft.status = scheduled ? CatalogDraftStatus.SCHEDULED : CatalogDraftStatus.PUBLISHED;
      await tx.flush();
      if (!scheduled) await this.takeEffect(tx, draft, effectiveAt);
      await AuditLog.append(tx, audit, {
        action: 'catalog.publish',
        subject: draft.id,
        // A bundle or plan the publication creates was nothing before (null).
        before: {
          bundles: Object.fromEntries([...plan.bundles.keys()].map((code) => [code, live.bundles.get(code)?.lines ?? null])),
          plans: Object.fromEntries([...plan.planUpdates.map((u) => [u.planCode, live.plans.get(u.planCode)!.terms]), ...plan.plansCreated.map((p) => [p.code, null])]),
        },
        after: { effectiveAt: effectiveAt.toISOString(), migrations: options.migrations, diff: plan.diff, bundlesCreated: plan.bundlesCreated, plansCreated: plan.plansCreated, outcome },
      });
      return draft;
    });
  }

  /**
   * What a publication does when it takes effect: the plans' new terms, the plans it created put
   * on sale, and current members of the bundles it migrates moved to the new version with their rights.
   */
  async takeEffect(tx: EntityManager, draft: CatalogDraft, at: Date): Promise<void> {
    const outcome = draft.outcome!;
    for (const update of outcome.planUpdates) {
      const set = { ...(update.set as Record<string, unknown>) };
      if (set.name !== undefined) set.name = JSON.stringify(set.name);
      const fields = Object.keys(set).filter((k) => PLAN_COLUMNS[k]);
      if (fields.length === 0) continue;
      await tx.execute(`update plan set ${fields.map((f) => `${PLAN_COLUMNS[f]} = ?`).join(', ')} where code = ?`, [...fields.map((f) => set[f]), update.planCode]);
    }
    const created = (outcome.plansCreated ?? []).map((p) => p.planId);
    if (created.length) await tx.execute(`update plan set active = true where id = any(?::uuid[])`, [pgTextArray(created)]);
    const programChanges = (outcome.programChanges ?? []) as ProgramChange[];
    // The ladder as it stands (a change never moves a rung), read before the change raises the version.
    const ladder = (await loadLoyaltyProgram(tx)).tiers;
    await applyProgramChanges(tx, programChanges);
    // New segment definitions: the next computation of every clock uses them.
    if (outcome.segmentConfig != null) await addSegmentConfigVersion(tx, outcome.segmentConfig as SegmentConfigInput);
    // Tiers whose unlocked benefits changed (and every tier above): their holders' rights roll now.
    const lowest = Math.min(...programChanges.flatMap((c) => (c.kind === 'SET_TIER_BENEFIT' ? [ladder.find((t) => t.code === c.tierCode)?.rank ?? Infinity] : [])));
    if (Number.isFinite(lowest)) await tierRightsDueNow(tx, ladder.filter((t) => t.rank >= lowest).map((t) => t.code), at);
    let migrated = 0;
    for (const version of outcome.bundleVersions) {
      if (draft.migrations?.[version.bundleCode] !== MemberMigration.MIGRATE) continue;
      const [bundle] = await tx.execute<{ id: string }[]>(`select id from bundle where code = ?`, [version.bundleCode]);
      const moved = await moveToBundleVersion(tx, bundle!.id, version.versionId);
      await migrateRights(tx, moved, { at, timeZone: this.deps.timeZone, provisionedPartners: this.deps.provisionedPartners });
      migrated += moved.length;
    }
    draft.outcome = { ...outcome, migrated };
    draft.status = CatalogDraftStatus.PUBLISHED;
    await tx.flush();
  }

  /** Takes back a publication still ahead of its effective date: it leaves nothing behind. */
  async cancel(draftId: string, audit: AuditContext): Promise<CatalogDraft> {
    const found = await this.get(draftId);
    const now = this.now();
    return this.em.transactional(async (tx) => {
      const draft = await tx.findOneOrFail(CatalogDraft, { id: found.id }, { lockMode: 4 /* PESSIMISTIC_WRITE */ });
      if (draft.status !== CatalogDraftStatus.SCHEDULED || !draft.effectiveAt || draft.effectiveAt <= now) throw CatalogError.notCancelable(draft.id, draft.status);
      const outcome = draft.outcome!;
      const versionIds = outcome.bundleVersions.map((v) => v.versionId);
      if (versionIds.length) {
        await tx.execute(`delete from bundle_benefit where bundle_version_id = any(?::uuid[])`, [pgTextArray(versionIds)]);
        await tx.execute(`delete from bundle_version where id = any(?::uuid[])`, [pgTextArray(versionIds)]);
      }
      // What it created, newest first: its plans (never sold: off sale until now), then its bundles (their versions gone above).
      const plans = (outcome.plansCreated ?? []).map((p) => p.planId);
      if (plans.length) await tx.execute(`delete from plan where id = any(?::uuid[])`, [pgTextArray(plans)]);
      const bundles = (outcome.bundlesCreated ?? []).map((b) => b.bundleId);
      if (bundles.length) await tx.execute(`delete from bundle where id = any(?::uuid[])`, [pgTextArray(bundles)]);
      if (outcome.benefitIds.length) {
        await tx.execute(
          `delete from benefit b where b.id = any(?::uuid[]) and not exists (select 1 from bundle_benefit bb where bb.benefit_id = b.id) and not exists (select 1 from entitlement e where e.benefit_id = b.id)`,
          [pgTextArray(outcome.benefitIds)],
        );
      }
      draft.status = CatalogDraftStatus.CANCELED;
      draft.canceledAt = now;
      draft.updatedAt = now;
      await tx.flush();
      await AuditLog.append(tx, audit, { action: 'catalog.cancel', subject: draft.id, before: { status: CatalogDraftStatus.SCHEDULED, effectiveAt: draft.effectiveAt.toISOString(), outcome }, after: { status: CatalogDraftStatus.CANCELED } });
      return draft;
    });
  }
}
