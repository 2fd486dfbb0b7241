// The production shape: gateways ×2, membership subgraphs ×2 (one behind each gateway), the
// sparkwash and streamflix subgraphs, workers ×2, every one its own Node process (the compiled
// entry points, as `npm run build` leaves them) against one PostgreSQL database and one Redis
// (test/support/processes-apart.ts). The coalition path walks across them; the concurrency
// suite sends the same work through both gateways at once (quotas, single-use tokens,
// idempotency keys, rate limits, provisioning delivered once by two workers); and one process
// of each kind is killed with SIGKILL under load without losing or doubling anything
// acknowledged. One set of processes serves every test (each start costs seconds of CPU): the
// killed ones are started again on their ports.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { mulberry32 } from '../partners/verifier-kit/test-issuer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxAdminState } from '../partners/testing/sandbox.js';
import { startProcessesApart, type ProcessesApart } from './support/processes-apart.js';

/** The partners' query budget per window (shared by both gateways through Redis); the other budgets are out of the way. */
const PARTNER_QUERY_LIMIT = 20;

let apart: ProcessesApart;
/** Base URLs of gateway 1 and gateway 2. */
let gateways: [string, string];

beforeAll(async () => {
  apart = await startProcessesApart({ rateLimits: { PARTNER_QUERIES: String(PARTNER_QUERY_LIMIT) } });
  gateways = [apart.gateways[0].url, apart.gateways[1].url];
}, 240_000);

afterAll(async () => {
  await apart?.close();
});

