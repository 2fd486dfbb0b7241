// The membership subgraph's direct lane (partners/sdk/direct-execution.ts): an operation Apollo
// Server answered once is executed straight on the schema after, with the same answer (status,
// headers, body, errors formatted alike) and the same logs; what it cannot take is Apollo's.
// Apollo's answer to the very same operation is had by adding `extensions: {}` to the body,
// which the lane leaves to Apollo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directlyExecuted } from '../partners/sdk/direct-execution.js';
import { SUBGRAPH_SIGNATURE_HEADER, signSubgraphRequest } from '../partners/sdk/subgraph-signature.js';
import { capturedLogger } from './support/log-lines.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

const SECRET = 'a-direct-lane-test-secret-of-32-characters-or-more';
let t: TestApp;
let member: SubscribedMember;
const { logger, lines } = capturedLogger();

beforeAll(async () => {
  t = await startTestApp({ logger, env: { SUBGRAPH_SECRET: SECRET } });
  member = await t.subscribedMember();
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** Whether the direct lane answered it. */
  direct: boolean;
  /** The subgraph's debug line for it. */
  logged: Record<string, unknown> | undefined;
}

let sent = 0;
async function send(payload: Record<string, unknown>, options: { apollo?: boolean; bearer?: string | null; accept?: string } = {}): Promise<Answer> {
  const body = JSON.stringify(options.apollo ? { ...payload, extensions: {} } : payload);
  const requestId = `direct-lane-${++sent}`;
  const before = directlyExecuted();
  const bearer = options.bearer === undefined ? member.bearer : options.bearer;
  const response = await fetch(t.app.subgraphs.find((s) => s.name === 'membership')!.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-request-id': requestId,
      [SUBGRAPH_SIGNATURE_HEADER]: signSubgraphRequest(SECRET, body),
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(options.accept ? { accept: options.accept } : {}),
    },
    body,
  });
  const headers = Object.fromEntries([...response.headers].filter(([name]) => !['date', 'content-length', 'keep-alive', 'connection'].includes(name)));
  const answer = { status: response.status, headers, body: await response.json(), direct: directlyExecuted() > before };
  const logged = lines.find((l) => l.requestId === requestId && l.msg === 'subgraph operation');
  return { ...answer, logged: logged && { ...logged, requestId: '(id)', durationMs: 0, time: 0, pid: 0, hostname: '' } };
}

const ME = { query: 'query Me { me { membership { status plan { code } } entitlements { id status remaining benefit { code name partner { id name } } } tier { code } points { balance } } }', operationName: 'Me' };
const EXPIRING = { query: 'query Expiring($d: Int!) { me { id points { balance expiring(days: $d) { points } } } }', operationName: 'Expiring' };

describe('the subgraph direct lane', () => {
  it('answers an operation Apollo answered once, exactly as Apollo does', async () => {
    const first = await send(ME);
    const second = await send(ME);
    const apollo = await send(ME, { apollo: true });
    expect(first.direct).toBe(false);
    expect(second.direct).toBe(true);
    expect(apollo.direct).toBe(false);
    expect({ ...second, direct: false }).toEqual(apollo);
    expect(second.body.data.me.entitlements.length).toBeGreaterThan(0);
    expect(second.logged).toMatchObject({ operation: 'Me', type: 'query', outcome: 'ok' });

    // Apollo answers another Accept with another content type: learnt apart.
    const accept = 'application/graphql-response+json';
    const firstOther = await send(ME, { accept });
    const secondOther = await send(ME, { accept });
    expect(firstOther.direct).toBe(false);
    expect(secondOther.direct).toBe(true);
    expect(secondOther.headers['content-type']).toContain('application/graphql-response+json');
    expect({ ...secondOther, direct: false }).toEqual(await send(ME, { accept, apollo: true }));
  });

  it('answers errors as Apollo does: coded, partial data, the same status, headers and log line', async () => {
    await send({ ...EXPIRING, variables: { d: 30 } });
    const direct = await send({ ...EXPIRING, variables: { d: 400 } });
    const apollo = await send({ ...EXPIRING, variables: { d: 400 } }, { apollo: true });
    expect(direct.direct).toBe(true);
    expect(direct.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect({ ...direct, direct: false }).toEqual(apollo);
    expect(direct.logged).toMatchObject({ operation: 'Expiring', outcome: 'error', errorCodes: ['BAD_USER_INPUT'] });

    // No credential: the field that needs one refuses it, in both.
    const anonymous = await send(ME, { bearer: null });
    expect(anonymous.direct).toBe(true);
    expect({ ...anonymous, direct: false }).toEqual(await send(ME, { bearer: null, apollo: true }));
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('runs a failing mutation once and answers it as Apollo does', async () => {
    const SUBSCRIBE = { query: 'mutation Sub($p: String!, $k: String!) { subscribe(planCode: $p, idempotencyKey: $k) { id } }', operationName: 'Sub' };
    const other = await t.memberToken('direct-lane-subscriber');
    const learnt = await send({ ...SUBSCRIBE, variables: { p: 'PLUS', k: 'direct-lane-1' } }, { bearer: other });
    expect(learnt.body.data.subscribe.id).toBeTruthy();
    const direct = await send({ ...SUBSCRIBE, variables: { p: 'NO_SUCH_PLAN', k: 'direct-lane-2' } }, { bearer: other });
    const apollo = await send({ ...SUBSCRIBE, variables: { p: 'NO_SUCH_PLAN', k: 'direct-lane-3' } }, { bearer: other, apollo: true });
    expect(direct.direct).toBe(true);
    expect({ ...direct, direct: false, logged: undefined }).toEqual({ ...apollo, logged: undefined });
    expect(direct.logged).toMatchObject({ operation: 'Sub', type: 'mutation', outcome: 'error' });
    // The same key again answers the first subscription (idempotency), through the lane.
    const again = await send({ ...SUBSCRIBE, variables: { p: 'PLUS', k: 'direct-lane-1' } }, { bearer: other });
    expect(again.direct).toBe(true);
    expect(again.body).toEqual(learnt.body);
  });

  it("leaves to Apollo what it cannot take: variables that do not coerce, a document it has not seen, another operation's name", async () => {
    await send({ ...EXPIRING, variables: { d: 30 } });
    const bad = await send({ ...EXPIRING, variables: { d: 'thirty' } });
    expect(bad.direct).toBe(false);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const unseen = await send({ query: 'query Unseen { me { id } }', operationName: 'Unseen' });
    expect(unseen.direct).toBe(false);
    const invalid = await send({ query: 'query Invalid { me { nope } }', operationName: 'Invalid' });
    const invalidAgain = await send({ query: 'query Invalid { me { nope } }', operationName: 'Invalid' });
    expect(invalidAgain.direct).toBe(false);
    expect(invalidAgain.status).toBe(400);
    expect(invalidAgain).toEqual({ ...invalid, logged: invalidAgain.logged });
  });
});
