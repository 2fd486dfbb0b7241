import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningMessagingSandbox } from '../sdk/index.js';
import { startWechatSubscribeSandbox, type WechatSubscribeSandboxOptions } from './sandbox-server.js';
import { messagesTo, newOpenid, sandboxState } from './sandbox-testing.fixture.js';

// The sandbox's side of the calls, spoken by hand with the wire written out as WeChat documents
// it: which requests it takes and how it answers.

let sandbox: RunningMessagingSandbox;
let appid: string;
let secret: string;
const extras: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  sandbox = await startWechatSubscribeSandbox({ slowMs: 300 });
  appid = sandbox.adapterSettings.MESSAGING_WECHAT_SUBSCRIBE_APP_ID!;
  secret = sandbox.adapterSettings.MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET!;
});
afterEach(async () => {
  await Promise.all(extras.splice(0).map((extra) => extra.close()));
});
afterAll(async () => {
  await sandbox?.close();
});

async function startOther(options: WechatSubscribeSandboxOptions): Promise<RunningMessagingSandbox> {
  const other = await startWechatSubscribeSandbox(options);
  extras.push(other);
  return other;
}

async function getToken(on = sandbox, query = `grant_type=client_credential&appid=${appid}&secret=${secret}`): Promise<Record<string, unknown>> {
  const response = await fetch(`${on.url}/cgi-bin/token?${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function tokenOf(on: RunningMessagingSandbox): Promise<string> {
  const query = `grant_type=client_credential&appid=${on.adapterSettings.MESSAGING_WECHAT_SUBSCRIBE_APP_ID}&secret=${on.adapterSettings.MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET}`;
  return (await getToken(on, query)).access_token as string;
}

/** `POST /cgi-bin/message/subscribe/send`: the status and the raw answer. */
async function send(token: string, body: unknown, on = sandbox): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const response = await fetch(`${on.url}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (a 5xx page)
  }
  return { status: response.status, text, json };
}

function message(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { touser: newOpenid(), template_id: 'TIER_UP', page: 'pages/tier/index', data: { thing1: { value: '金卡' } }, lang: 'zh_CN', ...overrides };
}

describe('the access token', () => {
  it('is given for the right appid and secret, living 7200 s', async () => {
    const answer = await getToken();

    expect(answer).toEqual({ access_token: expect.stringMatching(/^[A-Za-z0-9_-]{64,}$/), expires_in: 7200 });
  });

  it.each([
    ['a wrong secret', () => `grant_type=client_credential&appid=${appid}&secret=nope`, 40125, 'invalid appsecret'],
    ['a wrong appid', () => `grant_type=client_credential&appid=wx0000000000000000&secret=${secret}`, 40013, 'invalid appid'],
    ['no secret', () => `grant_type=client_credential&appid=${appid}`, 41004, 'appsecret missing'],
    ['another grant_type', () => `grant_type=authorization_code&appid=${appid}&secret=${secret}`, 40002, 'invalid grant_type'],
  ])('is refused for %s (HTTP 200, errcode %i)', async (_, query, errcode, errmsg) => {
    const answer = await getToken(sandbox, query());

    expect(answer).toEqual({ errcode, errmsg: expect.stringMatching(new RegExp(`^${errmsg} rid: [0-9a-f]+$`)) });
    expect(answer).not.toHaveProperty('access_token');
  });

  it('is refused once expired on demand (42001), and a new one works', async () => {
    const token = (await getToken()).access_token as string;
    expect((await send(token, message())).json.errcode).toBe(0);

    const expired = await fetch(`${sandbox.url}/sandbox/tokens/expire`, { method: 'POST' });

    expect(await expired.json()).toMatchObject({ expired: expect.any(Number) });
    expect((await send(token, message())).json).toMatchObject({ errcode: 42001, errmsg: expect.stringMatching(/^access_token expired/) });
    expect((await send((await getToken()).access_token as string, message())).json.errcode).toBe(0);
  });

  it('is refused after its expires_in (42001), by the sandbox clock', async () => {
    let clock = Date.now();
    const other = await startOther({ now: () => clock });
    const token = await tokenOf(other);

    clock += 7199_000;
    const stillGood = await send(token, message(), other);
    clock += 2_000;
    const late = await send(token, message(), other);

    expect(stillGood.json.errcode).toBe(0);
    expect(late.json.errcode).toBe(42001);
  });

  it('that an earlier fetch gave lives 5 more minutes once a new one is given', async () => {
    let clock = Date.now();
    const other = await startOther({ now: () => clock });
    const old = await tokenOf(other);
    await tokenOf(other);

    clock += 299_000;
    const within = await send(old, message(), other);
    clock += 2_000;
    const after = await send(old, message(), other);

    expect(within.json.errcode).toBe(0);
    expect(after.json.errcode).toBe(42001);
  });

  it('that it never gave is refused (40001), and none at all too (41001)', async () => {
    expect((await send('made-up', message())).json.errcode).toBe(40001);
    const response = await fetch(`${sandbox.url}/cgi-bin/message/subscribe/send`, { method: 'POST', body: JSON.stringify(message()) });
    expect(((await response.json()) as { errcode: number }).errcode).toBe(41001);
  });
});

