import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingFetch, SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../partners/sdk/subgraph-signature.js';
import { capturedLogger } from './support/log-lines.js';
import { startTestApp, type TestApp } from './support/app.js';

// Issue 4, internal surfaces: subgraphs answer the gateway only, metrics are not public,
// the request id reaches the subgraphs' logs and no credential does.

let t: TestApp;
const { logger, lines } = capturedLogger();
const SECRET = 'an-internal-surfaces-test-secret-of-32-characters';

beforeAll(async () => {
  t = await startTestApp({ logger, env: { SUBGRAPH_SECRET: SECRET } });
});
afterAll(async () => {
  await t?.close();
});

function subgraphUrl(name: string): string {
  return t.app.subgraphs.find((s) => s.name === name)!.url;
}

const ENTITIES = JSON.stringify({
  query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Entitlement { id carWash { status } } } }',
  variables: { r: [{ __typename: 'Entitlement', id: 'x', benefit: { partner: { id: 'sparkwash' } } }] },
});
const PLANS = JSON.stringify({ query: '{ plans { code } }' });

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: await response.json() };
}

describe('subgraphs accept only the gateway', () => {
  it('refuses an unsigned request to the membership subgraph with 401 and no data', async () => {
    const res = await post(subgraphUrl('membership'), PLANS);
    expect(res.status).toBe(401);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses _entities on the membership subgraph without a signature', async () => {
    const body = JSON.stringify({ query: '{ _entities(representations: [{ __typename: "Member", id: "m" }]) { __typename } }' });
    const res = await post(subgraphUrl('membership'), body);
    expect(res.status).toBe(401);
    expect(res.body.data).toBeUndefined();
  });

  it('refuses a request signed with the wrong secret', async () => {
    const res = await post(subgraphUrl('membership'), PLANS, {
      [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest('not-the-gateway-secret-but-32-characters-long', PLANS),
    });
    expect(res.status).toBe(401);
    expect(res.body.data).toBeUndefined();
  });

  it('refuses a signature over another body and a stale one', async () => {
    const other = await post(subgraphUrl('membership'), PLANS, { [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(SECRET, '{}') });
    expect(other.status).toBe(401);
    const stale = await post(subgraphUrl('membership'), PLANS, {
      [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(SECRET, PLANS, new Date(Date.now() - 10 * 60_000)),
    });
    expect(stale.status).toBe(401);
  });

  it('refuses _entities on a partner subgraph without a signature or with a wrong one', async () => {
    const unsigned = await post(subgraphUrl('sparkwash'), ENTITIES);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.data).toBeUndefined();
    const wrong = await post(subgraphUrl('sparkwash'), ENTITIES, { [SUBGRAPH_SIGNATURE_HEADER]: 't=1,v1=' + '0'.repeat(64) });
    expect(wrong.status).toBe(401);
  });

  it('answers a request the gateway signed', async () => {
    const response = await signingFetch(SECRET)(subgraphUrl('membership'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: PLANS });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { data: { plans: unknown[] } }).data.plans.length).toBeGreaterThan(0);
  });

  it('keeps every subgraph on loopback', () => {
    for (const s of t.app.subgraphs) expect(new URL(s.url).hostname).toBe('127.0.0.1');
  });

  it('still serves membership and partner fields through the gateway', async () => {
    const member = await t.subscribedMember();
    const res = await t.graphql(`{ plans { code } me { entitlements { benefit { code } carWash { status } } } }`, {}, { bearer: member.bearer });
    expect(res.errors).toBeUndefined();
    expect(res.data.plans.length).toBeGreaterThan(0);
    const wash = res.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
    expect(wash.carWash).not.toBeNull();
  });
});

