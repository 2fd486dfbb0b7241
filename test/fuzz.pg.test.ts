// Issue 4 item 9: schema-driven fuzzing. N random and edge-value operations over every root
// field of schema/api.graphql, from every kind of caller, through the gateway: 0 5xx, 0
// INTERNAL_SERVER_ERROR, every error coded, nothing internal leaked, and the invariants of
// the data intact afterwards (quotas, redemptions and their tokens, vouchers, audit chain).
//
//   FUZZ_OPERATIONS  how many operations (default 10,000; `npm run fuzz` sends 100,000)
//   FUZZ_SEED        the seed to reproduce a run (default: fixed in CI, random otherwise; printed)
//   FUZZ_CONCURRENCY operations in flight (default 8). A seed and a concurrency give the same
//                    operations (each sees the answers to those 8 or more before it); what can
//                    differ is only the outcome of races among the operations in flight.
//                    FUZZ_CONCURRENCY=1 has no races, and is slower.
//   FUZZ_LOG         a file to write every operation and its response to, one JSON line each
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { StaffRole } from '../src/platform/principal.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';
import {
  abbreviate,
  EDGE_STRINGS,
  FuzzGenerator,
  GARBAGE_BEARERS,
  LEAK_PATTERNS,
  loadApiSchema,
  responseProblems,
  ValuePool,
  type FuzzOperation,
  type FuzzResponse,
} from './support/fuzz.js';

/** The seed CI runs with, so a red build reproduces anywhere. */
const CI_SEED = 0x5eedf022;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return value;
}

const OPERATIONS = intFromEnv('FUZZ_OPERATIONS', 10_000);
const CONCURRENCY = Math.max(1, intFromEnv('FUZZ_CONCURRENCY', 8));
const SEED = intFromEnv('FUZZ_SEED', process.env.CI ? CI_SEED : randomInt(0, 2 ** 31));
const LOG = process.env.FUZZ_LOG ? fs.createWriteStream(process.env.FUZZ_LOG) : undefined;
/** A request that takes longer than this is a failure (a hang is a bug too). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Failures printed in full; the rest are counted. */
const FAILURES_SHOWN = 10;
/** How often (in operations) the members get their rights and tokens back; see replenish(). */
const REPLENISH_EVERY = 500;
/** Fresh tokens per usable right at each replenish. */
const TOKENS_PER_REPLENISH = 3;

let t: TestApp;
let orm: MikroORM;
let A: SubscribedMember;
let B: SubscribedMember;
let pool: ValuePool;
let callers: Record<string, ReadonlyArray<string | undefined>>;
let subgraphUrls: string[];