describe('a send', () => {
  it('is delivered and answered with the msgid as a bare 64-bit number, and listed by recipient', async () => {
    const token = (await getToken()).access_token as string;
    const body = message({ client_msg_id: 'msg-1-' + newOpenid() });

    const answer = await send(token, body);

    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/^\{"errcode":0,"errmsg":"ok","msgid":\d{19}\}$/);
    const listed = await messagesTo(sandbox, body.touser as string);
    expect(listed).toEqual([{ ...body, msgid: /"msgid":(\d+)/.exec(answer.text)![1], delivered_at: expect.any(String) }]);
  });

  it.each([
    ['touser missing', { touser: undefined }, 47003, 'argument invalid! touser is required'],
    ['template_id missing', { template_id: undefined }, 47003, 'argument invalid! template_id is required'],
    ['touser not an openid', { touser: 'o ne' }, 40003, 'invalid openid'],
    ['template_id empty', { template_id: '' }, 40037, 'invalid template_id'],
    ['data empty', { data: {} }, 47003, 'argument invalid! data is empty'],
    ['a value empty', { data: { thing1: { value: '' } } }, 47003, 'argument invalid! data.thing1.value is empty'],
    ['a phrase longer than 5', { data: { phrase3: { value: '一二三四五六' } } }, 47003, 'argument invalid! data.phrase3.value exceeds limit'],
    ['a Chinese name longer than 10', { data: { name1: { value: '欧阳Alexander' } } }, 47003, 'argument invalid! data.name1.value exceeds limit'],
    ['a Latin name longer than 20', { data: { name1: { value: 'Alexandra Featherstonehaugh' } } }, 47003, 'argument invalid! data.name1.value exceeds limit'],
    ['page a web address', { page: 'https://example.com' }, 41030, 'invalid page'],
    ['lang unknown', { lang: 'fr_FR' }, 47003, 'argument invalid! lang is invalid'],
  ])('with %s is refused (errcode %i) and not delivered', async (_, overrides, errcode, errmsg) => {
    const token = (await getToken()).access_token as string;
    const body = message(overrides);

    const answer = await send(token, body);

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ errcode, errmsg: expect.stringContaining(errmsg) });
    if (typeof body.touser === 'string') expect(await messagesTo(sandbox, body.touser)).toEqual([]);
  });

  it('with a Latin name of 20 letters or fewer is taken (a Chinese one would be 10 at most)', async () => {
    expect((await send((await getToken()).access_token as string, message({ data: { name1: { value: 'Alexandra Smithson' } } }))).json.errcode).toBe(0);
  });

  it('that is not JSON is refused (47001)', async () => {
    expect((await send((await getToken()).access_token as string, '{"touser":')).json.errcode).toBe(47001);
  });

  it('of a template the sandbox was not given, when it was given templates, is refused (40037); a known one needs its exact keys', async () => {
    const other = await startOther({ templates: { TIER_UP: ['thing1', 'time2'] } });
    const token = await tokenOf(other);

    const unknown = await send(token, message({ template_id: 'OTHER' }), other);
    const missing = await send(token, message({ data: { thing1: { value: '金卡' } } }), other);
    const complete = await send(token, message({ data: { thing1: { value: '金卡' }, time2: { value: '2026-12-07 10:00' } } }), other);

    expect(unknown.json.errcode).toBe(40037);
    expect(missing.json).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('data.time2.value is empty') });
    expect(complete.json.errcode).toBe(0);
  });

  it('repeated with its client_msg_id is not delivered again and answers the first msgid; the id reused for another member is refused', async () => {
    const token = (await getToken()).access_token as string;
    const body = message({ client_msg_id: `dedupe-${newOpenid()}` });

    const first = await send(token, body);
    const again = await send(token, { ...body, data: { thing1: { value: '银卡' } } });
    const elsewhere = await send(token, { ...body, touser: newOpenid() });

    expect(again.text).toBe(first.text);
    expect(await messagesTo(sandbox, body.touser as string)).toHaveLength(1);
    expect(elsewhere.json).toMatchObject({ errcode: 47003, errmsg: expect.stringContaining('was used for another message') });
  });

  it('without a client_msg_id is delivered each time (as WeChat does)', async () => {
    const token = (await getToken()).access_token as string;
    const body = message();

    await send(token, body);
    await send(token, body);

    expect(await messagesTo(sandbox, body.touser as string)).toHaveLength(2);
  });
});

