import { isUuid } from '../../platform/loader.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AppDependencies } from '../../platform/context.js';
import { AppError, InputValidator } from '../../platform/errors.js';
import type { LocalizedText } from '../../platform/localized.js';
import { refreshFigures, type FiguresRunSummary, type FiguresSnapshot } from './refresh.js';

/** How a period range is cut. */
export enum FigureBucket {
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}

/** At most this many buckets in one answer. */
export const MAX_BUCKETS = 1000;

/** Bands of value received ÷ fee paid for one paid period (figures_period_value.band). */
export const VALUE_BANDS: ReadonlyArray<{ band: number; label: string; minRatio: number | null; maxRatio: number | null }> = [
  { band: 0, label: 'nothing used', minRatio: 0, maxRatio: 0 },
  { band: 1, label: 'under half the fee', minRatio: 0, maxRatio: 0.5 },
  { band: 2, label: 'half the fee to the fee', minRatio: 0.5, maxRatio: 1 },
  { band: 3, label: 'the fee to twice the fee', minRatio: 1, maxRatio: 2 },
  { band: 4, label: 'twice the fee or more', minRatio: 2, maxRatio: null },
];

export interface Amount {
  amount: number;
  currency: string;
}

export interface FigureRange {
  from: Date;
  to: Date;
}

/** The run every answer is read from. */
export interface FiguresRunView {
  id: string;
  asOf: Date;
  timeZone: string;
  currency: string;
  trigger: string;
  durationMs: number;
  steps: Array<{ name: string; ms: number }>;
}

interface LoadedRun extends FiguresRunView {
  snapshot: FiguresSnapshot;
}

export interface BucketWindow {
  start: Date;
  end: Date;
}

export interface GrowthBucketView extends BucketWindow {
  newMembers: number;
  newPaidMembers: number;
  totalMembers: number;
  paidMembers: number;
}

export interface CohortView {
  month: Date;
  members: number;
  converted: number;
  convertedWithin30Days: number;
  conversionRate: number | null;
}

export interface RenewalBucketView extends BucketWindow {
  periodsDue: number;
  periodsRenewed: number;
  periodsPending: number;
  renewalRate: number | null;
  membershipsEnded: number;
  repurchased: number;
  repurchaseRate: number | null;
}

export interface OrderBucketView extends BucketWindow {
  orders: number;
  gross: Amount;
  refunded: Amount;
  net: Amount;
  averageOrderValue: Amount | null;
}

export interface PartnerRef {
  partnerId: string;
  partnerName: LocalizedText;
}

export interface BenefitRef extends PartnerRef {
  benefitId: string;
  benefitCode: string;
  benefitName: LocalizedText;
  kind: string;
}

export interface BenefitUseView extends BenefitRef {
  quota: number | null;
  rights: number;
  unitsGranted: number;
  unitsUsed: number;
  utilization: number | null;
  value: Amount;
}

export interface ValueBandView {
  band: number;
  label: string;
  minRatio: number | null;
  maxRatio: number | null;
  periods: number;
}

export interface PlanValueView {
  planCode: string;
  periods: number;
  fees: Amount;
  value: Amount;
  valueToFee: number | null;
}

export interface MemberValueView {
  currency: string;
  periods: number;
  fees: Amount;
  value: Amount;
  averageFee: Amount | null;
  averageValue: Amount | null;
  valueToFee: number | null;
  bands: ValueBandView[];
  byPlan: PlanValueView[];
}

export interface PointValuationView {
  basis: 'BURN_PRICE' | 'REWARD_COST';
  partnerId: string | null;
  rewardCode: string | null;
  pricePer1000: number;
}

export interface LiabilityView {
  outstandingPoints: number;
  members: number;
  debtPoints: number;
  pricePer1000: number;
  amount: Amount;
  lowestAmount: Amount;
  valuations: PointValuationView[];
  expiry: Array<{ month: Date | null; points: number; members: number; amount: Amount }>;
  byIssuer: Array<{ issuer: string; partnerId: string | null; points: number; amount: Amount }>;
}

export interface TierFiguresView {
  distribution: Array<{ tierCode: string; tierName: LocalizedText; rank: number; members: number; share: number | null }>;
  moves: Array<{ month: Date; fromTier: string; toTier: string; reason: string; moves: number }>;
}

