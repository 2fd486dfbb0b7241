import type { EntityManager } from '@mikro-orm/postgresql';
import type { PriceView } from '../bundle/index.js';
import { partnerPointsFigures } from '../points/index.js';
import { InputValidator } from '../../platform/errors.js';
import { localize, type Locale, type LocalizedText } from '../../platform/localized.js';

/** A half-open period [from, to). */
export interface SettlementPeriod {
  from: Date;
  to: Date;
}

/** One benefit's figures for the period. */
export interface SettlementLineView {
  benefitId: string;
  /** Redemptions in the period, voided ones included. */
  redemptions: number;
  /** Of those, the ones voided. */
  voidedRedemptions: number;
  /** Units redeemed in the period, net of voids. */
  units: number;
  /** Null when no unit price is agreed for the benefit. */
  unitPrice: PriceView | null;
  /** `units × unitPrice`; null when no unit price is agreed. */
  amount: PriceView | null;
}

export interface SettlementView extends SettlementPeriod {
  partnerId: string;
  /** The currency of the partner's agreed prices; null when none is agreed. */
  currency: string | null;
  lines: SettlementLineView[];
  totalRedemptions: number;
  totalVoidedRedemptions: number;
  totalUnits: number;
  /** Sum of the priced lines' amounts; null when no price is agreed. */
  totalAmount: PriceView | null;
}

/** Coalition points at the partner in a period, and what each side owes for them (`partnerSettlement.points`). */
export interface PointsSettlementView {
  /** Points its till issued, net of what refunds of its orders took back. */
  issued: number;
  /** Points members burned at its till. */
  burned: number;
  /** What the partner pays per 1,000 points issued; null when none is agreed. */
  issuePricePer1000: PriceView | null;
  /** What we pay the partner per 1,000 points burned; null when none is agreed. */
  burnPricePer1000: PriceView | null;
  /** `issued × price / 1000`, rounded to the minor unit: what the partner owes. */
  issuedAmount: PriceView | null;
  /** `burned × price / 1000`, rounded to the minor unit: what the partner is owed. */
  burnedAmount: PriceView | null;
}

/** A settlement statement as a document states it: the figures of `partnerSettlement`, with names. */
export interface SettlementDocument {
  settlement: SettlementView;
  partnerName: string;
  /** Each line's benefit code and localized name, in the statement's order. */
  benefits: Array<{ code: string; name: string }>;
  points: PointsSettlementView;
}

export const MAX_SETTLEMENT_DAYS = 366;
const DAY_MS = 86_400_000;

interface LineRow {
  benefit_id: string;
  unit_price_amount: number | null;
  unit_price_currency: string | null;
  redemptions: number;
  voided: number;
  units: number;
  amount: string | null;
  total_redemptions: number;
  total_voided: number;
  total_units: number;
  total_amount: string | null;
}

/**
 * A partner's settlement statement: for each of its benefits, the redemptions of a period
 * (by when they were redeemed), net of voids, times the unit price agreed with it. A void
 * cancels the redemption it compensates, in that redemption's period, so no figure is
 * ever negative.
 */
export class SettlementService {
  constructor(private readonly em: EntityManager) {}

