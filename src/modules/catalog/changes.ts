import type { EntityManager } from '@mikro-orm/postgresql';
import type { InputProblem } from '../../platform/errors.js';
import type { LocalizedText } from '../../platform/localized.js';
import { checkProgramChanges, readLiveProgram, type LiveProgram, type ProgramChange, type ProgramDiffLine } from '../loyalty-program/index.js';
import { loadSegmentConfig, segmentConfigProblems } from '../segment/index.js';

/** One change a draft makes to what members get. */
export type CatalogChange =
  | {
      kind: 'CREATE_BENEFIT';
      code: string;
      partnerId: string;
      benefitKind: string;
      name: LocalizedText;
      description: LocalizedText;
      /** What the partner is paid per unit used (minor units), and what a unit is worth to a member. */
      unitPrice: number | null;
      memberValue: number | null;
      currency: string;
    }
  | { kind: 'SET_BUNDLE_BENEFIT'; bundleCode: string; benefitCode: string; quota: number | null; period: string; minTier: string | null; segments: string[] | null }
  | { kind: 'REMOVE_BUNDLE_BENEFIT'; bundleCode: string; benefitCode: string }
  | { kind: 'UPDATE_PLAN'; planCode: string; set: PlanTerms }
  /** The segment definitions (RFM cells, lifecycle stages, value tiers) as one whole new version. */
  | { kind: 'SET_SEGMENT_CONFIG'; config: unknown }
  /** A new bundle: its benefits are the draft's SET_BUNDLE_BENEFIT changes naming it (version 1). */
  | { kind: 'CREATE_BUNDLE'; code: string; name: LocalizedText }
  /** A new plan selling a bundle (live, or created in the same draft): on sale from the effective date. */
  | {
      kind: 'CREATE_PLAN';
      code: string;
      name: LocalizedText;
      priceAmount: number;
      currency: string;
      billingPeriod: string;
      bundleCode: string;
      trialDays: number;
      graceDays: number;
      reminderDays: number;
      graceAccess: string;
      refundPolicy: string;
      grandfathered: boolean;
    }
  | ProgramChange;

/** A plan's terms a draft may change. */
export interface PlanTerms {
  name?: LocalizedText;
  priceAmount?: number;
  trialDays?: number;
  graceDays?: number;
  reminderDays?: number;
  graceAccess?: string;
  refundPolicy?: string;
  grandfathered?: boolean;
  active?: boolean;
}

export type CreatePlanChange = Extract<CatalogChange, { kind: 'CREATE_PLAN' }>;
export type CreateBundleChange = Extract<CatalogChange, { kind: 'CREATE_BUNDLE' }>;

export const BENEFIT_KINDS = ['ACCESS', 'QUOTA', 'VOUCHER', 'DISCOUNT', 'CONVERSION'] as const;
export const PERIODS = ['MEMBERSHIP_TERM', 'CALENDAR_MONTH'] as const;
// The plan module's enums, as the draft's stored JSON names them.
export const BILLING_PERIODS = ['MONTH', 'YEAR'] as const;
export const REFUND_POLICIES = ['FULL', 'PRO_RATA', 'PRO_RATA_MINUS_USED'] as const;
export const GRACE_ACCESS = ['USABLE', 'SUSPENDED'] as const;

/** A benefit as one bundle version grants it. */
export interface BundleLine {
  benefitCode: string;
  quota: number | null;
  period: string;
  minTier: string | null;
  segments: string[] | null;
}

interface LiveBundle {
  id: string;
  /** The newest version (in effect, or scheduled). */
  latest: { id: string; version: number; effectiveFrom: Date };
  lines: BundleLine[];
}

/** The catalog as it stands: what a draft is checked, diffed and applied against. */
export interface LiveCatalog {
  partners: Set<string>;
  benefits: Map<string, { id: string; kind: string; partnerId: string }>;
  tiers: Set<string>;
  bundles: Map<string, LiveBundle>;
  plans: Map<string, { id: string; bundleCode: string; terms: Required<PlanTerms> }>;
  /** Plans a scheduled publication created, not on sale before its date: no other draft may change them until then. */
  pendingPlans: Set<string>;
  program: LiveProgram;
  /** The segment definitions in force (null: none installed). */
  segmentConfig: unknown;
  now: Date;
}

