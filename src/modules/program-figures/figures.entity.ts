import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

// The program's figures as of one refresh (refresh.ts): small tables the dashboards read, rebuilt
// whole from the real tables in one transaction, so every dashboard states the same `as_of`.
// Days and months are the program's (its time zone); money is minor units of the program currency.

/** One refresh of the figures: when it was as of, what it took, and the figures that are a snapshot (liability, tiers now, live rights). */
@Entity({ tableName: 'figures_run' })
@Index({ properties: ['asOf'] })
export class FiguresRun {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The instant the figures describe. */
  @Property({ type: 'datetime' })
  asOf!: Date;

  @Property({ type: 'text' })
  timeZone!: string;

  @Property({ type: 'text' })
  currency!: string;

  /** `SCHEDULE` (the job) or `ON_DEMAND` (an admin, or the first read of an empty database). */
  @Property({ type: 'text' })
  trigger!: string;

  @Property({ type: 'integer' })
  durationMs!: number;

  /** Milliseconds each step took, by step name (what each dashboard costs from the raw tables). */
  @Property({ type: 'json' })
  steps!: Record<string, number>;

  /** The figures that hold at `as_of` only (points liability, tiers now, live rights by partner, points per paid period). */
  @Property({ type: 'json' })
  snapshot!: Record<string, unknown>;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();
}

/** Per program day: members joining, paid periods starting and ending, periods coming due, memberships ending, orders. */
@Entity({ tableName: 'figures_day' })
export class FiguresDay {
  @PrimaryKey({ type: 'date' })
  day!: string;

  @Property({ type: 'integer', default: 0 })
  newMembers: Opt<number> = 0;

  /** Members whose first paid period started that day. */
  @Property({ type: 'integer', default: 0 })
  newPaidMembers: Opt<number> = 0;

  /** Members whose paid coverage (consecutive or overlapping paid periods) started that day. */
  @Property({ type: 'integer', default: 0 })
  paidStarts: Opt<number> = 0;

  /** Members whose paid coverage ended that day. */
  @Property({ type: 'integer', default: 0 })
  paidEnds: Opt<number> = 0;

  /** Paid periods that ran to their end that day (not cut short by a refund or a plan change). */
  @Property({ type: 'integer', default: 0 })
  periodsDue: Opt<number> = 0;

  /** Of those, the ones a paid period of the same membership followed. */
  @Property({ type: 'integer', default: 0 })
  periodsRenewed: Opt<number> = 0;

  /** Of those, the ones still undecided (the membership is in grace, neither renewed nor ended). */
  @Property({ type: 'integer', default: 0 })
  periodsPending: Opt<number> = 0;

  /** Memberships with a paid period that ended that day. */
  @Property({ type: 'integer', default: 0 })
  membershipsEnded: Opt<number> = 0;

  /** Of those, the ones whose member paid for another membership afterwards. */
  @Property({ type: 'integer', default: 0 })
  endedRepurchased: Opt<number> = 0;

  /** PURCHASE activities in the program currency. */
  @Property({ type: 'integer', default: 0 })
  orders: Opt<number> = 0;

  @Property({ type: 'bigint', default: 0 })
  orderGross: Opt<string> = '0';

  /** What refunds took back of those purchases (whenever refunded). */
  @Property({ type: 'bigint', default: 0 })
  orderRefunded: Opt<string> = '0';
}

/** Members by the program month they joined, and how many of them ever paid for a plan. */
@Entity({ tableName: 'figures_cohort' })
export class FiguresCohort {
  @PrimaryKey({ type: 'date' })
  month!: string;

  @Property({ type: 'integer' })
  members!: number;

  @Property({ type: 'integer' })
  converted!: number;

  @Property({ type: 'integer' })
  convertedWithin30Days!: number;
}

/** Paid periods by the month they started, plan and band of value received ÷ fee paid. */
@Entity({ tableName: 'figures_period_value' })
export class FiguresPeriodValue {
  @PrimaryKey({ type: 'date' })
  month!: string;

  @PrimaryKey({ type: 'uuid' })
  planId!: string;

  /** The band of value ÷ fee (VALUE_BANDS in figures.service.ts). */
  @PrimaryKey({ type: 'smallint' })
  band!: number;

  @Property({ type: 'integer' })
  periods!: number;

  @Property({ type: 'bigint' })
  fees!: string;

  @Property({ type: 'bigint' })
  value!: string;
}

/** Membership rights by the month their period started, benefit and quota: granted, used, and the value they gave. */
@Entity({ tableName: 'figures_benefit' })
export class FiguresBenefit {
  @PrimaryKey({ type: 'date' })
  month!: string;

  @PrimaryKey({ type: 'uuid' })
  benefitId!: string;

  /** The rights' quota; 0 for rights without one (ACCESS). */
  @PrimaryKey({ type: 'integer' })
  quota!: number;

  @Property({ type: 'integer' })
  rights!: number;

  @Property({ type: 'bigint' })
  unitsGranted!: string;

  @Property({ type: 'bigint' })
  unitsUsed!: string;

  /** Member-facing value the rights gave (the savings valuation), within paid periods. */
  @Property({ type: 'bigint' })
  value!: string;

  /** The same three for the rights whose period is over (what the cost simulation observes). */
  @Property({ type: 'integer' })
  completedRights!: number;

  @Property({ type: 'bigint' })
  completedGranted!: string;

  @Property({ type: 'bigint' })
  completedUsed!: string;
}

/** Points issued per program month by issuer account (`issued`: the program; `partner-issued:<id>`: a partner's till), net of take-backs. */
@Entity({ tableName: 'figures_points_month' })
export class FiguresPointsMonth {
  @PrimaryKey({ type: 'date' })
  month!: string;

  @PrimaryKey({ type: 'text' })
  issuer!: string;

  @Property({ type: 'bigint' })
  points!: string;
}

/** Tier moves per program month. */
@Entity({ tableName: 'figures_tier_move' })
export class FiguresTierMove {
  @PrimaryKey({ type: 'date' })
  month!: string;

  @PrimaryKey({ type: 'text' })
  fromTier!: string;

  @PrimaryKey({ type: 'text' })
  toTier!: string;

  @PrimaryKey({ type: 'text' })
  reason!: string;

  @Property({ type: 'integer' })
  moves!: number;
}