  async statement(partnerId: string, period: SettlementPeriod): Promise<SettlementView> {
    const { from, to } = period;
    new InputValidator()
      .check(from < to, 'to', 'must be after from')
      .check(to.getTime() - from.getTime() <= MAX_SETTLEMENT_DAYS * DAY_MS, 'to', `must be at most ${MAX_SETTLEMENT_DAYS} days after from`)
      .throwIfInvalid();

    const rows = await this.em.execute<LineRow[]>(
      `with used as (
         select e.benefit_id,
                count(*) as redemptions,
                count(v.id) as voided,
                coalesce(sum(r.units) filter (where v.id is null), 0) as units
         from redemption r
         join entitlement e on e.id = r.entitlement_id
         left join redemption_void v on v.redemption_id = r.id
         where r.partner_id = ? and r.created_at >= ? and r.created_at < ?
         group by e.benefit_id
       ), lines as (
         select b.id as benefit_id, b.code, b.unit_price_amount, b.unit_price_currency,
                coalesce(u.redemptions, 0)::int as redemptions,
                coalesce(u.voided, 0)::int as voided,
                coalesce(u.units, 0)::int as units,
                coalesce(u.units, 0)::bigint * b.unit_price_amount as amount
         from benefit b
         left join used u on u.benefit_id = b.id
         where b.partner_id = ?
       )
       select benefit_id, unit_price_amount, unit_price_currency, redemptions, voided, units, amount::text,
              (sum(redemptions) over ())::int as total_redemptions,
              (sum(voided) over ())::int as total_voided,
              (sum(units) over ())::int as total_units,
              (sum(amount) over ())::text as total_amount
       from lines
       order by code`,
      [partnerId, from, to, partnerId],
    );

    const currencies = [...new Set(rows.flatMap((r) => (r.unit_price_currency ? [r.unit_price_currency] : [])))];
    if (currencies.length > 1) {
      // Prices are agreed per partner in one currency; several need a statement per currency.
      throw new Error(`Benefits of partner ${partnerId} are priced in several currencies (${currencies.join(', ')}); settle them per currency`);
    }
    const currency = currencies[0] ?? null;
    const first = rows[0];
    return {
      partnerId,
      from,
      to,
      currency,
      lines: rows.map((r) => {
        const unitPrice = r.unit_price_amount != null && r.unit_price_currency ? { amount: r.unit_price_amount, currency: r.unit_price_currency } : null;
        return {
          benefitId: r.benefit_id,
          redemptions: r.redemptions,
          voidedRedemptions: r.voided,
          units: r.units,
          unitPrice,
          amount: unitPrice && r.amount != null ? { amount: Number(r.amount), currency: unitPrice.currency } : null,
        };
      }),
      totalRedemptions: first?.total_redemptions ?? 0,
      totalVoidedRedemptions: first?.total_voided ?? 0,
      totalUnits: first?.total_units ?? 0,
      totalAmount: currency ? { amount: Number(first?.total_amount ?? 0), currency } : null,
    };
  }

  /** The partner's coalition points in [from, to) and what each side owes for them, summed from the ledger. */
  async pointsSettlement(partnerId: string, from: Date, to: Date): Promise<PointsSettlementView> {
    const figures = await partnerPointsFigures(this.em, partnerId, from, to);
    const [partner] = await this.em.execute<{ points_issue_price_per1000: number | null; points_burn_price_per1000: number | null; points_currency: string | null }[]>(
      `select points_issue_price_per1000, points_burn_price_per1000, points_currency from partner where id = ?`,
      [partnerId],
    );
    const currency = partner?.points_currency ?? null;
    const price = (per1000: number | null | undefined) => (per1000 == null || !currency ? null : { amount: per1000, currency });
    const amount = (points: number, per1000: number | null | undefined) => (per1000 == null || !currency ? null : { amount: Math.round((points * per1000) / 1000), currency });
    return {
      issued: figures.issued,
      burned: figures.burned,
      issuePricePer1000: price(partner?.points_issue_price_per1000),
      burnPricePer1000: price(partner?.points_burn_price_per1000),
      issuedAmount: amount(figures.issued, partner?.points_issue_price_per1000),
      burnedAmount: amount(figures.burned, partner?.points_burn_price_per1000),
    };
  }

  /**
   * The statement and its points, with the partner's and benefits' names in `locale`: what the
   * downloadable statements (CSV, PDF) state, the same figures as `partnerSettlement`.
   */
  async document(partnerId: string, period: SettlementPeriod, locale: Locale): Promise<SettlementDocument> {
    const settlement = await this.statement(partnerId, period);
    const points = await this.pointsSettlement(partnerId, period.from, period.to);
    const [partner] = await this.em.execute<{ name: LocalizedText }[]>(`select name from partner where id = ?`, [partnerId]);
    const benefitIds = settlement.lines.map((line) => line.benefitId);
    const rows = benefitIds.length
      ? await this.em.execute<{ id: string; code: string; name: LocalizedText }[]>(`select id, code, name from benefit where id in (${benefitIds.map(() => '?').join(', ')})`, benefitIds)
      : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return {
      settlement,
      partnerName: partner ? localize(partner.name, locale) : partnerId,
      benefits: benefitIds.map((id) => ({ code: byId.get(id)!.code, name: localize(byId.get(id)!.name, locale) })),
      points,
    };
  }
}