interface PlanRow {
  id: string;
  code: string;
  bundle_code: string;
  name: LocalizedText;
  price_amount: number;
  trial_days: number;
  grace_days: number;
  reminder_days: number;
  grace_access: string;
  refund_policy: string;
  grandfathered: boolean;
  active: boolean;
}

export async function readLiveCatalog(em: EntityManager, now: Date): Promise<LiveCatalog> {
  const [partners, benefits, tiers, versions, plans, pending, program, segments] = await Promise.all([
    em.execute<{ id: string }[]>(`select id from partner`),
    em.execute<{ id: string; code: string; kind: string; partner_id: string }[]>(`select id, code, kind, partner_id from benefit`),
    em.execute<{ code: string }[]>(`select code from loyalty_tier`),
    em.execute<{ bundle_id: string; bundle_code: string; id: string; version: number; effective_from: Date }[]>(
      `select distinct on (b.id) b.id as bundle_id, b.code as bundle_code, v.id, v.version, v.effective_from
         from bundle b join bundle_version v on v.bundle_id = b.id order by b.id, v.version desc`,
    ),
    em.execute<PlanRow[]>(
      `select p.id, p.code, b.code as bundle_code, p.name, p.price_amount, p.trial_days, p.grace_days, p.reminder_days, p.grace_access, p.refund_policy, p.grandfathered, p.active
         from plan p join bundle b on b.id = p.bundle_id`,
    ),
    em.execute<{ code: string }[]>(`select jsonb_array_elements(outcome::jsonb -> 'plansCreated') ->> 'planCode' as code from catalog_draft where status = 'SCHEDULED'`),
    readLiveProgram(em),
    loadSegmentConfig(em),
  ]);
  const segmentConfig = segments?.config ?? null;
  const lines = versions.length
    ? await em.execute<{ bundle_version_id: string; code: string; quota: number | null; period: string; min_tier: string | null; segments: string[] | null }[]>(
        `select bb.bundle_version_id, b.code, bb.quota, bb.period, bb.min_tier, bb.segments
           from bundle_benefit bb join benefit b on b.id = bb.benefit_id
          where bb.bundle_version_id = any(?::uuid[]) order by bb.position, b.code`,
        [`{${versions.map((v) => v.id).join(',')}}`],
      )
    : [];
  return {
    partners: new Set(partners.map((p) => p.id)),
    benefits: new Map(benefits.map((b) => [b.code, { id: b.id, kind: b.kind, partnerId: b.partner_id }])),
    tiers: new Set(tiers.map((t) => t.code)),
    bundles: new Map(
      versions.map((v) => [
        v.bundle_code,
        {
          id: v.bundle_id,
          latest: { id: v.id, version: v.version, effectiveFrom: new Date(v.effective_from) },
          lines: lines
            .filter((l) => l.bundle_version_id === v.id)
            .map((l) => ({ benefitCode: l.code, quota: l.quota, period: l.period, minTier: l.min_tier, segments: l.segments })),
        },
      ]),
    ),
    plans: new Map(
      plans.map((p) => [
        p.code,
        {
          id: p.id,
          bundleCode: p.bundle_code,
          terms: {
            name: p.name,
            priceAmount: p.price_amount,
            trialDays: p.trial_days,
            graceDays: p.grace_days,
            reminderDays: p.reminder_days,
            graceAccess: p.grace_access,
            refundPolicy: p.refund_policy,
            grandfathered: p.grandfathered,
            active: p.active,
          },
        },
      ]),
    ),
    pendingPlans: new Set(pending.map((p) => p.code)),
    program,
    segmentConfig,
    now,
  };
}