export interface PartnerShareView extends PartnerRef {
  realizedValue: Amount;
  valueShare: number | null;
  pointsIssued: number;
  pointsShare: number | null;
  membersWithLiveRights: number;
  paidMembersWithLiveRights: number;
  liveRights: number;
}

export interface PartnerDependencyView {
  currency: string;
  realizedValue: Amount;
  pointsIssued: number;
  programPointsIssued: number;
  partners: PartnerShareView[];
}

export interface ReplacementView extends BenefitRef {
  unitPrice: Amount | null;
  memberValue: Amount | null;
}

export interface PartnerExitView extends PartnerRef {
  members: number;
  paidMembers: number;
  rights: Array<BenefitRef & { source: string; rights: number; members: number }>;
  pointsOutstanding: number;
  pointsLiability: Amount;
  rewards: Array<{ rewardCode: string; rewardName: LocalizedText; pointsCost: number }>;
  replacements: Array<{ benefit: BenefitRef; candidates: ReplacementView[] }>;
}

export type UtilizationSource = 'OVERRIDE' | 'OBSERVED' | 'OBSERVED_OTHER_QUOTA' | 'ASSUMED_FULL';

export interface CostLineView extends BenefitRef {
  unitsPerPeriod: number;
  unitPrice: Amount | null;
  utilization: number;
  utilizationSource: UtilizationSource;
  observedRights: number;
  expectedUnits: number;
  cost: Amount;
}

export interface PlanCostView {
  planCode: string;
  billingPeriod: string;
  fee: Amount;
  lines: CostLineView[];
  pointsPerPeriod: number;
  pointsObservedPeriods: number;
  pointsCost: Amount;
  partnerCost: Amount;
  totalCost: Amount;
  margin: Amount;
  costToFee: number | null;
}

export interface BundleCostView {
  bundleVersionId: string;
  bundleCode: string;
  version: number;
  pointPricePer1000: number;
  plans: PlanCostView[];
}

const DAY_MS = 86_400_000;
const UNIT: Record<FigureBucket, string> = { DAY: 'day', WEEK: 'week', MONTH: 'month' };
const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/**
 * The program's figures for admins' dashboards, read from the last refresh (refresh.ts): every
 * answer states its `asOf`. When no refresh ever ran (a new database), the first read runs one.
 */
