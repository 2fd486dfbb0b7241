import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST, Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { CHANNEL_KEY_PREFIX, PARTNER_KEY_PREFIX } from '../../modules/auth/index.js';
import type { RateLimitSettings } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';

/**
 * Rate limits per caller, checked by the gateway before anything reaches a subgraph.
 *
 * - Who: a partner by the SHA-256 of its API key; a member (or admin) by the SHA-256 of the
 *   bearer JWT's `iss` and `sub`, read WITHOUT verifying the token: it only picks the
 *   bucket, the subgraph still verifies it (a forged token gets a bucket of its own and is
 *   refused there); anyone else, an unreadable credential included, by client address.
 * - What: queries and mutations have separate budgets for members and partners, anonymous
 *   callers one budget for both. A query costs 1; a mutation costs one per root field
 *   (aliases and fragments on `Mutation` included), so ten aliased redemptions in one
 *   operation cost ten. Depth and breadth of queries are the graphql-limits plugin's concern.
 * - Refusal: the whole operation or nothing. A refused one takes nothing from the budget
 *   and gets `RATE_LIMITED`, HTTP 429 and `Retry-After`; admitted ones carry `RateLimit-*`
 *   headers.
 * - Where: counters in memory (per replica) by default; in Redis with `REDIS_URL`, so all
 *   replicas share one budget. When Redis is unreachable or slow each replica falls back to
 *   an in-memory limiter of the same budget (rate-limiter-flexible's insurance limiter):
 *   for the length of the outage the limit holds per replica instead of across them, which
 *   is a looser limit but never an outage of the API. An unexpected limiter failure admits
 *   the operation (logged) for the same reason.
 */

/** The kinds of caller with budgets of their own. */
export type CallerKind = 'member' | 'partner' | 'anonymous';

/** A rate-limited caller: its kind and an opaque bucket key (a SHA-256, never the credential). */
export interface Caller {
  kind: CallerKind;
  key: string;
}

export type OperationKind = 'query' | 'mutation';

/** The outcome of one {@link RateLimiter.take}. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Budget of the window. */
  limit: number;
  /** Points left in the window after this operation. */
  remaining: number;
  /** Seconds until the window resets; absent when the operation alone exceeds the budget. */
  resetSeconds?: number;
}

export interface RateLimiter {
  /** Where the counters live. */
  readonly store: 'memory' | 'redis';
  /** Admits an operation of `cost` points for `caller`, whole or not at all. */
  take(caller: Caller, kind: OperationKind, cost: number): Promise<RateLimitDecision>;
  /** Resolves once the shared store is connected (or after a short wait, when it is not). */
  ready(): Promise<void>;
  /** Closes the Redis connection, if any. */
  close(): Promise<void>;
}

export interface RateLimiterConfig extends RateLimitSettings {
  /** Redis shared by the replicas; absent: counters in process memory. */
  redisUrl?: string | undefined;
}

type Bucket = 'member-query' | 'member-mutation' | 'partner-query' | 'partner-mutation' | 'anonymous';

/** The limiter for `config`: in memory, or in Redis with an in-memory insurance limiter. */
export function createRateLimiter(config: RateLimiterConfig, logger?: Logger): RateLimiter {
  const budgets: Record<Bucket, number> = {
    'member-query': config.memberQueries,
    'member-mutation': config.memberMutations,
    'partner-query': config.partnerQueries,
    'partner-mutation': config.partnerMutations,
    anonymous: config.anonymous,
  };
  const duration = config.windowSeconds;
  const redis = config.redisUrl ? connectRedis(config.redisUrl, logger) : undefined;
  const limiters = Object.fromEntries(
    (Object.entries(budgets) as Array<[Bucket, number]>).map(([bucket, points]) => {
      const keyPrefix = `${config.keyPrefix}:${bucket}`;
      const memory = new RateLimiterMemory({ keyPrefix, points, duration });
      const limiter: RateLimiterAbstract = redis
        ? new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration, rejectIfRedisNotReady: true, insuranceLimiter: memory })
        : memory;
      return [bucket, limiter];
    }),
  ) as Record<Bucket, RateLimiterAbstract>;

  return {
    store: redis ? 'redis' : 'memory',
    async take(caller, kind, cost) {
      const bucket: Bucket = caller.kind === 'anonymous' ? 'anonymous' : `${caller.kind}-${kind}`;
      const limiter = limiters[bucket];
      const limit = budgets[bucket];
      if (cost > limit) return { allowed: false, limit, remaining: 0 };
      try {
        const res = await limiter.consume(caller.key, cost);
        return { allowed: true, limit, remaining: res.remainingPoints, resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          logger?.error({ err: rejection, bucket }, 'rate limiter failed; operation admitted');
          return { allowed: true, limit, remaining: limit, resetSeconds: duration };
        }
        // The counter went up by `cost` before the refusal: give it back, a refused operation costs nothing.
        await limiter.reward(caller.key, cost).catch(() => undefined);
        return { allowed: false, limit, remaining: 0, resetSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      }
    },
    // Until Redis answers, each replica would count on its own: wait for it briefly at start.
    async ready() {
      if (!redis || redis.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          redis.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, 2_000);
        redis.once('ready', done);
      });
    },
    async close() {
      if (!redis) return;
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}

