// The error table (src/platform/errors.ts and each module's *.errors.ts) is what clients are
// promised: for each code this test can provoke through the gateway, the HTTP status matches
// the table's, and the error's extensions are exactly `code` plus the fields the table declares
// (the gateway drops anything else, and keeps everything declared: VOID_WINDOW_CLOSED's
// windowSeconds reaches the partner).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadErrorCatalog } from '../src/modules/index.js';
import type { ErrorCatalog } from '../src/platform/errors.js';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
let catalog: ErrorCatalog;
let sparkwash: string;
let admin: string;

beforeAll(async () => {
  // A void window of 0 s: every void is too late, so VOID_WINDOW_CLOSED is easy to provoke.
  t = await startTestApp({ env: { REDEMPTION_VOID_WINDOW_SECONDS: '0', GRAPHQL_MAX_DEPTH: '4' } });
  catalog = await loadErrorCatalog();
  sparkwash = await t.partnerKey('sparkwash');
  admin = await t.adminToken(`admin-${randomUUID()}`);
});
afterAll(async () => {
  await t?.close();
});

const ISSUE = `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const REDEEM = `mutation($token: String!, $key: String!, $units: Int) { redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id } }`;

async function tokenFor(bearer: string, entitlementId: string): Promise<string> {
  const res = await t.graphql(ISSUE, { id: entitlementId }, { bearer });
  expect(res.errors).toBeUndefined();
  return res.data.issueEntitlementToken.token;
}

/** Each code and an operation that provokes it (as the only error of its response). */
const cases: Array<[string, () => Promise<{ status: number; errors?: Array<{ extensions?: Record<string, unknown> }> }>]> = [
  ['UNAUTHENTICATED', () => t.graphql(`{ me { id } }`)],
  ['FORBIDDEN', () => t.graphql(`{ me { id } }`, {}, { bearer: sparkwash })],
  ['BAD_USER_INPUT', () => t.graphql(`mutation { subscribe(planCode: "", idempotencyKey: "") { id } }`, {}, { bearer: admin })],
  ['NOT_FOUND', () => t.graphql(`mutation { subscribe(planCode: "NO_SUCH_PLAN", idempotencyKey: "k") { id } }`, {}, { bearer: admin })],
  ['QUERY_TOO_COMPLEX', () => t.graphql(`{ me { entitlements { benefit { partner { name } } } } }`, {}, { bearer: admin })],
  ['GRAPHQL_VALIDATION_FAILED', () => t.graphql(`{ noSuchField }`)],
  ['GRAPHQL_PARSE_FAILED', () => t.graphql(`{ plans { code `)],
  ['OPERATION_RESOLUTION_FAILURE', () => t.graphql(`query A { plans { code } } query B { plans { code } }`)],
  [
    'TOKEN_INVALID',
    async () => {
      const member = await t.subscribedMember();
      return t.graphql(REDEEM, { token: await tokenFor(member.bearer, member.entitlementIds.COFFEE!), key: randomUUID() }, { bearer: sparkwash });
    },
  ],
  [
    'QUOTA_EXHAUSTED',
    async () => {
      const member = await t.subscribedMember();
      return t.graphql(REDEEM, { token: await tokenFor(member.bearer, member.entitlementIds.CAR_WASH!), key: randomUUID(), units: 5 }, { bearer: sparkwash });
    },
  ],
  [
    'ALREADY_REDEEMED',
    async () => {
      const member = await t.subscribedMember();
      const token = await tokenFor(member.bearer, member.entitlementIds.CAR_WASH!);
      expect((await t.graphql(REDEEM, { token, key: randomUUID() }, { bearer: sparkwash })).errors).toBeUndefined();
      return t.graphql(REDEEM, { token, key: randomUUID() }, { bearer: sparkwash });
    },
  ],
  [
    'IDEMPOTENCY_CONFLICT',
    async () => {
      const member = await t.subscribedMember();
      const key = randomUUID();
      expect((await t.graphql(REDEEM, { token: await tokenFor(member.bearer, member.entitlementIds.CAR_WASH!), key }, { bearer: sparkwash })).errors).toBeUndefined();
      return t.graphql(REDEEM, { token: await tokenFor(member.bearer, member.entitlementIds.CAR_WASH!), key }, { bearer: sparkwash });
    },
  ],
  [
    'VOID_WINDOW_CLOSED',
    async () => {
      const member = await t.subscribedMember();
      const redeemed = await t.graphql(REDEEM, { token: await tokenFor(member.bearer, member.entitlementIds.CAR_WASH!), key: randomUUID() }, { bearer: sparkwash });
      await new Promise((resolve) => setTimeout(resolve, 5));
      return t.graphql(`mutation($id: ID!) { voidRedemption(redemptionId: $id, reason: "typo") { id } }`, { id: redeemed.data.redeemEntitlement.id }, { bearer: sparkwash });
    },
  ],
  ['ALREADY_MEMBER', async () => {
    const member = await t.subscribedMember();
    return t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "another") { id } }`, {}, { bearer: member.bearer });
  }],
];

describe('the error table', () => {
  it.each(cases)('%s: the HTTP status and the extensions clients get are the ones the table declares', async (code, provoke) => {
    const spec = catalog.spec(code);
    expect(spec, `${code} is in the table`).toBeDefined();
    const response = await provoke();
    const error = response.errors?.find((e) => e.extensions?.code === code);
    expect(error, `${code} among ${JSON.stringify(response.errors)}`).toBeDefined();
    expect(response.status).toBe(spec!.http);
    const shown = Object.keys(error!.extensions ?? {}).filter((key) => key !== 'code');
    for (const key of shown) expect(spec!.extensions, `${code}.extensions.${key} is declared`).toContain(key);
  });

  it('passes VOID_WINDOW_CLOSED through with its redemptionId and windowSeconds', async () => {
    const [, provoke] = cases.find(([code]) => code === 'VOID_WINDOW_CLOSED')!;
    const response = await provoke();
    expect(response.errors?.[0]?.extensions).toEqual({ code: 'VOID_WINDOW_CLOSED', redemptionId: expect.any(String), windowSeconds: 0 });
  });
});
