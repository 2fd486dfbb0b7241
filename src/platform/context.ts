import type { EntityManager } from '@mikro-orm/postgresql';
import type { Locale } from './localized.js';
import type { Principal } from './principal.js';

/**
 * Long-lived collaborators shared by every request and job of a process: the clock, the
 * program's time zone, and whatever each module needs (signing keys, the payment provider,
 * partners' provisioning). Modules add theirs by declaration merging,
 *
 *     declare module '../../platform/context.js' {
 *       interface AppDependencies { payments: PaymentProvider }
 *     }
 *
 * and the composition root (src/runtime/) builds them once at start-up.
 */
export interface AppDependencies {
  /** Program time zone for periods and member days (`PROGRAM_TIME_ZONE`). */
  timeZone: string;
  /** The clock. @default () => new Date() */
  now?: () => Date;
  /**
   * Members' test clocks (development and tests; absent in production, where every member is
   * on real time). A member on a clock does everything at the clock's time.
   */
  memberClocks?: MemberClocks;
  /** Runs what is due for members on real time or on one test clock (see {@link DueWorkRunner}). */
  dueWork?: DueWorkRunner;
  /** Which segments members are in now (the segment module implements it); absent: none are. */
  memberSegments?: MemberSegments;
}

/** Members' segments as other modules read them (campaign eligibility). */
export interface MemberSegments {
  /** The codes of the segments the member is in now. */
  of(em: EntityManager, memberId: string): Promise<string[]>;
  /** Every segment code the configuration in force defines (what a campaign may target). */
  codes?(em: EntityManager): Promise<string[]>;
}

/** A member's test clock, as of now. */
export interface MemberClock {
  clockId: string;
  /** The clock's frozen time: the member's "now". */
  now: Date;
  /** The clock's time when the member was attached: when they joined, on the clock. */
  joinedAt: Date | null;
}

/** Where members' test clocks are looked up (the test-clock module implements it). */
export interface MemberClocks {
  /** The member's clock; null for a member on real time. */
  of(em: EntityManager, memberId: string): Promise<MemberClock | null>;
}

/** Runs the modules' due work (src/platform/due-work.ts), for the test clocks' advance. */
export interface DueWorkRunner {
  /** The earliest instant anything is due for the members on `clockId` (null: real time); null when nothing is. */
  nextDue(clockId: string | null): Promise<Date | null>;
  /** Runs everything due at or before `now` for those members, until nothing is left; returns how many items ran. */
  runDue(clockId: string | null, now: Date): Promise<number>;
  /** When each due work is next due for the members on `clockId`: where a test clock's advance starts. */
  schedule(clockId: string | null): Promise<DueSchedule>;
  /**
   * Runs what `schedule` says is due at or before `now`, reads the schedule again and repeats
   * until nothing is due by then (or what is due ran nothing: held by another runner); returns
   * the schedule after. What `runDue` then `nextDue` do, without asking every idle work twice.
   */
  runScheduled(clockId: string | null, now: Date, schedule: DueSchedule): Promise<DueSchedule>;
}

/** When each due work is next due (read by {@link DueWorkRunner.schedule}). */
export interface DueSchedule {
  /** The earliest of them; null when nothing is due. */
  readonly next: Date | null;
  /** Per due work, in the runner's order. */
  readonly dues: ReadonlyArray<Date | null>;
}

/** The dependencies of one member's request: `now` on the member's test clock when they are on one. */
export async function depsForMember(deps: AppDependencies, em: EntityManager, memberId: string): Promise<AppDependencies> {
  const clock = await deps.memberClocks?.of(em, memberId);
  if (!clock) return deps;
  const now = clock.now;
  return { ...deps, now: () => now };
}

/** "Now" for one member: their test clock's time when they are on one, else the process clock. */
export async function memberNow(deps: Pick<AppDependencies, 'now' | 'memberClocks'>, em: EntityManager, memberId: string): Promise<Date> {
  const clock = await deps.memberClocks?.of(em, memberId);
  return clock?.now ?? deps.now?.() ?? new Date();
}

/**
 * One request's services, each bound to the request's own EntityManager fork. Modules add
 * theirs by declaration merging (`interface Services { plans: PlanService }`) and declare
 * how to build them in their module definition; each is built on first use.
 */
export interface Services {}

/** One request's DataLoaders (batching and caching per request); modules add theirs as for {@link Services}. */
export interface Loaders {}

/** What every resolver of the membership subgraph receives. */
export interface RequestContext {
  /** The gateway's `x-request-id` (or a fresh one): logs, audit rows and queued work carry it. */
  requestId: string;
  principal: Principal;
  locale: Locale;
  loaders: Loaders;
  services: Services;
}

/** The clock option services take: `{ now }` when the process has its own clock, else nothing. */
export function clockOf(deps: Pick<AppDependencies, 'now'>): { now?: () => Date } {
  return deps.now ? { now: deps.now } : {};
}