/** What a draft changes, line by line, against the live catalog. */
export interface CatalogDiff {
  benefitsCreated: string[];
  /** New bundles (their lines are in `bundles`, all of them added). */
  bundlesCreated: string[];
  /** New plans, each term from nothing to its value. */
  plansCreated: Array<{ planCode: string; changes: Array<{ field: string; before: string; after: string }> }>;
  bundles: Array<{ bundleCode: string; added: BundleLine[]; removed: BundleLine[]; changed: Array<{ benefitCode: string; before: BundleLine; after: BundleLine }> }>;
  plans: Array<{ planCode: string; changes: Array<{ field: string; before: string; after: string }> }>;
  /** The loyalty program's rewards, tiers, what tiers unlock, earn rules. */
  program: ProgramDiffLine[];
}

/** A draft read against the live catalog: its problems (all of them), its diff, and what publishing it would write. */
export interface DraftPlan {
  problems: InputProblem[];
  diff: CatalogDiff;
  /** The lines of each bundle the draft touches, as its new version would grant them. */
  bundles: Map<string, BundleLine[]>;
  benefits: Extract<CatalogChange, { kind: 'CREATE_BENEFIT' }>[];
  planUpdates: Array<{ planCode: string; set: PlanTerms }>;
  bundlesCreated: CreateBundleChange[];
  plansCreated: CreatePlanChange[];
  programChanges: ProgramChange[];
  /** New segment definitions, installed as a version at the effective date; null: unchanged. */
  segmentConfig: unknown;
}

const CODE = /^[A-Z][A-Z0-9_]{1,39}$/;
const same = (a: BundleLine, b: BundleLine) => JSON.stringify(a) === JSON.stringify(b);