describe('scenarios', () => {
  async function withScenario(scenario: string): Promise<{ touser: string; token: string }> {
    const touser = newOpenid();
    const response = await fetch(`${sandbox.url}/sandbox/scenarios`, { method: 'PUT', body: JSON.stringify({ [touser]: scenario }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ [touser]: scenario });
    return { touser, token: (await getToken()).access_token as string };
  }

  it.each([
    ['REFUSE', 43101],
    ['RATE_LIMIT', 45009],
    ['SYSTEM_BUSY', -1],
    ['INVALID_OPENID', 40003],
  ])('%s answers errcode %i and delivers nothing', async (scenario, errcode) => {
    const { touser, token } = await withScenario(scenario);

    const answer = await send(token, message({ touser }));

    expect(answer.json).toMatchObject({ errcode });
    expect(await messagesTo(sandbox, touser)).toEqual([]);
  });

  it('FAIL_5XX answers HTTP 502 with a page, not JSON', async () => {
    const { touser, token } = await withScenario('FAIL_5XX');

    const answer = await send(token, message({ touser }));

    expect(answer.status).toBe(502);
    expect(answer.text).toContain('502 Bad Gateway');
  });

  it('INVALID_TOKEN_ONCE answers 40001 to the first send only', async () => {
    const { touser, token } = await withScenario('INVALID_TOKEN_ONCE');

    const first = await send(token, message({ touser }));
    const second = await send(token, message({ touser }));

    expect(first.json.errcode).toBe(40001);
    expect(second.json.errcode).toBe(0);
  });

  it('SLOW delivers at once and answers after slowMs', async () => {
    const { touser, token } = await withScenario('SLOW');
    const started = Date.now();

    const answering = send(token, message({ touser }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const deliveredBeforeTheAnswer = await messagesTo(sandbox, touser);
    const answer = await answering;

    expect(deliveredBeforeTheAnswer).toHaveLength(1);
    expect(answer.json.errcode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('SLOW refuses another message to the same member while its answer is on the way (43108), and takes it after', async () => {
    const { touser, token } = await withScenario('SLOW');

    const answering = send(token, message({ touser }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const meanwhile = await send(token, message({ touser, client_msg_id: 'other' + newOpenid() }));
    const toSomeoneElse = await send(token, message());
    await answering;
    const after = send(token, message({ touser }));

    expect(meanwhile.json.errcode).toBe(43108);
    expect(toSomeoneElse.json.errcode).toBe(0);
    expect((await after).json.errcode).toBe(0);
  });

  it('an unknown scenario is refused with 400 naming every problem; null clears one', async () => {
    const touser = newOpenid();
    const refused = await fetch(`${sandbox.url}/sandbox/scenarios`, { method: 'PUT', body: JSON.stringify({ a: 'EXPLODE', b: 3 }) });
    const set = await fetch(`${sandbox.url}/sandbox/scenarios`, { method: 'PUT', body: JSON.stringify({ [touser]: 'REFUSE' }) });
    const cleared = await fetch(`${sandbox.url}/sandbox/scenarios`, { method: 'PUT', body: JSON.stringify({ [touser]: null }) });

    expect(refused.status).toBe(400);
    const { error } = (await refused.json()) as { error: string };
    expect(error).toContain('a: the scenario must be one of REFUSE, RATE_LIMIT, SYSTEM_BUSY, FAIL_5XX, SLOW, INVALID_TOKEN_ONCE, INVALID_OPENID');
    expect(error).toContain('b: ');
    expect(set.status).toBe(200);
    expect(await cleared.json()).not.toHaveProperty(touser);
  });
});

describe('admin endpoints', () => {
  it('GET /sandbox/messages lists every delivery, or one recipient’s; DELETE clears them', async () => {
    const other = await startOther({});
    const token = await tokenOf(other);
    const a = message();
    const b = message();
    await send(token, a, other);
    await send(token, b, other);

    const all = (await (await fetch(`${other.url}/sandbox/messages`)).json()) as { messages: Array<{ touser: string }> };
    const onlyA = await messagesTo(other, a.touser as string);
    const deleted = await fetch(`${other.url}/sandbox/messages`, { method: 'DELETE' });

    expect(all.messages.map((m) => m.touser)).toEqual([a.touser, b.touser]);
    expect(onlyA.map((m) => m.touser)).toEqual([a.touser]);
    expect(deleted.status).toBe(204);
    expect((await sandboxState(other)).messages).toBe(0);
  });

  it('GET /sandbox/state counts tokens and sends', async () => {
    const other = await startOther({});
    const token = await tokenOf(other);
    await send(token, message(), other);

    expect(await sandboxState(other)).toMatchObject({ tokensIssued: 1, sendCalls: 1, messages: 1, tokens: [{ valid: true }] });
  });
});