/** A Redis client that fails fast (so the insurance limiter answers) and reconnects on its own. */
function connectRedis(url: string, logger: Logger | undefined): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 500,
  });
  let down = false;
  redis.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger?.warn({ err: error }, 'rate-limit Redis unreachable: limits hold per replica until it is back');
  });
  redis.on('ready', () => {
    if (down) logger?.info('rate-limit Redis reachable again');
    down = false;
  });
  return redis;
}

export interface RateLimitPluginOptions {
  limiter: RateLimiter;
  /** Length of a window in seconds (for the refusal message). */
  windowSeconds: number;
  /** Proxy hops whose `X-Forwarded-For` entries are trusted for the client address. @default 0 */
  trustProxy?: number;
  /**
   * Verifies member JWTs before they pick a bucket: a token that does not verify counts
   * against the client address, so forged subjects cannot each get a budget of their own.
   * Without it the JWT's (`iss`, `sub`) is read unverified.
   */
  identities?: MemberIdentities;
}

/** Verifies a member JWT for bucketing; null when it does not verify. */
export interface MemberIdentities {
  identify(jwt: string): Promise<{ iss: string; sub: string } | null>;
}

const IDENTITY_CACHE_SIZE = 10_000;

/**
 * {@link MemberIdentities} over a JWT verifier, remembering verified tokens until they
 * expire (apps send one token many times) in a bounded cache keyed by the token's hash.
 */
export function cachedMemberIdentities(
  verifier: { verify(jwt: string): Promise<{ iss: string; sub: string; exp?: number }> },
  now: () => number = Date.now,
): MemberIdentities {
  const verified = new Map<string, { iss: string; sub: string; expiresAt: number }>();
  return {
    async identify(jwt) {
      const key = sha256(jwt);
      const cached = verified.get(key);
      if (cached && cached.expiresAt > now()) return cached;
      try {
        const { iss, sub, exp } = await verifier.verify(jwt);
        if (verified.size >= IDENTITY_CACHE_SIZE) verified.delete(verified.keys().next().value!);
        const identity = { iss, sub, expiresAt: typeof exp === 'number' ? exp * 1000 : now() + 60_000 };
        verified.set(key, identity);
        return identity;
      } catch {
        verified.delete(key);
        return null;
      }
    },
  };
}

/**
 * The gateway plugin: before execution (the operation is parsed and valid), takes the
 * operation's cost from the caller's budget, or answers `RATE_LIMITED` without executing.
 */
export function rateLimitPlugin(options: RateLimitPluginOptions, admittedEarlier?: WeakMap<object, RateLimitDecision>): GatewayPlugin {
  const admitted = new WeakMap<Request, RateLimitDecision>();
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation) return;
      const context = args.contextValue as { request?: Request; req?: IncomingMessage };
      // Charged already by the fast lane (fast-lane.ts), which handed the request on: not twice.
      const earlier = context.req ? admittedEarlier?.get(context.req) : undefined;
      if (earlier) {
        if (context.request) admitted.set(context.request, earlier);
        return;
      }
      return takeForOperation(options, context.request?.headers.get('authorization'), context.request?.headers.get('x-forwarded-for'), context.req, args.document, operation).then(
        ({ decision, caller, kind, cost }) => {
          if (decision.allowed) {
            if (context.request) admitted.set(context.request, decision);
            return;
          }
          setResultAndStopExecution({ errors: [refusal(decision, caller.kind, kind, cost, options.windowSeconds)] });
        },
      );
    },
    onResponse({ request, response }) {
      const decision = admitted.get(request);
      if (!decision) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(decision))) response.headers.set(name, value);
    },
  };
}

/** Takes an operation's cost from its caller's budget: what the plugin does before execution, for the fast lane too. */
export async function takeForOperation(
  options: RateLimitPluginOptions,
  authorization: string | null | undefined,
  forwardedFor: string | null | undefined,
  req: IncomingMessage | undefined,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): Promise<{ decision: RateLimitDecision; caller: Caller; kind: OperationKind; cost: number }> {
  const { kind, cost } = operationCost(document, operation);
  const address = () => clientAddress(req, forwardedFor, options.trustProxy ?? 0);
  const caller = options.identities ? await verifiedCallerOf(authorization, address, options.identities) : callerOf(authorization, address);
  return { decision: await options.limiter.take(caller, kind, cost), caller, kind, cost };
}