const REDEEM = `mutation($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key) { id } }`;
const ISSUE = `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;

beforeAll(async () => {
  t = await startTestApp();
  orm = await connectOrm({ databaseUrl: t.db.url, entities: [], poolSize: 1 });
  const [a, b, sparkwash, brewbar, admin, pm, support, finance, analyst] = await Promise.all([
    t.subscribedMember(),
    t.subscribedMember(),
    t.partnerKey('sparkwash'),
    t.partnerKey('brewbar'),
    t.adminToken('fuzz-admin'),
    // Every staff role, so the fuzzer also aims at what each is refused and allowed.
    t.staffToken('fuzz-pm', StaffRole.PRODUCT_MANAGER),
    t.staffToken('fuzz-support', StaffRole.SUPPORT),
    t.staffToken('fuzz-finance', StaffRole.FINANCE),
    t.staffToken('fuzz-analyst', StaffRole.ANALYST),
  ]);
  A = a;
  B = b;
  const expired = await t.app.devIssuer!.mint('fuzz-expired', { ttlSeconds: -60 });
  callers = {
    anonymous: [undefined],
    memberA: [A.bearer],
    memberB: [B.bearer],
    sparkwash: [sparkwash],
    brewbar: [brewbar],
    admin: [admin],
    pm: [pm],
    support: [support],
    finance: [finance],
    analyst: [analyst],
    garbage: [...GARBAGE_BEARERS, expired],
  };
  subgraphUrls = t.app.subgraphs.map((s) => s.url);

  // The world the fuzzer starts from: ids, codes and live tokens it can aim at.
  pool = new ValuePool();
  for (const [caller, m] of [['memberA', A], ['memberB', B]] as const) {
    for (const id of Object.values(m.entitlementIds)) pool.add('Entitlement.id', id, caller);
    pool.add('Membership.id', m.membershipId, caller);
    pool.add('Member.id', m.memberId, caller);
  }
  const plans = await t.graphql(`{ plans { code benefits { benefit { code partner { id } } } } }`);
  expect(plans.errors).toBeUndefined();
  for (const plan of plans.data.plans) {
    pool.add('Plan.code', plan.code);
    for (const { benefit } of plan.benefits) {
      pool.add('Benefit.code', benefit.code);
      pool.add('Partner.id', benefit.partner.id);
    }
  }
  const upload = await t.graphql(
    `mutation($codes: [String!]!) { uploadVoucherCodes(benefitCode: "COFFEE", codes: $codes) { accepted } }`,
    { codes: Array.from({ length: 300 }, (_, i) => `FUZZ-SEED-${i}`) },
    { bearer: brewbar },
  );
  expect(upload.errors).toBeUndefined();
  for (const m of [A, B]) {
    for (const code of ['CAR_WASH', 'CAR_WASH', 'CAR_WASH', 'COFFEE', 'COFFEE']) {
      const issued = await t.graphql(ISSUE, { id: m.entitlementIds[code] }, { bearer: m.bearer });
      expect(issued.errors).toBeUndefined();
      pool.add('EntitlementToken.token', issued.data.issueEntitlementToken.token);
    }
  }
  // One redemption already there, so voids and histories have something to find.
  const issued = await t.graphql(ISSUE, { id: A.entitlementIds.CAR_WASH }, { bearer: A.bearer });
  const redeemed = await t.graphql(REDEEM, { token: issued.data.issueEntitlementToken.token, key: 'fuzz-seed' }, { bearer: sparkwash });
  expect(redeemed.errors).toBeUndefined();
  pool.add('Redemption.id', redeemed.data.redeemEntitlement.id);
});

afterAll(async () => {
  LOG?.end();
  await orm?.close();
  await t?.close();
});

async function send(op: FuzzOperation): Promise<FuzzResponse> {
  try {
    const response = await fetch(t.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(op.bearer !== undefined ? { authorization: `Bearer ${op.bearer}` } : {}) },
      body: op.body ?? JSON.stringify({ query: op.query, variables: op.variables, ...(op.operationName !== undefined ? { operationName: op.operationName } : {}) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: FuzzResponse['body'];
    try {
      body = JSON.parse(text) as FuzzResponse['body'];
    } catch {
      body = undefined;
    }
    return { status: response.status, text, body };
  } catch (error) {
    // No answer at all (a crash, a hang): status 0, reported as a problem below.
    return { status: 0, text: `request failed: ${(error as Error).message}`, body: undefined };
  }
}

function report(op: FuzzOperation, res: FuzzResponse, problems: string[]): string {
  return [
    `--- fuzz failure: FUZZ_SEED=${SEED} operation #${op.index} (its own seed ${op.seed}); replay: FUZZ_SEED=${SEED} FUZZ_OPERATIONS=${op.index + 1} FUZZ_CONCURRENCY=${CONCURRENCY}`,
    `problems: ${problems.join('; ')}`,
    `caller:   ${op.caller}${op.caller === 'garbage' ? ` (${abbreviate(op.bearer, 80)})` : ''}`,
    `tweaks:   ${op.tweaks.join(', ') || 'none'}`,
    ...(op.operationName !== undefined ? [`operationName: ${abbreviate(op.operationName, 80)}`] : []),
    `query:    ${op.query.length > 4000 ? `${op.query.slice(0, 4000)}…(${op.query.length} chars)` : op.query}`,
    `variables: ${abbreviate(op.variables)}`,
    ...(op.body !== undefined ? [`raw body sent instead: ${op.body.length > 600 ? `${op.body.slice(0, 600)}…(${op.body.length} chars)` : op.body}`] : []),
    `response: HTTP ${res.status} ${res.text.length > 2000 ? `${res.text.slice(0, 2000)}…` : res.text}`,
  ].join('\n');
}

