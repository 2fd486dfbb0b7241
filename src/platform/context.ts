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