describe('metrics', () => {
  it('are not served on the public port', async () => {
    expect((await fetch(`${t.app.url}/metrics`)).status).toBe(404);
  });

  it('are served on their own loopback port', async () => {
    await t.graphql(`query Plans { plans { code } }`);
    expect(new URL(t.app.metricsUrl).hostname).toBe('127.0.0.1');
    expect(new URL(t.app.metricsUrl).port).not.toBe(new URL(t.app.url).port);
    const response = await fetch(t.app.metricsUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/graphql_operations_total\{operation="Plans",type="query",outcome="ok"\} [1-9]/);
  });

  it('count the SQL statements the process sent', async () => {
    const sent = async () => Number(/^db_statements_total (\d+)$/m.exec(await (await fetch(t.app.metricsUrl)).text())?.[1]);
    const before = await sent();
    await t.graphql(`query Plans { plans { code } }`);
    expect(before).toBeGreaterThan(0);
    expect(await sent()).toBeGreaterThan(before);
  });
});

describe('structured logs', () => {
  it('carry the request id from the gateway to the subgraphs, never the bearer token', async () => {
    const member = await t.subscribedMember();
    const requestId = `req-${Date.now()}`;
    const res = await t.graphql(`query MyWashes { me { entitlements { id carWash { status } } } }`, {}, {
      bearer: member.bearer,
      headers: { 'x-request-id': requestId },
    });
    expect(res.errors).toBeUndefined();
    const mine = lines.filter((l) => l.requestId === requestId);
    expect(mine.map((l) => l.subgraph)).toEqual(expect.arrayContaining(['membership', 'sparkwash']));
    for (const line of mine) {
      expect(line).toMatchObject({ msg: 'subgraph operation', outcome: 'ok', durationMs: expect.any(Number) });
    }
    const all = JSON.stringify(lines);
    expect(all).not.toContain(member.bearer);
    expect(all).not.toContain(SECRET);
  });

  it('log what broke behind an INTERNAL_SERVER_ERROR, with its request id and stack, while the client learns nothing', async () => {
    const payments = t.app.deps.payments;
    const charge = payments.charge;
    payments.charge = async () => {
      throw new Error('card network exploded at gate 7');
    };
    try {
      const requestId = `req-internal-${Date.now()}`;
      const res = await t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "boom") { id } }`, {}, {
        bearer: await t.memberToken(`internal-${Date.now()}`),
        headers: { 'x-request-id': requestId },
      });
      expect(res.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(res)).not.toContain('gate 7');
      const logged = lines.find((l) => l.requestId === requestId && l.msg === 'internal error');
      expect(logged).toMatchObject({ subgraph: 'membership', level: 50, path: ['subscribe'] });
      expect((logged!.err as { message: string; stack: string }).message).toBe('card network exploded at gate 7');
      expect((logged!.err as { stack: string }).stack).toMatch(/\n\s+at /);
    } finally {
      payments.charge = charge;
    }
  });

  it('follow a request into the jobs it queues: its provisioning events are delivered under its request id', async () => {
    const requestId = `req-subscribe-${Date.now()}`;
    const bearer = await t.memberToken(`traced-${Date.now()}`);
    const res = await t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "traced") { id } }`, {}, {
      bearer,
      headers: { 'x-request-id': requestId },
    });
    expect(res.errors).toBeUndefined();
    const events = await t.db.query<{ id: string; request_id: string }>(
      `select o.id, o.request_id from outbox_event o join entitlement e on e.id = o.entitlement_id
       join membership m on m.id = e.membership_id where m.id = $1`,
      [res.data.subscribe.id],
    );
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect(event.request_id).toBe(requestId);
    await t.app.outbox.drain();
    const delivered = lines.filter((l) => l.msg === 'provisioning event delivered' && events.some((e) => e.id === l.eventId));
    expect(delivered).toHaveLength(events.length);
    for (const line of delivered) expect(line.requestId).toBe(requestId);
  });

  it('log a refused subgraph request with its request id', async () => {
    await post(subgraphUrl('membership'), PLANS, { 'x-request-id': 'req-refused', authorization: 'Bearer not-logged' });
    expect(lines).toContainEqual(expect.objectContaining({ requestId: 'req-refused', subgraph: 'membership', reason: 'missing signature' }));
    expect(JSON.stringify(lines)).not.toContain('not-logged');
  });
});
