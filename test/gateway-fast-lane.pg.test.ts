// The gateway's fast lane (src/edge/fast-lane.ts): an operation planned as one fetch from one of
// our subgraphs is answered beside the runtime once the runtime has run it, with the same answer
// and headers; anything but a clean answer is handed to the runtime, which replays what the
// subgraph already said instead of asking again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

let t: TestApp;
let member: SubscribedMember;
const statements: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ onQuery: (sql) => statements.push(sql) });
  member = await t.subscribedMember();
});
afterAll(async () => {
  await t?.close();
});

const ME = 'query Me { me { membership { status plan { code } } entitlements { id status remaining benefit { code name partner { id name } } } } }';

async function fastLaneCount(): Promise<number> {
  const text = await (await fetch(t.app.metricsUrl)).text();
  return Number(/^graphql_fast_lane_operations_total (\d+)/m.exec(text)?.[1] ?? 0);
}

interface Sent {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  /** SQL statements the subgraph ran for it. */
  statements: number;
  /** Whether the fast lane answered it. */
  fast: boolean;
  /** RateLimit-Remaining, apart from `headers` (it moves with every call). */
  remaining: number;
}

async function send(body: unknown, headers: Record<string, string> = {}): Promise<Sent> {
  const before = await fastLaneCount();
  statements.length = 0;
  const res = await fetch(t.app.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${member.bearer}`, ...headers },
    body: JSON.stringify(body),
  });
  const answer = await res.json();
  const seen = Object.fromEntries([...res.headers].filter(([name]) => !['date', 'x-request-id'].includes(name)));
  const remaining = Number(seen['ratelimit-remaining']);
  if (seen['ratelimit-remaining']) seen['ratelimit-remaining'] = '(n)';
  // Seconds left in the window: two calls a moment apart may straddle a second (60, then 59).
  if (seen['ratelimit-reset']) {
    expect(seen['ratelimit-reset']).toMatch(/^\d+$/);
    seen['ratelimit-reset'] = '(s)';
  }
  return { status: res.status, headers: seen, body: answer, statements: statements.length, fast: (await fastLaneCount()) > before, remaining };
}

describe('the gateway fast lane', () => {
  it('answers an operation it has seen, exactly as the runtime does (body, status, headers, CORS)', async () => {
    const cases: Array<Record<string, string>> = [{}, { origin: 'http://localhost:5173' }, { origin: 'http://elsewhere.example' }, { accept: 'application/graphql-response+json, application/json' }];
    for (const [i, headers] of cases.entries()) {
      // Each case a text of its own: its first call is the runtime's.
      const body = { query: `${ME}${' '.repeat(i)}`, operationName: 'Me', variables: {} };
      const first = await send(body, headers);
      const second = await send(body, headers);
      expect(first.fast).toBe(false);
      expect(second.fast).toBe(true);
      // (the subgraph's own caches make the first call's statements differ)
      expect({ ...second, statements: 0, remaining: 0 }).toEqual({ ...first, fast: true, statements: 0, remaining: 0 });
      expect(second.remaining).toBe(first.remaining - 1);
      expect((second.body as { data: { me: { entitlements: unknown[] } } }).data.me.entitlements.length).toBeGreaterThan(0);
    }
  });

  it('relays an operation the planner sends with fragments of its own (repeated selections factored out)', async () => {
    const body = { query: 'query Progress { me { tierProgress { qualifyingSpend { amount } spendToNextTier { amount } explanation } points { balance } } }' };
    const first = await send(body);
    const second = await send(body);
    expect(first.fast).toBe(false);
    expect(second.fast).toBe(true);
    expect((second.body as { data: { me: { tierProgress: unknown } } }).data.me.tierProgress).toBeTruthy();
    expect({ ...second, statements: 0, remaining: 0 }).toEqual({ ...first, fast: true, statements: 0, remaining: 0 });
  });

  it('answers { __typename } from the operation alone', async () => {
    await send({ query: '{ __typename }' });
    const again = await send({ query: '{ __typename }' });
    expect(again).toMatchObject({ fast: true, status: 200, body: { data: { __typename: 'Query' } }, statements: 0 });
  });

  it('hands a subgraph error to the runtime, which shapes it without calling the subgraph again', async () => {
    const issue = { query: 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }', operationName: 'Issue' };
    const unknown = '00000000-0000-4000-8000-000000000000';
    // Learned on a good call (the runtime's), then an error through the lane.
    await send({ ...issue, variables: { id: member.entitlementIds.CAR_WASH } });
    const full = await send({ ...issue, query: `${issue.query} `, variables: { id: unknown } });
    const viaLane = await send({ ...issue, variables: { id: unknown } });
    expect(viaLane.fast).toBe(false);
    expect(full.body).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    expect(viaLane.body).toEqual(full.body);
    expect(viaLane.status).toBe(full.status);
    expect(viaLane.headers).toEqual(full.headers);
    // Charged once: the runtime takes no second point for what the lane handed it.
    expect(viaLane.remaining).toBe(full.remaining - 1);
    // Sent once: the subgraph ran the same statements as for the runtime's own call.
    expect(viaLane.statements).toBe(full.statements);
    expect(full.statements).toBeGreaterThan(0);
  });

  it('leaves to the runtime what it cannot relay as is: variables that do not coerce, type conditions, directives, several subgraphs', async () => {
    const issue = 'mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
    const coerce = { query: issue, variables: { id: { not: 'an id' } } };
    await send(coerce);
    const refused = await send(coerce);
    expect(refused.fast).toBe(false);
    expect(refused.body).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });

    for (const query of ['query S($s: Boolean!) { me { id tier @skip(if: $s) { code } } }']) {
      await send({ query, variables: { s: true } });
      const again = await send({ query, variables: { s: false } });
      expect(again.fast).toBe(false);
      expect(again.body).toMatchObject({ data: { me: { tier: expect.anything() } } });
    }
  });
});