function refusal(decision: RateLimitDecision, caller: CallerKind, kind: OperationKind, cost: number, windowSeconds: number): AppError {
  const what = caller === 'anonymous' ? 'operations' : kind === 'mutation' ? 'mutations' : 'queries';
  const budget = `${decision.limit} ${what} per ${windowSeconds} s for a${caller === 'anonymous' ? 'n anonymous caller' : ` ${caller}`}`;
  const headers = rateLimitHeaders(decision);
  if (decision.resetSeconds === undefined) {
    return AppError.rateLimited(`This operation makes ${cost} ${what}, more than the ${budget}: send fewer at once`, { headers });
  }
  return AppError.rateLimited(`Rate limit reached: ${budget}; retry in ${decision.resetSeconds} s`, {
    retryAfterSeconds: decision.resetSeconds,
    headers,
  });
}

/** `RateLimit-*` headers (IETF httpapi draft, the widely deployed header-per-field form). */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    ...(decision.resetSeconds !== undefined ? { 'ratelimit-reset': String(decision.resetSeconds) } : {}),
  };
}

/**
 * What an operation costs: 1 for a query (or subscription, counted as a query); for a
 * mutation, one per root field it executes: every distinct response key (an alias, or
 * the field's name), with fragment spreads and inline fragments resolved. Selections with
 * the same response key merge into one execution, so they count once; `__typename` is free;
 * `@skip`/`@include` are ignored (counted), so the cost never falls short. At least 1.
 */
export function operationCost(document: DocumentNode, operation: OperationDefinitionNode): { kind: OperationKind; cost: number } {
  if (operation.operation !== 'mutation') return { kind: 'query', cost: 1 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const keys = new Set<string>();
  const visited = new Set<string>();
  const collect = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) keys.add(selection.alias?.value ?? selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Each fragment once: a second spread adds the same response keys (and stops cycles).
        if (fragment && !visited.has(name)) {
          visited.add(name);
          collect(fragment.selectionSet);
        }
      }
    }
  };
  collect(operation.selectionSet);
  return { kind: 'mutation', cost: Math.max(1, keys.size) };
}

/**
 * Whose budget an operation takes, from the `Authorization` header: a partner by its API
 * key, a member by the JWT's (`iss`, `sub`) read without verification (bucketing only),
 * anyone else by `address()`. Keys are SHA-256 hex: no credential is kept.
 */
export function callerOf(authorization: string | null | undefined, address: () => string): Caller {
  const credential = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
  // Our channels are machine callers like partners: their budgets are partners' (per key).
  if (credential?.startsWith(PARTNER_KEY_PREFIX) || credential?.startsWith(CHANNEL_KEY_PREFIX)) return { kind: 'partner', key: sha256(credential) };
  if (credential) {
    try {
      const { iss, sub } = decodeJwt(credential);
      if (typeof iss === 'string' && typeof sub === 'string' && iss && sub) {
        return { kind: 'member', key: sha256(JSON.stringify([iss, sub])) };
      }
    } catch {
      // Not a JWT: the subgraph refuses it; until then it counts against the client address.
    }
  }
  return { kind: 'anonymous', key: sha256(address()) };
}

/**
 * {@link callerOf}, with member JWTs verified first: one that does not verify (forged,
 * expired, from an untrusted issuer) is charged to the client address like no credential.
 */
export async function verifiedCallerOf(authorization: string | null | undefined, address: () => string, identities: MemberIdentities): Promise<Caller> {
  const caller = callerOf(authorization, address);
  if (caller.kind !== 'member') return caller;
  const jwt = /^Bearer\s+(\S+)\s*$/i.exec(authorization!)![1]!;
  const identity = await identities.identify(jwt);
  return identity ? { kind: 'member', key: sha256(JSON.stringify([identity.iss, identity.sub])) } : { kind: 'anonymous', key: sha256(address()) };
}

/**
 * The client's address: the socket's, or with `trustProxy` hops of proxies in front, the
 * `X-Forwarded-For` entry the outermost trusted proxy saw (entries further left are the
 * client's own say and are not trusted).
 */
export function clientAddress(req: IncomingMessage | undefined, forwardedFor: string | null | undefined, trustProxy: number): string {
  const socket = normalizeAddress(req?.socket?.remoteAddress ?? 'unknown');
  if (trustProxy <= 0 || !forwardedFor) return socket;
  const chain = [...forwardedFor.split(',').map((a) => a.trim()).filter(Boolean), socket];
  return normalizeAddress(chain[Math.max(0, chain.length - 1 - trustProxy)]!);
}

function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