async function graphql(gateway: string, query: string, variables: Record<string, unknown>, bearer: string) {
  const response = await fetch(`${gateway}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }) };
}

/** Polls `read` until `done` holds (the workers run their jobs every second), failing after `ms`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`still not there after ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const ME = `{ me { id membership { status } entitlements { id status remaining benefit { code } carWash { status } streamingAccount { status activationLink } } } }`;

describe('the processes apart, on one database', () => {
  it('walks the coalition path across two gateways, two membership subgraphs, the partner subgraphs and two workers', async () => {
    const [one, two] = gateways;
    const member = await apart.devIssuer.mint(`apart-${randomUUID()}`);
    const subscribed = await graphql(one, `mutation { subscribe(planCode: "PLUS", idempotencyKey: "k1") { id status } }`, {}, member);
    expect(subscribed.errors).toBeUndefined();
    expect(subscribed.data.subscribe.status).toBe('ACTIVE');

    // A worker provisions the car-wash pass at SparkWash and the streaming VIP at Streamflix.
    type Row = { id: string; benefit: { code: string }; status: string; carWash: { status: string } | null; streamingAccount: { status: string; activationLink: string } | null };
    const rows = (r: { data?: any }) => (r.data?.me?.entitlements ?? []) as Row[];
    const provisioned = await eventually(
      () => graphql(two, ME, {}, member),
      (r) => rows(r).find((e) => e.benefit.code === 'CAR_WASH')?.carWash?.status === 'ACTIVE' && rows(r).find((e) => e.benefit.code === 'STREAMING_VIP')?.streamingAccount?.status === 'PENDING_LINK',
    );
    // The member links a Streamflix account; Streamflix's signed acknowledgement reaches the
    // first worker's port and activates the right.
    const link = new URL(rows(provisioned).find((e) => e.benefit.code === 'STREAMING_VIP')!.streamingAccount!.activationLink);
    const form = new URLSearchParams({ entitlement: link.searchParams.get('entitlement')!, code: link.searchParams.get('code')!, streamflixUser: 'apart@streamflix' });
    expect((await fetch(new URL('/activate', link), { method: 'POST', body: form })).status).toBe(200);
    const me = await eventually(
      () => graphql(one, ME, {}, member),
      (r) => rows(r).find((e) => e.benefit.code === 'STREAMING_VIP')?.status === 'ACTIVE',
    );
    const carWash = me.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
    expect(carWash.remaining).toBe(4);

    const issued = await graphql(one, `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: carWash.id }, member);
    expect(issued.errors).toBeUndefined();
    const admin = await apart.devIssuer.mint(`admin-${randomUUID()}`, { admin: true });
    const key = await graphql(two, `mutation { createPartnerApiKey(partnerId: "sparkwash") { key } }`, {}, admin);
    const partner = key.data.createPartnerApiKey.key as string;
    const redeem = `mutation($t: String!) { redeemEntitlement(token: $t, idempotencyKey: "wash-1") { id entitlement { remaining } } }`;
    const redeemed = await graphql(two, redeem, { t: issued.data.issueEntitlementToken.token }, partner);
    expect(redeemed.errors).toBeUndefined();
    expect(redeemed.data.redeemEntitlement.entitlement.remaining).toBe(3);
    // The same request again, through the other gateway and membership subgraph: the first answer.
    const replay = await graphql(one, redeem, { t: issued.data.issueEntitlementToken.token }, partner);
    expect(replay.data.redeemEntitlement.id).toBe(redeemed.data.redeemEntitlement.id);

    // Admins reconcile from the membership subgraph: it reaches the partners configured there.
    const reconciled = await graphql(one, `mutation { reconcilePartner(partnerId: "sparkwash") { checked fixed { action } } }`, {}, admin);
    expect(reconciled.errors).toBeUndefined();
    expect(reconciled.data.reconcilePartner.fixed).toEqual([]);

    // Each gateway serves the status lists from the database.
    const lists = await fetch(`${two}/.well-known/status-lists/sparkwash`);
    expect(lists.status).toBe(200);
  }, 120_000);

  it('delivers each provisioning event to its partner exactly once with two workers, for subscriptions through both gateways', async () => {
    const memberships = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const bearer = await apart.devIssuer.mint(`apart-many-${i}-${randomUUID()}`);
        const res = await graphql(gateways[i % 2], `mutation { subscribe(planCode: "PLUS", idempotencyKey: "k") { id } }`, {}, bearer);
        expect(res.errors).toBeUndefined();
        return res.data.subscribe.id as string;
      }),
    );
    await eventually(
      () => apart.db.query<{ left: number }>(`select count(*)::int as left from outbox_event where delivered_at is null`),
      (rows) => rows[0]!.left === 0,
    );
    const events = await apart.db.query<{ id: string; partner_id: string; entitlement_id: string; dead_at: Date | null }>(
      `select id, partner_id, entitlement_id, dead_at from outbox_event`,
    );
    expect(events.length).toBeGreaterThanOrEqual(2 * memberships.length);
    expect(events.filter((e) => e.dead_at)).toEqual([]);
    // Each event was sent once (not twice by two workers that both claimed it), and took effect once.
    const partners = await partnerLedgers();
    const calls = events.map((e) => ({ event: e.id, partner: e.partner_id, calls: partners.get(e.partner_id)!.calls.get(e.id) ?? 0 }));
    expect(calls.filter((c) => c.calls !== 1)).toEqual([]);
    expect(effectsOtherThanOnce(events, partners)).toEqual([]);
    // SparkWash holds exactly one pass per car-wash right, whichever worker delivered it.
    const carWashes = await apart.db.query<{ id: string }>(
      `select e.id from entitlement e join benefit b on b.id = e.benefit_id where b.code = 'CAR_WASH' and e.membership_id = any($1::uuid[])`,
      [memberships],
    );
    const passes = partners.get('sparkwash')!.effects.filter((e) => e.action === 'PASS_CREATED');
    expect(carWashes).toHaveLength(memberships.length);
    for (const { id } of carWashes) expect(passes.filter((p) => p.entitlementId === id)).toHaveLength(1);
    for (const worker of apart.workers) expect(worker.child.exited()).toBeUndefined();
  }, 120_000);
});

/** Each partner sandbox's record: calls per provisioning event id, and the effects they had. */
async function partnerLedgers(): Promise<Map<string, { calls: Map<string, number>; effects: Array<{ eventId: string | null; action: string; entitlementId?: string }> }>> {
  const ledgers = new Map<string, { calls: Map<string, number>; effects: Array<{ eventId: string | null; action: string; entitlementId?: string }> }>();
  for (const [id, sandbox] of apart.sandboxes) {
    const state = await sandboxAdminState<{
      provisioningCalls?: Record<string, number>;
      deliveries?: Record<string, number>;
      effects: Array<{ eventId: string | null; action: string; entitlementId?: string }>;
    }>(sandbox);
    // Streamflix takes events as webhooks (counted per webhook id, the event id); the others as API calls.
    ledgers.set(id, { calls: new Map(Object.entries(state.provisioningCalls ?? state.deliveries ?? {})), effects: state.effects });
  }
  return ledgers;
}

/**
 * Events that took no effect at their partner, or the same effect twice. (An event can have
 * several effects of different kinds: SkyMiles records a conversion requested, then credited.)
 */
function effectsOtherThanOnce(events: Array<{ id: string; partner_id: string }>, ledgers: Awaited<ReturnType<typeof partnerLedgers>>): unknown[] {
  return events.flatMap((e) => {
    const actions = ledgers.get(e.partner_id)!.effects.filter((x) => x.eventId === e.id).map((x) => x.action);
    return actions.length === 0 || new Set(actions).size !== actions.length ? [{ event: e.id, partner: e.partner_id, actions }] : [];
  });
}

const ISSUE = `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const REDEEM = `mutation($t: String!, $k: String!) { redeemEntitlement(token: $t, idempotencyKey: $k) { id units entitlement { id remaining } } }`;

/** A new member with PLUS through `gateway`, once the car-wash right is provisioned (redeemable); its id. */
async function subscribedMember(gateway: string): Promise<{ bearer: string; carWash: string }> {
  const bearer = await apart.devIssuer.mint(`apart-${randomUUID()}`);
  const subscribed = await graphql(gateway, `mutation { subscribe(planCode: "PLUS", idempotencyKey: "join") { id } }`, {}, bearer);
  expect(subscribed.errors).toBeUndefined();
  const me = await eventually(
    () => graphql(gateway, `{ me { entitlements { id status benefit { code } } } }`, {}, bearer),
    (r) => r.data?.me?.entitlements?.some((e: { status: string; benefit: { code: string } }) => e.benefit.code === 'CAR_WASH' && e.status === 'ACTIVE'),
  );
  return { bearer, carWash: me.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH').id };
}

async function issueTokens(gateway: string, member: { bearer: string; carWash: string }, n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const issued = await graphql(gateway, ISSUE, { id: member.carWash }, member.bearer);
      expect(issued.errors).toBeUndefined();
      return issued.data.issueEntitlementToken.token as string;
    }),
  );
}

async function partnerKey(partnerId: string): Promise<string> {
  const admin = await apart.devIssuer.mint(`admin-${randomUUID()}`, { admin: true });
  const key = await graphql(gateways[1], `mutation($p: ID!) { createPartnerApiKey(partnerId: $p) { key } }`, { p: partnerId }, admin);
  expect(key.errors).toBeUndefined();
  return key.data.createPartnerApiKey.key as string;
}

const codeOf = (r: { errors?: Array<{ extensions?: { code?: string } }> }) => r.errors?.[0]?.extensions?.code;

describe('the concurrency suite, through both gateways at once', () => {
  it('lets exactly the quota through when redemptions of the same rights race through both gateways', async () => {
    const sparkwash = await partnerKey('sparkwash');
    const members = await Promise.all([0, 1, 2].map((i) => subscribedMember(gateways[i % 2])));
    const tokens = await Promise.all(members.map((m, i) => issueTokens(gateways[i % 2], m, 12)));
    // 36 redemptions at once, alternating gateways: each member's right has a quota of 4.
    const requests = tokens.flatMap((mine, m) => mine.map((token, i) => ({ m, token, key: `quota-${m}-${i}` })));
    const results = await Promise.all(requests.map((r, i) => graphql(gateways[i % 2], REDEEM, { t: r.token, k: r.key }, sparkwash).then((res) => ({ ...r, res }))));
    for (let m = 0; m < members.length; m++) {
      const mine = results.filter((r) => r.m === m);
      expect({
        accepted: mine.filter((r) => r.res.data?.redeemEntitlement).length,
        refused: mine.filter((r) => codeOf(r.res) === 'QUOTA_EXHAUSTED').length,
      }).toEqual({ accepted: 4, refused: 8 });
    }
    const rows = await apart.db.query(
      `select e.used, e.quota, count(r.id)::int as rows from entitlement e left join redemption r on r.entitlement_id = e.id
       where e.id = any($1::uuid[]) group by e.id`,
      [members.map((m) => m.carWash)],
    );
    expect(rows).toEqual(members.map(() => ({ used: 4, quota: 4, rows: 4 })));
  }, 120_000);

  it('redeems a token sent through both gateways at once under different keys once; the rest ALREADY_REDEEMED', async () => {
    const sparkwash = await partnerKey('sparkwash');
    const member = await subscribedMember(gateways[0]);
    const [token] = await issueTokens(gateways[1], member, 1);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => graphql(gateways[i % 2], REDEEM, { t: token, k: `single-use-${i}` }, sparkwash)));
    expect(results.filter((r) => r.data?.redeemEntitlement)).toHaveLength(1);
    expect(results.filter((r) => codeOf(r) === 'ALREADY_REDEEMED')).toHaveLength(15);
    expect(await apart.db.query(`select count(*)::int as rows from redemption where entitlement_id = $1`, [member.carWash])).toEqual([{ rows: 1 }]);
    expect(await apart.db.query(`select used from entitlement where id = $1`, [member.carWash])).toEqual([{ used: 1 }]);
  }, 120_000);

  it('gives one effect and one answer for an idempotency key sent through both gateways at once (redemption and subscription)', async () => {
    const sparkwash = await partnerKey('sparkwash');
    const member = await subscribedMember(gateways[1]);
    const [token] = await issueTokens(gateways[0], member, 1);
    const redeemed = await Promise.all(Array.from({ length: 16 }, (_, i) => graphql(gateways[i % 2], REDEEM, { t: token, k: 'same-key' }, sparkwash)));
    expect(redeemed[0]!.data?.redeemEntitlement).toMatchObject({ units: 1, entitlement: { remaining: 3 } });
    for (const r of redeemed) expect(r).toEqual(redeemed[0]);
    expect(await apart.db.query(`select count(*)::int as rows from redemption where entitlement_id = $1`, [member.carWash])).toEqual([{ rows: 1 }]);
    expect(await apart.db.query(`select used from entitlement where id = $1`, [member.carWash])).toEqual([{ used: 1 }]);

    // A member joining, the request sent 8 times through both gateways: one membership, one answer.
    const bearer = await apart.devIssuer.mint(`apart-twice-${randomUUID()}`);
    const joined = await Promise.all(
      Array.from({ length: 8 }, (_, i) => graphql(gateways[i % 2], `mutation { subscribe(planCode: "PLUS", idempotencyKey: "join-once") { id } }`, {}, bearer)),
    );
    expect(joined[0]!.errors).toBeUndefined();
    for (const r of joined) expect(r).toEqual(joined[0]);
    const [row] = await apart.db.query<{ member_id: string }>(`select member_id from membership where id = $1`, [joined[0]!.data.subscribe.id]);
    expect(await apart.db.query(`select count(*)::int as memberships from membership where member_id = $1`, [row!.member_id])).toEqual([{ memberships: 1 }]);
  }, 120_000);

  it(`holds one partner query budget across both gateways (Redis): ${3 * PARTNER_QUERY_LIMIT} queries at once admit exactly ${PARTNER_QUERY_LIMIT}`, async () => {
    const brewbar = await partnerKey('brewbar');
    const results = await Promise.all(
      Array.from({ length: 3 * PARTNER_QUERY_LIMIT }, (_, i) => graphql(gateways[i % 2], `{ __typename }`, {}, brewbar)),
    );
    expect(results.filter((r) => r.status === 200 && !r.errors)).toHaveLength(PARTNER_QUERY_LIMIT);
    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(2 * PARTNER_QUERY_LIMIT);
    for (const r of refused) expect(codeOf(r)).toBe('RATE_LIMITED');
    // One counter for the key, in this run's Redis namespace.
    const redis = new Redis(apart.redis.url);
    try {
      expect(await redis.keys(`${apart.redis.prefix}:partner-query:*`)).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  }, 60_000);
});


/** One client request (a redemption at the till, or a member joining), retried with its idempotency key until it gets an answer. */
interface Op {
  kind: 'redeem' | 'subscribe';
  key: string;
  bearer: string;
  token?: string;
  holder?: number;
  /** The id of the first success answer (a redemption, a membership). */
  ackId?: string;
  /** A final coded refusal. */
  refused?: string;
  attempts: Array<{ gateway: number; at: number; outcome: 'ack' | 'refused' | 'unanswered'; why?: string }>;
}

describe('one process of each kind killed with SIGKILL under load', () => {
  it('loses nothing acknowledged, doubles nothing, and the survivors carry on', async () => {
    const random = mulberry32(0x5eed12);
    const began = Date.now();
    const sparkwash = await partnerKey('sparkwash');
    // Members whose car-wash rights (quota 4) take the redemptions: 6 tokens each, 2 must be refused.
    const holders = await Promise.all(Array.from({ length: 8 }, (_, i) => subscribedMember(gateways[i % 2])));
    const redeems: Op[] = (await Promise.all(holders.map((h, i) => issueTokens(gateways[i % 2], h, 6)))).flatMap((tokens, holder) =>
      tokens.map((token, i) => ({ kind: 'redeem' as const, key: `kill-${holder}-${i}`, bearer: sparkwash, token, holder, attempts: [] })),
    );
    for (let i = redeems.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [redeems[i], redeems[j]] = [redeems[j]!, redeems[i]!];
    }
    const ops: Op[] = [];
    const mismatches: string[] = [];

    /** One attempt through `gateway` (0 or 1); records its outcome. */
    async function attempt(op: Op, gateway: number): Promise<void> {
      let outcome: Op['attempts'][number];
      const at = Date.now();
      try {
        const res =
          op.kind === 'redeem'
            ? await post(gateways[gateway]!, REDEEM, { t: op.token, k: op.key }, op.bearer)
            : await post(gateways[gateway]!, `mutation($k: String!) { subscribe(planCode: "PLUS", idempotencyKey: $k) { id } }`, { k: op.key }, op.bearer);
        const id: unknown = op.kind === 'redeem' ? res.body.data?.redeemEntitlement?.id : res.body.data?.subscribe?.id;
        const code = codeOf(res.body);
        if (res.status === 200 && typeof id === 'string') {
          if (op.refused || (op.ackId && op.ackId !== id)) mismatches.push(`${op.key}: ${op.refused ?? op.ackId}, then ${id}`);
          op.ackId ??= id;
          outcome = { gateway, at, outcome: 'ack' };
        } else if (op.kind === 'redeem' && (code === 'QUOTA_EXHAUSTED' || code === 'ALREADY_REDEEMED')) {
          if (op.ackId || (op.refused && op.refused !== code)) mismatches.push(`${op.key}: ${op.ackId ?? op.refused}, then ${code}`);
          op.refused ??= code;
          outcome = { gateway, at, outcome: 'refused' };
        } else {
          outcome = { gateway, at, outcome: 'unanswered', why: `HTTP ${res.status} ${code ?? JSON.stringify(res.body).slice(0, 200)}` };
        }
      } catch (error) {
        outcome = { gateway, at, outcome: 'unanswered', why: (error as Error).message };
      }
      op.attempts.push(outcome);
    }
    const answered = (op: Op) => op.ackId !== undefined || op.refused !== undefined;
    /** A client: tries one gateway, then the other (as a load balancer would), until answered. */
    async function perform(op: Op, first: number): Promise<void> {
      const until = Date.now() + 90_000;
      for (let k = 0; !answered(op) && Date.now() < until; k++) {
        if (k > 0) await delay(100);
        await attempt(op, (first + k) % 2);
      }
    }

    // The load: 4 clients, each sending one request after another with 300 ms between them (a
    // redemption, then a member joining, …) until the kill schedule is through. (Gentle enough
    // that the restarts, seconds of CPU each, are not starved on two cores.)
    let stop = false;
    let next = 0;
    const nextOp = (): Op => {
      const n = next++;
      if (n % 2 === 0 && redeems.length) return redeems.shift()!;
      return { kind: 'subscribe', key: `kill-join-${n}`, bearer: '', attempts: [] };
    };
    const clients = Array.from({ length: 4 }, async (_, c) => {
      while (!stop) {
        const op = nextOp();
        if (op.kind === 'subscribe') op.bearer = await apart.devIssuer.mint(`apart-kill-${op.key}-${randomUUID()}`);
        ops.push(op);
        await perform(op, (c + next) % 2);
        await delay(300);
      }
    });
    const acks = (since = 0, gateway?: number) =>
      ops.reduce((n, op) => n + op.attempts.filter((a) => a.outcome !== 'unanswered' && a.at >= since && (gateway === undefined || a.gateway === gateway)).length, 0);
    const until = async (what: string, done: () => boolean) => {
      const deadline = Date.now() + 120_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`load: ${what} did not happen within 120 s`);
        await delay(25);
      }
    };
    const kill = async (slot: { name: string; child: { pid: number; exited(): string | undefined } }) => {
      process.kill(slot.child.pid, 'SIGKILL');
      while (!slot.child.exited()) await delay(10);
      return slot.child.exited();
    };

    const kills: Array<string | undefined> = [];
    const loadBegan = Date.now();
    // 1. Gateway 1 and worker 2 die mid-load; the clients fail over to gateway 2, worker 1 delivers.
    await until('10 answers', () => acks() >= 10);
    // Preferably while a delivery is under way (an event under its lease), so the worker may die holding one.
    for (const give = Date.now() + 5_000; Date.now() < give; ) {
      const [leased] = await apart.db.query<{ n: number }>(
        `select count(*)::int as n from outbox_event where delivered_at is null and available_at > now() + interval '30 seconds'`,
      );
      if (leased!.n > 0) break;
    }
    const firstKill = Date.now();
    kills.push(...(await Promise.all([kill(apart.gateways[0]), kill(apart.workers[1])])));
    await Promise.all([apart.gateways[0].restart(), apart.workers[1].restart()]);
    const gatewayBack = Date.now();
    const viaSurvivorDuringOutage = acks(firstKill, 1) - acks(gatewayBack, 1);
    await until('3 answers through the restarted gateway 1', () => acks(gatewayBack, 0) >= 3);
    // 2. Membership subgraph B (behind gateway 2) dies mid-load: gateway 2 answers errors, clients fail over to gateway 1.
    const secondKill = Date.now();
    kills.push(await kill(apart.memberships[1]));
    await until('5 answers through gateway 1 while membership B is down', () => acks(secondKill, 0) >= 5);
    await apart.memberships[1].restart();
    const membershipBack = Date.now();
    const viaSurvivorWhileBDown = acks(secondKill, 0) - acks(membershipBack, 0);
    // Gateway 2 serves again once membership B is back, without a restart of its own.
    await until('3 answers through gateway 2 with membership B back', () => acks(membershipBack, 1) >= 3);
    stop = true;
    await Promise.all(clients);
    const loadEnded = Date.now();
    // The redemptions not sent yet, so every holder's tokens are all answered.
    await Promise.all(redeems.splice(0).map((op, i) => (ops.push(op), perform(op, i % 2))));

    expect(kills).toEqual(['killed by SIGKILL', 'killed by SIGKILL', 'killed by SIGKILL']);
    expect(viaSurvivorDuringOutage).toBeGreaterThan(0);
    expect(viaSurvivorWhileBDown).toBeGreaterThan(0);
    expect(ops.filter((op) => !answered(op)).map((op) => `${op.key}: ${op.attempts.at(-1)?.why}`)).toEqual([]);
    // Every acknowledged request again, through the other gateway than its first answer: the same answer.
    await Promise.all(ops.filter((op) => op.ackId).map((op) => attempt(op, 1 - op.attempts.find((a) => a.outcome === 'ack')!.gateway)));
    expect(mismatches).toEqual([]);

    // --- Redemptions: every acknowledged one is in the ledger under its key, none doubled, none unacknowledged.
    const redeemOps = ops.filter((op) => op.kind === 'redeem');
    const rows = await apart.db.query<{ id: string; idempotency_key: string }>(`select id, idempotency_key from redemption where idempotency_key like 'kill-%'`);
    const rowByKey = new Map(rows.map((r) => [r.idempotency_key, r.id]));
    expect(redeemOps.filter((op) => op.ackId && rowByKey.get(op.key) !== op.ackId).map((op) => op.key)).toEqual([]);
    expect(rows).toHaveLength(redeemOps.filter((op) => op.ackId).length);
    expect(await apart.db.query(`select token_jti from redemption group by 1 having count(*) > 1`)).toEqual([]);
    for (let h = 0; h < holders.length; h++) {
      const mine = redeemOps.filter((op) => op.holder === h);
      expect({ accepted: mine.filter((op) => op.ackId).length, refused: mine.filter((op) => op.refused === 'QUOTA_EXHAUSTED').length }).toEqual({ accepted: 4, refused: 2 });
    }
    expect(
      await apart.db.query(
        `select e.id from entitlement e left join redemption r on r.entitlement_id = e.id
         group by e.id having e.used <> coalesce(sum(r.units), 0) or e.used > coalesce(e.quota, e.used)`,
      ),
    ).toEqual([]);

    // --- Members joining: every acknowledged membership is there, one per member, and becomes active.
    const joined = ops.filter((op) => op.kind === 'subscribe' && op.ackId).map((op) => op.ackId!);
    expect(joined.length).toBeGreaterThan(0);
    expect(await apart.db.query(`select member_id from membership group by 1 having count(*) > 1`)).toEqual([]);
    await eventually(
      () => apart.db.query<{ id: string; status: string }>(`select id, status from membership where id = any($1::uuid[])`, [joined]),
      (rows) => rows.length === joined.length && rows.every((r) => r.status === 'ACTIVE'),
    );

    // --- Provisioning: the survivors deliver what they can; the events the killed worker held
    // under its lease (60 s) come back when the lease runs out, released here instead of waited for.
    await eventually(
      () => apart.db.query<{ due: number }>(`select count(*)::int as due from outbox_event where delivered_at is null and available_at <= now()`),
      (r) => r[0]!.due === 0,
    );
    const released = await apart.db.query<{ id: string; attempts: number; last_error: string | null }>(
      `update outbox_event set available_at = now() where delivered_at is null and dead_at is null and available_at > now() returning id, attempts, last_error`,
    );
    await eventually(
      () => apart.db.query<{ left: number }>(`select count(*)::int as left from outbox_event where delivered_at is null`),
      (r) => r[0]!.left === 0,
    );
    const events = await apart.db.query<{ id: string; partner_id: string; dead_at: Date | null }>(`select id, partner_id, dead_at from outbox_event`);
    expect(events.filter((e) => e.dead_at)).toEqual([]);
    // Every right of every acknowledged membership held at a partner has its event delivered ...
    expect(
      await apart.db.query(
        `select e.id from entitlement e join benefit b on b.id = e.benefit_id
         where e.membership_id = any($1::uuid[]) and b.partner_id is not null
           and not exists (select 1 from outbox_event o where o.entitlement_id = e.id and o.type = 'right.activate' and o.delivered_at is not null)`,
        [joined],
      ),
    ).toEqual([]);
    // ... and took effect at the partner exactly once, however often it was sent.
    const partners = await partnerLedgers();
    expect(effectsOtherThanOnce(events, partners)).toEqual([]);
    const resent = events.filter((e) => (partners.get(e.partner_id)!.calls.get(e.id) ?? 0) > 1).length;

    // Everything runs again: both gateways, both membership subgraphs, both workers, the partners' subgraphs.
    expect(apart.running()).toHaveLength(8);
    const attempts = ops.reduce((n, op) => n + op.attempts.length, 0);
    const cut = ops.filter((op) => op.attempts.some((a) => a.outcome === 'unanswered')).length;
    expect(cut).toBeGreaterThan(0);
    // Committed by a process that died before answering: the row is older than the attempt that got the answer (a retry's replay).
    const created = new Map(
      (
        await apart.db.query<{ id: string; created_at: Date }>(
          `select id, created_at from redemption where idempotency_key like 'kill-%' union all select id, created_at from membership where id = any($1::uuid[])`,
          [joined],
        )
      ).map((r) => [r.id, new Date(r.created_at).getTime()]),
    );
    const inDoubt = ops.filter((op) => op.ackId && created.get(op.ackId)! < op.attempts.find((a) => a.outcome === 'ack')!.at).length;
    console.log(
      `processes apart, 3 SIGKILLs: ${ops.length} requests (${redeemOps.length} redemptions, ${joined.length} members joining), ${attempts} attempts, ` +
        `${cut} requests cut or refused by a dead process and retried (${inDoubt} of them committed before the cut), ${released.length} events released from leases (${released.map((r) => `attempt ${r.attempts}${r.last_error ? `, after "${r.last_error.slice(0, 80)}"` : ''}`).join('; ')}), ${resent} events sent twice (one effect each); ` +
        `setup ${((loadBegan - began) / 1000).toFixed(1)} s, load ${((loadEnded - loadBegan) / 1000).toFixed(1)} s (restarts ${((gatewayBack - firstKill) / 1000).toFixed(1)} s and ${((membershipBack - secondKill) / 1000).toFixed(1)} s), checks ${((Date.now() - loadEnded) / 1000).toFixed(1)} s`,
    );
  }, 240_000);
});

/** One POST with a timeout; rejects on a transport failure (a killed process). */
async function post(gateway: string, query: string, variables: Record<string, unknown>, bearer: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${gateway}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: await response.json() };
}