/** The `aud` of an entitlement token (unverified: only to aim the fuzzer). */
function audienceOf(token: string): string | undefined {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: string }).aud;
  } catch {
    return undefined;
  }
}

function countInto(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function table(map: Map<string, number>): string {
  return [...map.entries()]
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/** What the run saw, for the summary. */
class Tally {
  readonly byField = new Map<string, number>();
  readonly okByField = new Map<string, number>();
  readonly byCode = new Map<string, number>();
  readonly byCaller = new Map<string, number>();
  readonly byTweak = new Map<string, number>();
  readonly byStatus = new Map<string, number>();
  readonly msByField = new Map<string, { total: number; max: number }>();
  readonly failures: string[] = [];
  failed = 0;

  /** Counts one answer and checks it; a problem is kept with what reproduces it. */
  record(op: FuzzOperation, res: FuzzResponse, ms: number): void {
    const field = `${op.root}.${op.field}`;
    const timing = this.msByField.get(field) ?? { total: 0, max: 0 };
    this.msByField.set(field, { total: timing.total + ms, max: Math.max(timing.max, ms) });
    countInto(this.byField, field);
    countInto(this.byCaller, op.caller);
    countInto(this.byStatus, String(res.status));
    op.tweaks.forEach((tw) => countInto(this.byTweak, tw));
    const errors = Array.isArray(res.body?.errors) ? res.body.errors : [];
    for (const e of errors) countInto(this.byCode, String(e?.extensions?.code ?? '(none)'));
    const data = res.body?.data as Record<string, unknown> | null | undefined;
    if (errors.length === 0 && data?.[op.field] != null) countInto(this.okByField, field);
    LOG?.write(`${abbreviate({ index: op.index, caller: op.caller, tweaks: op.tweaks, query: op.query, variables: op.variables, operationName: op.operationName, sent: op.body, status: res.status, body: res.body ?? res.text })}\n`);
    const problems = responseProblems(op, res);
    if (problems.length) {
      this.failed++;
      if (this.failures.length < FAILURES_SHOWN) this.failures.push(report(op, res, problems));
    }
  }

  summary(rootFields: string[], operations: number, seconds: number): string {
    return [
      `fuzz: ${operations} operations in ${seconds.toFixed(1)} s (${(operations / seconds).toFixed(0)} ops/s), ${CONCURRENCY} in flight, FUZZ_SEED=${SEED}`,
      `fuzz: per root field (sent/answered without error): ${rootFields.map((f) => `${f} ${this.byField.get(f) ?? 0}/${this.okByField.get(f) ?? 0}`).join(', ')}`,
      `fuzz: slowest root fields (mean/max ms): ${[...this.msByField.entries()]
        .map(([f, m]) => ({ f, mean: m.total / (this.byField.get(f) ?? 1), max: m.max }))
        .sort((x, y) => y.mean - x.mean)
        .slice(0, 5)
        .map(({ f, mean, max }) => `${f} ${mean.toFixed(0)}/${max.toFixed(0)}`)
        .join(', ')}`,
      `fuzz: per caller: ${table(this.byCaller)}`,
      `fuzz: per error code: ${table(this.byCode)}`,
      `fuzz: per HTTP status: ${table(this.byStatus)}`,
      `fuzz: deliberate defects: ${table(this.byTweak)}`,
      `fuzz: ${this.failed} operations failed`,
    ].join('\n');
  }
}

/**
 * Keeps the world worth fuzzing: refunds, revocations and erasures (all fair game) wear the
 * members' rights down, so now and then each member gets a live membership back and fresh
 * tokens go into the pool. These are ordinary API calls, checked like the fuzzed ones.
 */
async function replenish(index: number, tally: Tally): Promise<void> {
  const call = async (caller: string, bearer: string, query: string, variables: Record<string, unknown> = {}) => {
    const op: FuzzOperation = { index, seed: 0, root: query.startsWith('mutation') ? 'Mutation' : 'Query', field: 'replenish', caller, bearer, query, variables, tweaks: [], shape: new Map() };
    const res = await send(op);
    tally.record(op, res, 0);
    return res.body as { data?: any; errors?: unknown[] } | undefined;
  };
  const ME = `{ me { id membership { id status } entitlements { id status benefit { code } } } }`;
  for (const [caller, member] of [['memberA', A], ['memberB', B]] as const) {
    let me = await call(caller, member.bearer, ME);
    if (me?.data?.me && me.data.me.membership?.status !== 'ACTIVE') {
      await call(caller, member.bearer, `mutation($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id } }`, { key: `replenish-${index}` });
      me = await call(caller, member.bearer, ME);
    }
    const view = me?.data?.me;
    if (!view) continue;
    pool.add('Member.id', view.id, caller);
    if (view.membership) pool.add('Membership.id', view.membership.id, caller);
    for (const e of view.entitlements as Array<{ id: string; status: string; benefit: { code: string } }>) {
      pool.add('Entitlement.id', e.id, caller);
      if (e.status !== 'ACTIVE' || !['CAR_WASH', 'COFFEE'].includes(e.benefit.code)) continue;
      for (let n = 0; n < TOKENS_PER_REPLENISH; n++) {
        const issued = await call(caller, member.bearer, ISSUE, { id: e.id });
        pool.add('EntitlementToken.token', issued?.data?.issueEntitlementToken?.token, caller);
      }
    }
  }
}

describe('fuzzing the public API from its schema', () => {
  it('sends no edge value that would pass for a leak when an error echoes it', () => {
    expect(EDGE_STRINGS.filter((value) => LEAK_PATTERNS.some((pattern) => pattern.test(value)))).toEqual([]);
  });

  it(`answers ${OPERATIONS.toLocaleString('en')} random and edge-value operations with 0 server errors, 0 leaks, and the invariants intact`, { timeout: 120_000 + OPERATIONS * 30 }, async () => {
    console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_OPERATIONS=${OPERATIONS} FUZZ_CONCURRENCY=${CONCURRENCY}`);
    const generator = new FuzzGenerator({
      schema: loadApiSchema(),
      seed: SEED,
      pool,
      callers,
      hints: {
        // A partner mostly presents tokens issued to it (their `aud`), as a till would.
        token: (rng, seen, { caller }) => {
          const tokens = seen.get('EntitlementToken.token');
          const theirs = tokens.filter((token) => audienceOf(token) === caller);
          return theirs.length && rng.chance(0.8) ? rng.pick(theirs) : tokens.length ? rng.pick(tokens) : 'no-token-seen-yet';
        },
        // deleteMyAccount's confirmation, now and then the right one.
        confirm: (rng) => rng.pick(['DELETE', 'delete', 'yes']),
        // Loopback or nowhere: nothing answers on port 9, .invalid never resolves, and our
        // own subgraphs answer but do not compose a second time.
        url: (rng) => rng.pick(['http://127.0.0.1:9/graphql', 'https://partner.invalid/graphql', ...subgraphUrls]),
      },
    });
    const tally = new Tally();
    const inFlight = new Map<number, Promise<void>>();
    const answered = new Map<number, { op: FuzzOperation; res: FuzzResponse }>();
    let observed = 0;
    // Responses feed the generator in index order: operation i sees exactly the answers to
    // 0..i-CONCURRENCY, whatever the timing, so a seed gives the same operations.
    const settleUpTo = async (end: number) => {
      for (; observed < end; observed++) {
        await inFlight.get(observed);
        inFlight.delete(observed);
        const done = answered.get(observed)!;
        answered.delete(observed);
        generator.observe(done.op, done.res.body);
      }
    };

    const started = performance.now();
    for (let i = 0; i < OPERATIONS; i++) {
      if (i > 0 && i % REPLENISH_EVERY === 0) {
        await settleUpTo(i);
        await replenish(i, tally);
      }
      await settleUpTo(i - CONCURRENCY + 1);
      const op = generator.next(i);
      const sentAt = performance.now();
      inFlight.set(
        i,
        send(op).then((res) => {
          answered.set(i, { op, res });
          tally.record(op, res, performance.now() - sentAt);
        }),
      );
    }
    await settleUpTo(OPERATIONS);
    const seconds = (performance.now() - started) / 1000;

    const rootFields = generator.rootFields.map((r) => `${r.root}.${r.field.name}`);
    console.log(tally.summary(rootFields, OPERATIONS, seconds));
    if (tally.failures.length) console.error(tally.failures.join('\n'));
    expect(tally.failed, `${tally.failed} operations failed (FUZZ_SEED=${SEED}); the first ones:\n${tally.failures.join('\n')}`).toBe(0);

    // Every root field was exercised, and the fuzzer got past the doors, not only refusals.
    if (OPERATIONS >= 2000) {
      expect(rootFields.filter((f) => !tally.byField.get(f)), 'root fields never fuzzed').toEqual([]);
      expect([...tally.okByField.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(OPERATIONS / 10);
    }

    // Still serving.
    const after = await t.graphql(`{ plans { code } }`);
    expect(after.errors).toBeUndefined();

    await expectInvariants();
  });
});

async function expectInvariants(): Promise<void> {
  const db = t.db;
  // Each quota counter: within its quota, and equal to the units of the redemptions that
  // stand (not voided) plus the voucher codes claimed for it (a claim takes one unit).
  expect(
    await db.query(
      `select e.id, e.used, e.quota, coalesce(r.units, 0) as redeemed, coalesce(v.claims, 0) as claims
       from entitlement e
       left join (select r.entitlement_id, sum(r.units)::int as units from redemption r
                  where not exists (select 1 from redemption_void rv where rv.redemption_id = r.id)
                  group by 1) r on r.entitlement_id = e.id
       left join (select entitlement_id, count(*)::int as claims from voucher_code where claimed_at is not null group by 1) v
              on v.entitlement_id = e.id
       where e.used < 0 or (e.quota is not null and e.used > e.quota) or e.used <> coalesce(r.units, 0) + coalesce(v.claims, 0)`,
    ),
    'entitlements whose counter is off',
  ).toEqual([]);
  // No redemption without a token we issued for that entitlement and that partner, each token once.
  expect(
    await db.query(
      `select r.id from redemption r
       left join issued_token it on it.jti = r.token_jti
       join entitlement e on e.id = r.entitlement_id join benefit b on b.id = e.benefit_id
       where it.jti is null or it.entitlement_id <> r.entitlement_id or it.partner_id <> r.partner_id or b.partner_id <> r.partner_id`,
    ),
    'redemptions without a matching issued token',
  ).toEqual([]);
  expect(await db.query(`select token_jti from redemption group by 1 having count(*) > 1`), 'tokens redeemed twice').toEqual([]);
  expect(
    await db.query(`select rv.id from redemption_void rv join redemption r on r.id = rv.redemption_id where rv.partner_id <> r.partner_id`),
    'voids by another partner',
  ).toEqual([]);
  // Every redemption and void is in the audit log.
  expect(
    await db.query(
      `select r.id from redemption r where not exists (select 1 from audit_log a where a.action = 'redemption.create' and a.subject = r.id::text)
       union all
       select rv.redemption_id from redemption_void rv where not exists (select 1 from audit_log a where a.action = 'redemption.void' and a.subject = rv.redemption_id::text)`,
    ),
    'redemptions or voids missing from the audit log',
  ).toEqual([]);
  // Voucher codes: claimed once, by the member of the entitlement, for its benefit.
  expect(await db.query(`select partner_id, code from voucher_code group by 1, 2 having count(*) > 1`), 'codes stored twice').toEqual([]);
  expect(
    await db.query(
      `select vc.id from voucher_code vc left join entitlement e on e.id = vc.entitlement_id
       where (vc.claimed_at is null) <> (vc.entitlement_id is null) or (vc.claimed_at is null) <> (vc.member_id is null)
          or (e.id is not null and (e.member_id <> vc.member_id or e.benefit_id <> vc.benefit_id))`,
    ),
    'voucher codes claimed inconsistently',
  ).toEqual([]);
  // The audit chain verifies.
  const chain = await verifyAuditChain(orm.em.fork());
  expect(chain).toMatchObject({ intact: true });

  const [counts] = await db.query(
    `select (select count(*) from redemption)::int as redemptions, (select count(*) from redemption_void)::int as voids,
            (select count(*) from voucher_code where claimed_at is not null)::int as claims, (select count(*) from issued_token)::int as tokens,
            (select count(*) from membership)::int as memberships`,
  );
  console.log(`fuzz: invariants hold over ${JSON.stringify(counts)}; audit chain intact, ${chain.entries} entries`);
}