/** Checks every change against the live catalog and the draft's own earlier changes, listing every problem. */
export function planDraft(live: LiveCatalog, changes: readonly CatalogChange[]): DraftPlan {
  const problems: InputProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  if (changes.length === 0) problem('changes', 'must hold at least one change');
  const created = new Map<string, string>();
  const bundles = new Map<string, BundleLine[]>();
  const benefits: DraftPlan['benefits'] = [];
  const planUpdates: DraftPlan['planUpdates'] = [];
  // Bundles and plans the draft creates, by code, with the index of the change creating them.
  const bundlesCreated = new Map<string, { index: number; change: CreateBundleChange }>();
  const plansCreated = new Map<string, CreatePlanChange>();
  const kindOf = (code: string) => live.benefits.get(code)?.kind ?? created.get(code);
  const programChanges: Array<{ index: number; change: ProgramChange }> = [];
  const checkName = (at: (field: string) => string, name: LocalizedText | undefined) => {
    for (const lang of ['en', 'zh-CN'] as const) {
      const text = name?.[lang]?.trim() ?? '';
      if (text.length < 1 || text.length > 100) problem(at(`name.${lang === 'en' ? 'en' : 'zhCN'}`), 'must be 1-100 characters');
    }
  };
  // A plan's terms, the same ranges whether a draft creates the plan or changes it.
  const checkTerms = (at: (field: string) => string, set: PlanTerms) => {
    if (set.priceAmount !== undefined && !(Number.isInteger(set.priceAmount) && set.priceAmount > 0 && set.priceAmount <= 100_000_000)) problem(at('priceAmount'), 'must be a whole amount in minor units above 0');
    if (set.trialDays !== undefined && !(Number.isInteger(set.trialDays) && set.trialDays >= 0 && set.trialDays <= 90)) problem(at('trialDays'), 'must be a whole number of days from 0 to 90');
    if (set.graceDays !== undefined && !(Number.isInteger(set.graceDays) && set.graceDays >= 0 && set.graceDays <= 60)) problem(at('graceDays'), 'must be a whole number of days from 0 to 60');
    if (set.reminderDays !== undefined && !(Number.isInteger(set.reminderDays) && set.reminderDays >= 0 && set.reminderDays <= 60)) problem(at('reminderDays'), 'must be a whole number of days from 0 to 60');
    if (set.graceAccess !== undefined && !(GRACE_ACCESS as readonly string[]).includes(set.graceAccess)) problem(at('graceAccess'), `must be one of ${GRACE_ACCESS.join(', ')}`);
    if (set.refundPolicy !== undefined && !(REFUND_POLICIES as readonly string[]).includes(set.refundPolicy)) problem(at('refundPolicy'), `must be one of ${REFUND_POLICIES.join(', ')}`);
    if (set.name !== undefined) checkName(at, set.name);
  };

  let segmentConfig: unknown = null;
  changes.forEach((change, i) => {
    const at = (field: string) => `changes[${i}].${field}`;
    switch (change.kind) {
      case 'CREATE_BENEFIT': {
        if (!CODE.test(change.code)) problem(at('code'), 'must be 2-40 capitals, digits or _ starting with a letter');
        else if (live.benefits.has(change.code) || created.has(change.code)) problem(at('code'), `a benefit ${change.code} exists already`);
        if (!live.partners.has(change.partnerId)) problem(at('partnerId'), `no partner ${change.partnerId}`);
        if (!(BENEFIT_KINDS as readonly string[]).includes(change.benefitKind)) problem(at('kind'), `must be one of ${BENEFIT_KINDS.join(', ')}`);
        for (const lang of ['en', 'zh-CN'] as const) {
          const name = change.name?.[lang]?.trim() ?? '';
          if (name.length < 1 || name.length > 100) problem(at(`name.${lang === 'en' ? 'en' : 'zhCN'}`), 'must be 1-100 characters');
          if ((change.description?.[lang] ?? '').length > 500) problem(at(`description.${lang === 'en' ? 'en' : 'zhCN'}`), 'must be at most 500 characters');
        }
        for (const field of ['unitPrice', 'memberValue'] as const) {
          const value = change[field];
          if (value !== null && !(Number.isInteger(value) && value >= 0 && value <= 100_000_000)) problem(at(`${field}.amount`), 'must be a whole amount in minor units, 0 or more');
        }
        if (!/^[A-Z]{3}$/.test(change.currency)) problem(at('currency'), 'must be an ISO currency code');
        if (CODE.test(change.code) && !live.benefits.has(change.code)) created.set(change.code, change.benefitKind);
        benefits.push(change);
        break;
      }
      case 'CREATE_BUNDLE': {
        if (!CODE.test(change.code)) problem(at('code'), 'must be 2-40 capitals, digits or _ starting with a letter');
        else if (live.bundles.has(change.code) || bundlesCreated.has(change.code)) problem(at('code'), `a bundle ${change.code} exists already`);
        checkName(at, change.name);
        if (CODE.test(change.code) && !live.bundles.has(change.code) && !bundlesCreated.has(change.code)) {
          bundlesCreated.set(change.code, { index: i, change });
          bundles.set(change.code, []);
        }
        break;
      }
      case 'CREATE_PLAN': {
        if (!CODE.test(change.code)) problem(at('code'), 'must be 2-40 capitals, digits or _ starting with a letter');
        else if (live.plans.has(change.code) || plansCreated.has(change.code)) problem(at('code'), `a plan ${change.code} exists already`);
        checkName(at, change.name);
        checkTerms((field) => at(field === 'priceAmount' ? 'price.amount' : field), {
          priceAmount: change.priceAmount,
          trialDays: change.trialDays,
          graceDays: change.graceDays,
          reminderDays: change.reminderDays,
          graceAccess: change.graceAccess,
          refundPolicy: change.refundPolicy,
        });
        if (!/^[A-Z]{3}$/.test(change.currency)) problem(at('price.currency'), 'must be an ISO currency code');
        if (!(BILLING_PERIODS as readonly string[]).includes(change.billingPeriod)) problem(at('billingPeriod'), `must be one of ${BILLING_PERIODS.join(', ')}`);
        const sold = live.bundles.get(change.bundleCode);
        if (!sold && !bundlesCreated.has(change.bundleCode)) problem(at('bundleCode'), `no bundle ${change.bundleCode} (create it first, in this draft or before)`);
        // A bundle a scheduled publication creates cannot be sold before it exists for members.
        else if (sold && sold.latest.version === 1 && sold.latest.effectiveFrom > live.now) problem(at('bundleCode'), `${change.bundleCode} is created by a scheduled publication: cancel it or wait until it takes effect`);
        if (CODE.test(change.code) && !live.plans.has(change.code) && !plansCreated.has(change.code)) plansCreated.set(change.code, change);
        break;
      }
      case 'SET_BUNDLE_BENEFIT':
      case 'REMOVE_BUNDLE_BENEFIT': {
        const bundle = live.bundles.get(change.bundleCode);
        if (!bundle && !bundlesCreated.has(change.bundleCode)) {
          problem(at('bundleCode'), `no bundle ${change.bundleCode}`);
          break;
        }
        if (bundle && bundle.latest.effectiveFrom > live.now) problem(at('bundleCode'), `version ${bundle.latest.version} of ${change.bundleCode} is scheduled already: cancel it or wait until it takes effect`);
        const lines = bundles.get(change.bundleCode) ?? bundle!.lines.map((l) => ({ ...l }));
        bundles.set(change.bundleCode, lines);
        const index = lines.findIndex((l) => l.benefitCode === change.benefitCode);
        if (change.kind === 'REMOVE_BUNDLE_BENEFIT') {
          if (index < 0) problem(at('benefitCode'), `${change.bundleCode} does not grant ${change.benefitCode}`);
          else lines.splice(index, 1);
          break;
        }
        const kind = kindOf(change.benefitCode);
        if (!kind) problem(at('benefitCode'), `no benefit ${change.benefitCode} (create it first, in this draft or before)`);
        if (kind === 'ACCESS' && change.quota !== null) problem(at('quota'), 'an ACCESS benefit has no quota: leave it null');
        if (kind && kind !== 'ACCESS' && !(Number.isInteger(change.quota) && change.quota! >= 1 && change.quota! <= 10_000)) problem(at('quota'), 'must be a whole number from 1 to 10000');
        if (!(PERIODS as readonly string[]).includes(change.period)) problem(at('period'), `must be one of ${PERIODS.join(', ')}`);
        if (change.minTier !== null && !live.tiers.has(change.minTier)) problem(at('minTier'), `no tier ${change.minTier}`);
        if (change.segments !== null && (change.segments.length === 0 || change.segments.some((s) => !/^[A-Z][A-Z0-9_]{0,39}$/.test(s)))) {
          problem(at('segments'), 'must name at least one segment code (capitals, digits, _), or be null for everyone');
        }
        const line: BundleLine = { benefitCode: change.benefitCode, quota: change.quota, period: change.period, minTier: change.minTier, segments: change.segments };
        if (index < 0) lines.push(line);
        else lines[index] = line;
        break;
      }
      case 'UPDATE_PLAN': {
        const plan = live.plans.get(change.planCode);
        if (!plan) problem(at('planCode'), `no plan ${change.planCode}`);
        else if (live.pendingPlans.has(change.planCode)) problem(at('planCode'), `${change.planCode} is created by a scheduled publication: cancel it or wait until it takes effect`);
        const set = change.set ?? {};
        if (Object.keys(set).length === 0) problem(at('set'), 'must change at least one term');
        checkTerms(at, set);
        if (plan) planUpdates.push({ planCode: change.planCode, set });
        break;
      }
      case 'SET_SEGMENT_CONFIG': {
        const found = segmentConfigProblems(change.config);
        for (const p of found) problem(p.path ? at(`config.${p.path}`) : at('config'), p.message);
        if (segmentConfig !== null) problem(`changes[${i}]`, 'a draft sets the segment definitions once');
        if (!found.length) segmentConfig = change.config;
        break;
      }
      default:
        programChanges.push({ index: i, change });
    }
  });
  // A new bundle is sold only with something in it.
  for (const [code, { index }] of bundlesCreated) {
    if (bundles.get(code)!.length === 0) problem(`changes[${index}]`, `a new bundle must grant at least one benefit: add a setBundleBenefit change naming ${code}`);
  }
  const program = checkProgramChanges(live.program, programChanges, { partners: live.partners, benefits: kindOf });
  problems.push(...program.problems);
  problems.sort((a, b) => fieldOrder(a.field) - fieldOrder(b.field));

  const diff: CatalogDiff = {
    benefitsCreated: [...created.keys()],
    bundlesCreated: [...bundlesCreated.keys()],
    plansCreated: [...plansCreated.values()].map((p) => ({
      planCode: p.code,
      changes: Object.entries(termsText({
        name: p.name,
        priceAmount: p.priceAmount,
        trialDays: p.trialDays,
        graceDays: p.graceDays,
        reminderDays: p.reminderDays,
        graceAccess: p.graceAccess,
        refundPolicy: p.refundPolicy,
        grandfathered: p.grandfathered,
      }))
        .concat([['currency', p.currency], ['billingPeriod', p.billingPeriod], ['bundleCode', p.bundleCode]])
        .map(([field, after]) => ({ field, before: '', after })),
    })),
    bundles: [],
    plans: [],
    program: [...program.diff, ...segmentDiff(live.segmentConfig, segmentConfig)],
  };
  for (const [bundleCode, after] of bundles) {
    const before = live.bundles.get(bundleCode)?.lines ?? [];
    diff.bundles.push({
      bundleCode,
      added: after.filter((l) => !before.some((b) => b.benefitCode === l.benefitCode)),
      removed: before.filter((b) => !after.some((l) => l.benefitCode === b.benefitCode)),
      changed: after.flatMap((l) => {
        const was = before.find((b) => b.benefitCode === l.benefitCode);
        return was && !same(was, l) ? [{ benefitCode: l.benefitCode, before: was, after: l }] : [];
      }),
    });
  }
  const merged = new Map<string, PlanTerms>();
  for (const u of planUpdates) merged.set(u.planCode, { ...merged.get(u.planCode), ...u.set });
  for (const [planCode, set] of merged) {
    const before = termsText(live.plans.get(planCode)!.terms);
    const changesOfPlan = Object.entries(termsText(set))
      .filter(([field, value]) => before[field] !== value)
      .map(([field, after]) => ({ field, before: before[field] ?? '', after }));
    if (changesOfPlan.length) diff.plans.push({ planCode, changes: changesOfPlan });
  }
  return {
    problems,
    diff,
    bundles,
    benefits,
    planUpdates: [...merged].map(([planCode, set]) => ({ planCode, set })),
    bundlesCreated: [...bundlesCreated.values()].map((b) => b.change),
    plansCreated: [...plansCreated.values()],
    programChanges: programChanges.map((c) => c.change),
    segmentConfig,
  };
}

