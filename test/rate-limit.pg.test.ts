import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { generateKeyPair, SignJWT } from 'jose';
import { DEV_ISSUER } from '../src/modules/auth/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

const ME = '{ me { id } }';
const ISSUE = `mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;

/** One operation redeeming every token, each under an alias of its own. */
function aliasedRedemptions(tokens: string[]): string {
  const fields = tokens.map((token, i) => `r${i}: redeemEntitlement(token: ${JSON.stringify(token)}, idempotencyKey: "${randomUUID()}") { id units }`);
  return `mutation Redeem { ${fields.join('\n')} }`;
}

/** POSTs to the gateway and keeps the response headers (TestApp.graphql drops them). */
async function post(url: string, query: string, bearer: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  return { status: response.status, headers: response.headers, ...body };
}

describe('rate limits per member and per partner (in memory)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_MEMBER_QUERIES: '3', RATE_LIMIT_PARTNER_MUTATIONS: '5' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a member past the limit with RATE_LIMITED, HTTP 429 and Retry-After, while another member is unaffected', async () => {
    const alice = await t.memberToken(`alice-${randomUUID()}`);
    const bob = await t.memberToken(`bob-${randomUUID()}`);
    for (let i = 0; i < 3; i++) {
      const ok = await post(t.app.graphqlUrl, ME, alice);
      expect(ok.status).toBe(200);
      expect(ok.errors).toBeUndefined();
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }

    const refused = await post(t.app.graphqlUrl, ME, alice);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.errors?.[0]?.message).toMatch(/^Rate limit reached: 3 queries per 60 s for a member; retry in \d+ s$/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.errors?.[0]?.extensions?.retryAfter).toBe(retryAfter);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.data ?? null).toBeNull();

    const other = await post(t.app.graphqlUrl, ME, bob);
    expect(other.status).toBe(200);
    expect(other.errors).toBeUndefined();
  });

  it('lets browser apps read Retry-After, the RateLimit headers and the request id (CORS)', async () => {
    const response = await fetch(t.app.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:5173', authorization: `Bearer ${await t.memberToken(`cors-${randomUUID()}`)}` },
      body: JSON.stringify({ query: ME }),
    });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const exposed = (response.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id']));
  });

  it('counts 10 aliased redemptions in one operation as 10: a budget of 5 refuses it whole, and nothing is redeemed', async () => {
    const partner = await t.partnerKey('sparkwash');
    const tokens: string[] = [];
    for (const take of [4, 4, 2]) {
      const member = await t.subscribedMember();
      for (let i = 0; i < take; i++) {
        const issued = await t.graphql(ISSUE, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer });
        expect(issued.errors).toBeUndefined();
        tokens.push(issued.data.issueEntitlementToken.token);
      }
    }
    const ledger = () => t.db.query(`select (select count(*) from redemption)::int as redemptions, (select coalesce(sum(used), 0) from entitlement)::int as used`);
    const before = await ledger();

    const refused = await post(t.app.graphqlUrl, aliasedRedemptions(tokens), partner);
    expect(refused.status).toBe(429);
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(refused.errors?.[0]?.message).toBe('This operation makes 10 mutations, more than the 5 mutations per 60 s for a partner: send fewer at once');
    expect(await ledger()).toEqual(before);

    // The refusal took nothing from the budget: five aliases fit it exactly, a sixth redemption does not.
    const five = await post(t.app.graphqlUrl, aliasedRedemptions(tokens.slice(0, 5)), partner);
    expect(five.status).toBe(200);
    expect(five.errors).toBeUndefined();
    expect(Object.keys(five.data as object)).toHaveLength(5);
    const sixth = await post(t.app.graphqlUrl, aliasedRedemptions(tokens.slice(5, 6)), partner);
    expect(sixth.status).toBe(429);
    expect(sixth.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    const [after] = await ledger();
    expect(after).toEqual({ redemptions: before[0].redemptions + 5, used: before[0].used + 5 });
  });
});

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';


// Redis runs on 127.0.0.1:6379 on these machines (REDIS_URL overrides): this must run, never skip.
describe('rate limits shared through Redis (REDIS_URL)', () => {
  const prefix = `coalition-test:${randomUUID()}`;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = { REDIS_URL, RATE_LIMIT_KEY_PREFIX: prefix, RATE_LIMIT_MEMBER_QUERIES: '4' };
    [a, b] = await Promise.all([startTestApp({ env }), startTestApp({ env })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('holds one limit across two gateway instances: requests split across both still stop at the limit', async () => {
    // The same identity (iss, sub) on both: each instance trusts only its own dev issuer's signature.
    const subject = `carol-${randomUUID()}`;
    const onA = await a.memberToken(subject);
    const onB = await b.memberToken(subject);
    const statuses: number[] = [];
    for (const [app, bearer] of [[a, onA], [b, onB], [a, onA], [b, onB], [a, onA], [b, onB]] as const) {
      statuses.push((await post(app.app.graphqlUrl, ME, bearer)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);

    const refused = await post(b.app.graphqlUrl, ME, onB);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    const redis = new Redis(REDIS_URL);
    expect(await redis.keys(`${prefix}:member-query:*`)).toHaveLength(1);
    await redis.quit();
  });
});

describe('when Redis is unreachable', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Port 1 on loopback: connection refused, as in an outage.
    t = await startTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_KEY_PREFIX: `outage-${randomUUID()}`, RATE_LIMIT_MEMBER_QUERIES: '2' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps serving and limits each instance in memory (the insurance limiter)', async () => {
    const dave = await t.memberToken(`dave-${randomUUID()}`);
    expect((await post(t.app.graphqlUrl, ME, dave)).status).toBe(200);
    expect((await post(t.app.graphqlUrl, ME, dave)).status).toBe(200);
    const refused = await post(t.app.graphqlUrl, ME, dave);
    expect(refused.status).toBe(429);
    expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});

describe('forged member tokens', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_ANONYMOUS: '4', RATE_LIMIT_MEMBER_QUERIES: '100' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('share the client address budget, whatever subject each claims, while a real member keeps their own', async () => {
    // Tokens that look like the dev issuer's, each for a new subject, signed with another key.
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forge = (sub: string) =>
      new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(DEV_ISSUER).setSubject(sub).setAudience('coalition-gateway').setExpirationTime('5m').sign(privateKey);
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await post(t.app.graphqlUrl, ME, await forge(`forged-${randomUUID()}`));
      codes.push(String(res.errors?.[0]?.extensions?.code));
    }
    expect(codes).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED', 'RATE_LIMITED']);
    // A genuine token verifies at the gateway and takes its own member budget.
    const real = await t.memberToken(`real-${randomUUID()}`);
    const ok = await post(t.app.graphqlUrl, ME, real);
    expect(ok.errors).toBeUndefined();
    expect(ok.headers.get('ratelimit-limit')).toBe('100');
  });
});