export class ProgramFiguresService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: AppDependencies,
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Rebuilds the figures now (waits for a refresh already running, then runs). */
  async refresh(): Promise<FiguresRunView> {
    await refreshFigures(this.em.fork(), { asOf: this.now(), timeZone: this.deps.timeZone, trigger: 'ON_DEMAND' });
    return this.run();
  }

  /** The run answers come from (one is computed when none exists yet). */
  async run(): Promise<FiguresRunView> {
    const { snapshot: _, ...view } = await this.latest();
    return view;
  }

  private async latest(): Promise<LoadedRun> {
    const read = async () =>
      (
        await this.em.execute<{ id: string; as_of: Date; time_zone: string; currency: string; trigger: string; duration_ms: number; steps: Record<string, number>; snapshot: FiguresSnapshot }[]>(
          `select id, as_of, time_zone, currency, trigger, duration_ms, steps, snapshot from figures_run order by as_of desc, created_at desc limit 1`,
        )
      )[0];
    let row = await read();
    if (!row) {
      await refreshFigures(this.em.fork(), { asOf: this.now(), timeZone: this.deps.timeZone, trigger: 'ON_DEMAND', onlyIfNone: true });
      row = await read();
    }
    return {
      id: row!.id,
      asOf: new Date(row!.as_of),
      timeZone: row!.time_zone,
      currency: row!.currency,
      trigger: row!.trigger,
      durationMs: row!.duration_ms,
      steps: Object.entries(row!.steps).map(([name, ms]) => ({ name, ms })),
      snapshot: row!.snapshot,
    };
  }

  private validate(range: FigureRange, bucket?: FigureBucket): void {
    const days = (range.to.getTime() - range.from.getTime()) / DAY_MS;
    const perBucket = bucket === FigureBucket.WEEK ? 7 : bucket === FigureBucket.MONTH ? 28 : 1;
    new InputValidator()
      .check(range.from < range.to, 'to', 'must be after from')
      .check(days / perBucket <= MAX_BUCKETS, 'to', `at most ${MAX_BUCKETS} buckets (${MAX_BUCKETS} days, weeks or months)`)
      .throwIfInvalid();
  }

  /**
   * The buckets of a range: program days from `from`'s day up to, not including, `to`'s day, cut
   * by calendar day, ISO week or month; a bucket the range cuts is clipped to it.
   */
  private async buckets<R>(run: LoadedRun, range: FigureRange, bucket: FigureBucket, select: string): Promise<Array<R & { start: Date; end: Date }>> {
    const tz = run.timeZone;
    const unit = UNIT[bucket];
    return this.em.execute(
      `with rg as (select (?::timestamptz at time zone ?)::date as f, (?::timestamptz at time zone ?)::date as t),
            b as (
              select greatest(g::date, rg.f) as first_day, least((g + ('1 ' || ?)::interval)::date, rg.t) as end_day
                from rg, generate_series(date_trunc(?, rg.f::timestamp), rg.t::timestamp - interval '1 day', ('1 ' || ?)::interval) g
            )
       select (b.first_day::timestamp at time zone ?) as start, (b.end_day::timestamp at time zone ?) as "end", ${select}
         from b left join figures_day d on d.day >= b.first_day and d.day < b.end_day
        group by b.first_day, b.end_day order by b.first_day`,
      [range.from, tz, range.to, tz, unit, unit, unit, tz, tz],
    );
  }

  /** The program months a range covers: from `from`'s month up to `to`'s day (exclusive). */
  private monthRange(run: LoadedRun, range: FigureRange, column = 'month'): { sql: string; params: unknown[] } {
    return {
      sql: `${column} >= date_trunc('month', (?::timestamptz at time zone ?))::date and ${column} < (?::timestamptz at time zone ?)::date`,
      params: [range.from, run.timeZone, range.to, run.timeZone],
    };
  }

  async memberGrowth(range: FigureRange, bucket: FigureBucket): Promise<{ run: FiguresRunView; buckets: GrowthBucketView[] }> {
    this.validate(range, bucket);
    const run = await this.latest();
    const rows = await this.buckets<{ new_members: string; new_paid: string; total: string; paid: string }>(
      run,
      range,
      bucket,
      `coalesce(sum(d.new_members), 0) as new_members, coalesce(sum(d.new_paid_members), 0) as new_paid,
       (select coalesce(sum(new_members), 0) from figures_day where day < b.end_day) as total,
       (select coalesce(sum(paid_starts - paid_ends), 0) from figures_day where day < b.end_day) as paid`,
    );
    return {
      run,
      buckets: rows.map((r) => ({
        start: new Date(r.start),
        end: new Date(r.end),
        newMembers: Number(r.new_members),
        newPaidMembers: Number(r.new_paid),
        totalMembers: Number(r.total),
        paidMembers: Number(r.paid),
      })),
    };
  }

  async paidConversion(range: FigureRange): Promise<{ run: FiguresRunView; cohorts: CohortView[] }> {
    this.validate(range);
    const run = await this.latest();
    const months = this.monthRange(run, range);
    const rows = await this.em.execute<{ month: string; members: number; converted: number; converted_within30days: number }[]>(
      `select (month::timestamp at time zone ?) as month, members, converted, converted_within30days from figures_cohort where ${months.sql} order by month`,
      [run.timeZone, ...months.params],
    );
    return {
      run,
      cohorts: rows.map((r) => ({
        month: new Date(r.month),
        members: r.members,
        converted: r.converted,
        convertedWithin30Days: r.converted_within30days,
        conversionRate: ratio(r.converted, r.members),
      })),
    };
  }

  async renewals(range: FigureRange, bucket: FigureBucket): Promise<{ run: FiguresRunView; buckets: RenewalBucketView[] }> {
    this.validate(range, bucket);
    const run = await this.latest();
    const rows = await this.buckets<{ due: string; renewed: string; pending: string; ended: string; again: string }>(
      run,
      range,
      bucket,
      `coalesce(sum(d.periods_due), 0) as due, coalesce(sum(d.periods_renewed), 0) as renewed, coalesce(sum(d.periods_pending), 0) as pending,
       coalesce(sum(d.memberships_ended), 0) as ended, coalesce(sum(d.ended_repurchased), 0) as again`,
    );
    return {
      run,
      buckets: rows.map((r) => {
        const [due, renewed, ended, again] = [Number(r.due), Number(r.renewed), Number(r.ended), Number(r.again)];
        return {
          start: new Date(r.start),
          end: new Date(r.end),
          periodsDue: due,
          periodsRenewed: renewed,
          periodsPending: Number(r.pending),
          renewalRate: ratio(renewed, due),
          membershipsEnded: ended,
          repurchased: again,
          repurchaseRate: ratio(again, ended),
        };
      }),
    };
  }

  async orderValue(range: FigureRange, bucket: FigureBucket): Promise<{ run: FiguresRunView; buckets: OrderBucketView[] }> {
    this.validate(range, bucket);
    const run = await this.latest();
    const currency = run.currency;
    const rows = await this.buckets<{ orders: string; gross: string; refunded: string }>(
      run,
      range,
      bucket,
      `coalesce(sum(d.orders), 0) as orders, coalesce(sum(d.order_gross), 0) as gross, coalesce(sum(d.order_refunded), 0) as refunded`,
    );
    return {
      run,
      buckets: rows.map((r) => {
        const [orders, gross, refunded] = [Number(r.orders), Number(r.gross), Number(r.refunded)];
        return {
          start: new Date(r.start),
          end: new Date(r.end),
          orders,
          gross: { amount: gross, currency },
          refunded: { amount: refunded, currency },
          net: { amount: gross - refunded, currency },
          averageOrderValue: orders > 0 ? { amount: Math.round((gross - refunded) / orders), currency } : null,
        };
      }),
    };
  }

  private async benefitRefs(where = 'true', params: unknown[] = []): Promise<Map<string, BenefitRef & { unitPrice: Amount | null; memberValue: Amount | null }>> {
    const rows = await this.em.execute<
      { id: string; code: string; name: LocalizedText; kind: string; partner_id: string; partner_name: LocalizedText; up: number | null; upc: string | null; mv: number | null; mvc: string | null }[]
    >(
      `select b.id, b.code, b.name, b.kind::text as kind, b.partner_id, p.name as partner_name, b.unit_price_amount as up, b.unit_price_currency as upc,
              b.member_value_amount as mv, b.member_value_currency as mvc
         from benefit b join partner p on p.id = b.partner_id where ${where} order by b.partner_id, b.code`,
      params,
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          benefitId: r.id,
          benefitCode: r.code,
          benefitName: r.name,
          kind: r.kind,
          partnerId: r.partner_id,
          partnerName: r.partner_name,
          unitPrice: r.up != null && r.upc ? { amount: r.up, currency: r.upc } : null,
          memberValue: r.mv != null && r.mvc ? { amount: r.mv, currency: r.mvc } : null,
        },
      ]),
    );
  }

  private static ref(b: BenefitRef): BenefitRef {
    return { benefitId: b.benefitId, benefitCode: b.benefitCode, benefitName: b.benefitName, kind: b.kind, partnerId: b.partnerId, partnerName: b.partnerName };
  }

  /** Membership rights whose period started in the range's months, per benefit and quota: units used ÷ units granted. */
  async benefitUtilization(range: FigureRange): Promise<{ run: FiguresRunView; benefits: BenefitUseView[] }> {
    this.validate(range);
    const run = await this.latest();
    const months = this.monthRange(run, range);
    const [rows, refs] = await Promise.all([
      this.em.execute<{ benefit_id: string; quota: number; rights: string; granted: string; used: string; value: string }[]>(
        `select benefit_id, quota, sum(rights) as rights, sum(units_granted) as granted, sum(units_used) as used, sum(value) as value
           from figures_benefit where ${months.sql} group by benefit_id, quota`,
        months.params,
      ),
      this.benefitRefs(),
    ]);
    const benefits = rows
      .map((r) => {
        const ref = refs.get(r.benefit_id)!;
        const [granted, used] = [Number(r.granted), Number(r.used)];
        return {
          ...ProgramFiguresService.ref(ref),
          quota: r.quota === 0 ? null : r.quota,
          rights: Number(r.rights),
          unitsGranted: granted,
          unitsUsed: used,
          utilization: ratio(used, granted),
          value: { amount: Number(r.value), currency: run.currency },
        };
      })
      .sort((a, b) => a.partnerId.localeCompare(b.partnerId) || a.benefitCode.localeCompare(b.benefitCode) || (a.quota ?? 0) - (b.quota ?? 0));
    return { run, benefits };
  }

  /** Paid periods that started in the range's months: the value they gave (savings valuation) against their fees. */
  async memberValue(range: FigureRange): Promise<{ run: FiguresRunView; value: MemberValueView }> {
    this.validate(range);
    const run = await this.latest();
    const months = this.monthRange(run, range, 'v.month');
    const rows = await this.em.execute<{ plan_code: string; band: number; periods: string; fees: string; value: string }[]>(
      `select pl.code as plan_code, v.band, sum(v.periods) as periods, sum(v.fees) as fees, sum(v.value) as value
         from figures_period_value v join plan pl on pl.id = v.plan_id where ${months.sql} group by pl.code, v.band`,
      months.params,
    );
    const currency = run.currency;
    const money = (amount: number): Amount => ({ amount, currency });
    const sum = (list: typeof rows, f: (r: (typeof rows)[number]) => string) => list.reduce((acc, r) => acc + Number(f(r)), 0);
    const periods = sum(rows, (r) => r.periods);
    const fees = sum(rows, (r) => r.fees);
    const value = sum(rows, (r) => r.value);
    const plans = [...new Set(rows.map((r) => r.plan_code))].sort();
    return {
      run,
      value: {
        currency,
        periods,
        fees: money(fees),
        value: money(value),
        averageFee: periods ? money(Math.round(fees / periods)) : null,
        averageValue: periods ? money(Math.round(value / periods)) : null,
        valueToFee: ratio(value, fees),
        bands: VALUE_BANDS.map((b) => ({ ...b, periods: sum(rows.filter((r) => r.band === b.band), (r) => r.periods) })),
        byPlan: plans.map((planCode) => {
          const of = rows.filter((r) => r.plan_code === planCode);
          const [p, f, v] = [sum(of, (r) => r.periods), sum(of, (r) => r.fees), sum(of, (r) => r.value)];
          return { planCode, periods: p, fees: money(f), value: money(v), valueToFee: ratio(v, f) };
        }),
      },
    };
  }

  /**
   * What a point costs the program, per 1,000: each partner's burn price (cash we pay when points
   * are burned at its till) and each active reward's partner cost (its benefit's unit price × units
   * ÷ its points cost). The liability is stated at the dearest of them — what members could make it
   * cost — with the cheapest priced one beside it.
   */
  async pointValuations(currency: string): Promise<{ highest: number; lowest: number; valuations: PointValuationView[] }> {
    const burn = await this.em.execute<{ id: string; per1000: number }[]>(
      `select id, points_burn_price_per1000 as per1000 from partner where points_burn_price_per1000 is not null and points_currency = ? order by id`,
      [currency],
    );
    const rewards = await this.em.execute<{ code: string; partner_id: string | null; points_cost: number; units: number; unit_price: number }[]>(
      `select r.code, r.partner_id, r.points_cost, r.units, b.unit_price_amount as unit_price
         from loyalty_reward r join benefit b on b.code = r.benefit_code
        where r.active and r.points_cost > 0 and b.unit_price_amount is not null and b.unit_price_currency = ? order by r.code`,
      [currency],
    );
    const valuations: PointValuationView[] = [
      ...burn.map((p) => ({ basis: 'BURN_PRICE' as const, partnerId: p.id, rewardCode: null, pricePer1000: p.per1000 })),
      ...rewards.map((r) => ({ basis: 'REWARD_COST' as const, partnerId: r.partner_id, rewardCode: r.code, pricePer1000: (r.unit_price * r.units * 1000) / r.points_cost })),
    ];
    const prices = valuations.map((v) => v.pricePer1000);
    // A reward whose benefit is agreed at no price costs nothing: the cheapest *priced* way is the floor worth stating.
    const priced = prices.filter((p) => p > 0);
    return { highest: prices.length ? Math.max(...prices) : 0, lowest: priced.length ? Math.min(...priced) : 0, valuations };
  }

  async pointsLiability(): Promise<{ run: FiguresRunView; liability: LiabilityView }> {
    const run = await this.latest();
    const currency = run.currency;
    const { highest, lowest, valuations } = await this.pointValuations(currency);
    const l = run.snapshot.liability;
    const money = (points: number, per1000 = highest): Amount => ({ amount: Math.round((points * per1000) / 1000), currency });
    return {
      run,
      liability: {
        outstandingPoints: l.outstanding,
        members: l.members,
        debtPoints: l.debts,
        pricePer1000: highest,
        amount: money(l.outstanding),
        lowestAmount: money(l.outstanding, lowest),
        valuations,
        expiry: l.byExpiry.map((e) => ({ month: e.month ? new Date(e.month) : null, points: e.points, members: e.members, amount: money(e.points) })),
        byIssuer: l.byIssuer.map((i) => ({ issuer: i.issuer, partnerId: partnerOfIssuer(i.issuer), points: i.points, amount: money(i.points) })),
      },
    };
  }

  async tiers(range: FigureRange): Promise<{ run: FiguresRunView; tiers: TierFiguresView }> {
    this.validate(range);
    const run = await this.latest();
    const months = this.monthRange(run, range);
    const [ladder, moves] = await Promise.all([
      this.em.execute<{ code: string; rank: number; name: LocalizedText }[]>(`select code, rank, name from loyalty_tier order by rank`),
      this.em.execute<{ month: string; from_tier: string; to_tier: string; reason: string; moves: number }[]>(
        `select (month::timestamp at time zone ?) as month, from_tier, to_tier, reason, moves from figures_tier_move where ${months.sql} order by month, from_tier, to_tier, reason`,
        [run.timeZone, ...months.params],
      ),
    ]);
    const counts = new Map(run.snapshot.tiers.map((t) => [t.code, t.members]));
    const total = run.snapshot.tiers.reduce((acc, t) => acc + t.members, 0);
    return {
      run,
      tiers: {
        distribution: ladder.map((t) => ({ tierCode: t.code, tierName: t.name, rank: t.rank, members: counts.get(t.code) ?? 0, share: ratio(counts.get(t.code) ?? 0, total) })),
        moves: moves.map((m) => ({ month: new Date(m.month), fromTier: m.from_tier, toTier: m.to_tier, reason: m.reason, moves: m.moves })),
      },
    };
  }

  /** Each partner's share of the value members received (paid periods started in the range's months) and of the points issued in them, with its live rights now. */
  async partnerDependency(range: FigureRange): Promise<{ run: FiguresRunView; dependency: PartnerDependencyView }> {
    this.validate(range);
    const run = await this.latest();
    const months = this.monthRange(run, range);
    const fMonths = this.monthRange(run, range, 'f.month');
    const currency = run.currency;
    const [partners, value, points] = await Promise.all([
      this.em.execute<{ id: string; name: LocalizedText }[]>(`select id, name from partner order by id`),
      this.em.execute<{ partner_id: string; value: string }[]>(
        `select b.partner_id, sum(f.value) as value from figures_benefit f join benefit b on b.id = f.benefit_id where ${fMonths.sql} group by b.partner_id`,
        fMonths.params,
      ),
      this.em.execute<{ issuer: string; points: string }[]>(`select issuer, sum(points) as points from figures_points_month where ${months.sql} group by issuer`, months.params),
    ]);
    const valueOf = new Map(value.map((v) => [v.partner_id, Number(v.value)]));
    const pointsOf = new Map(points.map((p) => [partnerOfIssuer(p.issuer) ?? '', Number(p.points)]));
    const totalValue = [...valueOf.values()].reduce((a, b) => a + b, 0);
    const totalPoints = points.reduce((acc, p) => acc + Number(p.points), 0);
    const live = run.snapshot.liveRights;
    const benefitPartner = new Map((await this.benefitRefs()).entries());
    return {
      run,
      dependency: {
        currency,
        realizedValue: { amount: totalValue, currency },
        pointsIssued: totalPoints,
        programPointsIssued: points.filter((p) => p.issuer === 'issued').reduce((acc, p) => acc + Number(p.points), 0),
        partners: partners.map((p) => {
          const members = run.snapshot.partnerMembers.find((m) => m.partnerId === p.id);
          return {
            partnerId: p.id,
            partnerName: p.name,
            realizedValue: { amount: valueOf.get(p.id) ?? 0, currency },
            valueShare: ratio(valueOf.get(p.id) ?? 0, totalValue),
            pointsIssued: pointsOf.get(p.id) ?? 0,
            pointsShare: ratio(pointsOf.get(p.id) ?? 0, totalPoints),
            membersWithLiveRights: members?.members ?? 0,
            paidMembersWithLiveRights: members?.paidMembers ?? 0,
            liveRights: live.filter((r) => benefitPartner.get(r.benefitId)?.partnerId === p.id).reduce((acc, r) => acc + r.rights, 0),
          };
        }),
      },
    };
  }

  /** "What if this partner leaves": who and what it touches now, the points tied to it, and what other partners could replace. */
  async partnerExit(partnerId: string): Promise<{ run: FiguresRunView; exit: PartnerExitView }> {
    const [partner] = await this.em.execute<{ id: string; name: LocalizedText }[]>(`select id, name from partner where id = ?`, [partnerId]);
    if (!partner) throw AppError.notFound('partner', partnerId);
    const run = await this.latest();
    const refs = await this.benefitRefs();
    const own = [...refs.values()].filter((b) => b.partnerId === partnerId);
    const members = run.snapshot.partnerMembers.find((m) => m.partnerId === partnerId);
    const issued = run.snapshot.liability.byIssuer.find((i) => partnerOfIssuer(i.issuer) === partnerId)?.points ?? 0;
    const { highest } = await this.pointValuations(run.currency);
    const rewards = await this.em.execute<{ code: string; name: LocalizedText; points_cost: number }[]>(
      `select code, name, points_cost from loyalty_reward where partner_id = ? and active order by code`,
      [partnerId],
    );
    return {
      run,
      exit: {
        partnerId,
        partnerName: partner.name,
        members: members?.members ?? 0,
        paidMembers: members?.paidMembers ?? 0,
        rights: run.snapshot.liveRights
          .filter((r) => refs.get(r.benefitId)?.partnerId === partnerId)
          .map((r) => ({ ...ProgramFiguresService.ref(refs.get(r.benefitId)!), source: r.source, rights: r.rights, members: r.members }))
          .sort((a, b) => a.benefitCode.localeCompare(b.benefitCode) || a.source.localeCompare(b.source)),
        pointsOutstanding: issued,
        pointsLiability: { amount: Math.round((issued * highest) / 1000), currency: run.currency },
        rewards: rewards.map((r) => ({ rewardCode: r.code, rewardName: r.name, pointsCost: r.points_cost })),
        replacements: own.map((b) => ({
          benefit: ProgramFiguresService.ref(b),
          candidates: [...refs.values()]
            .filter((c) => c.partnerId !== partnerId && c.kind === b.kind)
            .map((c) => ({ ...ProgramFiguresService.ref(c), unitPrice: c.unitPrice, memberValue: c.memberValue })),
        })),
      },
    };
  }

  /**
   * A bundle version's cost per member and billing period, for each plan selling its bundle:
   * per benefit, units per period (quota, × months for a monthly quota in a yearly plan; one for
   * ACCESS) × utilization × the partner's unit price, plus the points the program issues a paying
   * member per period × what a point costs, against the plan's fee. Utilization is observed on
   * membership rights of the same benefit and quota whose period is over (else of any quota, else
   * assumed full), unless overridden.
   */
  async bundleCost(bundleVersionId: string, overrides: { utilization: Map<string, number>; pointsPerPeriod: number | null }): Promise<{ run: FiguresRunView; cost: BundleCostView }> {
    // Not an id at all: unknown, like any other (the column is a uuid).
    if (!isUuid(bundleVersionId)) throw AppError.notFound('bundle version', bundleVersionId);
    const [version] = await this.em.execute<{ id: string; bundle_id: string; code: string; version: number }[]>(
      `select v.id, v.bundle_id, b.code, v.version from bundle_version v join bundle b on b.id = v.bundle_id where v.id = ?`,
      [bundleVersionId],
    );
    if (!version) throw AppError.notFound('bundle version', bundleVersionId);
    new InputValidator()
      .check([...overrides.utilization.values()].every((u) => u >= 0 && u <= 1), 'utilization', 'each utilization must be between 0 and 1')
      .check(overrides.pointsPerPeriod === null || overrides.pointsPerPeriod >= 0, 'pointsPerPeriod', 'must be ≥ 0')
      .throwIfInvalid();
    const run = await this.latest();
    const currency = run.currency;
    const [plans, lines, observed, refs, valuation] = await Promise.all([
      this.em.execute<{ id: string; code: string; price_amount: number; currency: string; billing_period: string }[]>(
        `select id, code, price_amount, trim(currency) as currency, billing_period::text from plan where bundle_id = ? order by code`,
        [version.bundle_id],
      ),
      this.em.execute<{ benefit_id: string; quota: number | null; period: string; position: number }[]>(
        `select benefit_id, quota, period::text, position from bundle_benefit where bundle_version_id = ? order by position, benefit_id`,
        [bundleVersionId],
      ),
      this.em.execute<{ benefit_id: string; quota: number; rights: string; granted: string; used: string }[]>(
        `select benefit_id, quota, sum(completed_rights) as rights, sum(completed_granted) as granted, sum(completed_used) as used
           from figures_benefit group by benefit_id, quota`,
      ),
      this.benefitRefs(),
      this.pointValuations(currency),
    ]);
    const money = (amount: number): Amount => ({ amount: Math.round(amount), currency });
    const utilizationOf = (benefitId: string, code: string, quota: number): { utilization: number; source: UtilizationSource; rights: number } => {
      const override = overrides.utilization.get(code);
      const same = observed.filter((o) => o.benefit_id === benefitId && o.quota === quota && Number(o.granted) > 0);
      const any = observed.filter((o) => o.benefit_id === benefitId && Number(o.granted) > 0);
      const of = (list: typeof observed) => ({
        utilization: list.reduce((a, o) => a + Number(o.used), 0) / list.reduce((a, o) => a + Number(o.granted), 0),
        rights: list.reduce((a, o) => a + Number(o.rights), 0),
      });
      if (override !== undefined) return { utilization: override, source: 'OVERRIDE', rights: same.length ? of(same).rights : 0 };
      if (same.length) return { ...of(same), source: 'OBSERVED' };
      if (any.length) return { ...of(any), source: 'OBSERVED_OTHER_QUOTA' };
      return { utilization: 1, source: 'ASSUMED_FULL', rights: 0 };
    };
    return {
      run,
      cost: {
        bundleVersionId,
        bundleCode: version.code,
        version: version.version,
        pointPricePer1000: valuation.highest,
        plans: plans.map((plan) => {
          const monthsPerPeriod = plan.billing_period === 'YEAR' ? 12 : 1;
          const costLines = lines.map((l): CostLineView => {
            const ref = refs.get(l.benefit_id)!;
            const perRight = ref.kind === 'ACCESS' ? 1 : (l.quota ?? 0);
            const unitsPerPeriod = perRight * (l.period === 'CALENDAR_MONTH' ? monthsPerPeriod : 1);
            const u = utilizationOf(l.benefit_id, ref.benefitCode, ref.kind === 'ACCESS' ? 0 : (l.quota ?? 0));
            const expectedUnits = unitsPerPeriod * u.utilization;
            const price = ref.unitPrice && ref.unitPrice.currency === currency ? ref.unitPrice.amount : 0;
            return {
              ...ProgramFiguresService.ref(ref),
              unitsPerPeriod,
              unitPrice: ref.unitPrice,
              utilization: u.utilization,
              utilizationSource: u.source,
              observedRights: u.rights,
              expectedUnits,
              cost: money(expectedUnits * price),
            };
          });
          const observedPoints = run.snapshot.planPoints.find((p) => p.planId === plan.id);
          const pointsPerPeriod = overrides.pointsPerPeriod ?? (observedPoints && observedPoints.periods > 0 ? Math.round(observedPoints.points / observedPoints.periods) : 0);
          const pointsCost = (pointsPerPeriod * valuation.highest) / 1000;
          const partnerCost = costLines.reduce((acc, l) => acc + l.cost.amount, 0);
          const total = partnerCost + Math.round(pointsCost);
          return {
            planCode: plan.code,
            billingPeriod: plan.billing_period,
            fee: { amount: plan.price_amount, currency: plan.currency },
            lines: costLines,
            pointsPerPeriod,
            pointsObservedPeriods: observedPoints?.periods ?? 0,
            pointsCost: money(pointsCost),
            partnerCost: money(partnerCost),
            totalCost: money(total),
            margin: money(plan.price_amount - total),
            costToFee: ratio(total, plan.price_amount),
          };
        }),
      },
    };
  }
}

/** The partner of an issuer account id (`partner-issued:<id>`); null for the program's own. */
export function partnerOfIssuer(issuer: string): string | null {
  return issuer.startsWith('partner-issued:') ? issuer.slice('partner-issued:'.length) : null;
}

export type { FiguresRunSummary };