/** A plan's terms as the diff shows them, the localized name one line per locale (`name.en`, `name.zhCN`). */
function termsText(terms: PlanTerms): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [field, value] of Object.entries(terms)) {
    if (value === undefined) continue;
    if (field === 'name') {
      const name = value as LocalizedText;
      text['name.en'] = name.en ?? '';
      text['name.zhCN'] = name['zh-CN'] ?? '';
    } else text[field] = String(value);
  }
  return text;
}

/** Problems in the order of the changes they are about (a stable sort keeps each change's own order). */
function fieldOrder(field: string): number {
  const match = /^changes\[(\d+)\]/.exec(field);
  return match ? Number(match[1]) : -1;
}

/** The lines a member gets of a bundle: those whose tier and segments they meet. */
export function eligibleLines(lines: readonly BundleLine[], member: { tierRank: number; segments: readonly string[] }, rankOf: (tier: string) => number): BundleLine[] {
  return lines.filter(
    (l) => (l.minTier === null || member.tierRank >= rankOf(l.minTier)) && (l.segments === null || l.segments.some((s) => member.segments.includes(s))),
  );
}

/** The segment definitions' diff, one line per top-level part that changes (`rfm`, `lifecycle`, `value`, …). */
function segmentDiff(before: unknown, after: unknown): ProgramDiffLine[] {
  if (after === null) return [];
  const was = (before ?? {}) as Record<string, unknown>;
  const next = after as Record<string, unknown>;
  return [...new Set([...Object.keys(was), ...Object.keys(next)])]
    .filter((key) => JSON.stringify(was[key]) !== JSON.stringify(next[key]))
    .map((key) => ({ subject: 'segment definitions', field: key, before: JSON.stringify(was[key]) ?? '', after: JSON.stringify(next[key]) ?? '' }));
}
