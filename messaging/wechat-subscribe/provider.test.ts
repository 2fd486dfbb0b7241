import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingProvider, OutboundMessage, RunningMessagingSandbox, SendResult } from '../sdk/index.js';
import { createWechatSubscribeProvider, TOKEN_REFRESH_AHEAD_MS, wechatSubscribe } from './index.js';
import { startWechatSubscribeSandbox, type WechatSubscribeSandboxOptions, type WechatSubscribeSandboxScenario } from './sandbox-server.js';
import { expireTokens, messagesTo, newOpenid, sandboxState, setScenarios } from './sandbox-testing.fixture.js';

// The adapter against its sandbox, over real HTTP on loopback: the token's life, every
// scenario's outcome, and sending the same message twice.

let sandbox: RunningMessagingSandbox;
let provider: MessagingProvider;
const extras: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  sandbox = await startWechatSubscribeSandbox({ templates: { TIER_UP: ['thing1', 'time2'], POINTS_EXPIRING: ['number1', 'thing2', 'date3'] } });
  provider = wechatSubscribe.create(sandbox.adapterSettings);
});
afterEach(async () => {
  await Promise.all(extras.splice(0).map((extra) => extra.close()));
});
afterAll(async () => {
  await sandbox?.close();
});

async function startOther(options: WechatSubscribeSandboxOptions = {}): Promise<RunningMessagingSandbox> {
  const other = await startWechatSubscribeSandbox(options);
  extras.push(other);
  return other;
}

/** A loopback front of the sandbox that answers token requests 503 once told to. */
async function startFront(behind: RunningMessagingSandbox): Promise<{ url: string; failTokens: boolean }> {
  const front = { url: '', failTokens: false };
  const server = createServer((req, res) => {
    if (front.failTokens && req.url?.startsWith('/cgi-bin/token')) return void res.writeHead(503).end();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void fetch(`${behind.url}${req.url}`, { method: req.method ?? 'GET', ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) }).then(async (answer) => {
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' }).end(await answer.text());
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  extras.push({
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return front;
}

function tierUp(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    messageId: randomUUID(),
    recipient: newOpenid(),
    template: 'TIER_UP',
    locale: 'zh-CN',
    fields: { thing1: '您已升级为金卡会员', time2: '2026-12-07 10:00' },
    link: 'pages/tier/index?from=message',
    ...overrides,
  };
}

describe('a send', () => {
  it('is delivered with its fields, page, lang and our messageId, and answers SENT with the msgid WeChat gave, to the digit', async () => {
    const message = tierUp({ locale: 'en', fields: { thing1: 'You are Gold now', time2: '2026-12-07 10:00' } });

    const result = await provider.send(message);

    const delivered = await messagesTo(sandbox, message.recipient);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      touser: message.recipient,
      template_id: 'TIER_UP',
      page: 'pages/tier/index?from=message',
      lang: 'en_US',
      data: { thing1: { value: 'You are Gold now' }, time2: { value: '2026-12-07 10:00' } },
      client_msg_id: message.messageId,
    });
    // 19 digits: more than a JavaScript number holds exactly.
    expect(delivered[0]!.msgid).toMatch(/^\d{19}$/);
    expect(result).toEqual({ outcome: 'SENT', providerMessageId: delivered[0]!.msgid });
  });

  it("gives WeChat zh_CN for zh-CN and leaves a locale WeChat does not have to its default", async () => {
    const chinese = tierUp({ locale: 'zh-CN' });
    const french = tierUp({ locale: 'fr-FR', link: undefined });

    await provider.send(chinese);
    await provider.send(french);

    expect((await messagesTo(sandbox, chinese.recipient))[0]?.lang).toBe('zh_CN');
    const [delivered] = await messagesTo(sandbox, french.recipient);
    expect(delivered).toBeDefined();
    expect(delivered).not.toHaveProperty('lang');
    expect(delivered).not.toHaveProperty('page');
  });

  it('sent again with the same messageId is delivered once and answers the first msgid', async () => {
    const message = tierUp();

    const first = await provider.send(message);
    const again = await provider.send(message);
    const fromAnotherProcess = await wechatSubscribe.create(sandbox.adapterSettings).send(message);

    expect(first.outcome).toBe('SENT');
    expect(again).toEqual(first);
    expect(fromAnotherProcess).toEqual(first);
    expect(await messagesTo(sandbox, message.recipient)).toHaveLength(1);
  });

  it('sent twice at once with the same messageId is one call to WeChat', async () => {
    const message = tierUp();
    await provider.send(tierUp()); // a token in hand, so the count is of sends only
    const before = await sandboxState(sandbox);

    const [first, second] = await Promise.all([provider.send(message), provider.send(message)]);

    expect(second).toEqual(first);
    expect((await sandboxState(sandbox)).sendCalls - before.sendCalls).toBe(1);
  });

  it('without a messageId is refused before anything is sent', async () => {
    const before = await sandboxState(sandbox);

    const result = await provider.send(tierUp({ messageId: '' }));

    expect(result).toMatchObject({ outcome: 'REFUSED', reason: 'INVALID_MESSAGE' });
    expect((await sandboxState(sandbox)).sendCalls).toBe(before.sendCalls);
  });
});

describe('the access token', () => {
  it('is fetched once and kept for the sends after it', async () => {
    const fresh = createWechatSubscribeProvider(sandbox.adapterSettings);
    const before = await sandboxState(sandbox);

    for (let i = 0; i < 3; i++) expect((await fresh.send(tierUp())).outcome).toBe('SENT');

    expect((await sandboxState(sandbox)).tokensIssued - before.tokensIssued).toBe(1);
  });

  it('is fetched once for sends started together', async () => {
    const fresh = createWechatSubscribeProvider(sandbox.adapterSettings);
    const before = await sandboxState(sandbox);

    const results = await Promise.all(Array.from({ length: 10 }, () => fresh.send(tierUp())));

    expect(results.map((r) => r.outcome)).toEqual(Array(10).fill('SENT'));
    expect((await sandboxState(sandbox)).tokensIssued - before.tokensIssued).toBe(1);
  });

  it('is replaced ahead of its expiry (5 minutes before), not after', async () => {
    let offset = 0;
    const fresh = createWechatSubscribeProvider(sandbox.adapterSettings, { now: () => Date.now() + offset });
    const before = await sandboxState(sandbox);
    await fresh.send(tierUp());

    offset = 7200_000 - TOKEN_REFRESH_AHEAD_MS - 5_000;
    await fresh.send(tierUp());
    const stillFirst = (await sandboxState(sandbox)).tokensIssued - before.tokensIssued;
    offset = 7200_000 - TOKEN_REFRESH_AHEAD_MS + 5_000;
    await fresh.send(tierUp());

    expect(stillFirst).toBe(1);
    expect((await sandboxState(sandbox)).tokensIssued - before.tokensIssued).toBe(2);
  });

  it('expired at WeChat (42001) is replaced and the message sent once more, delivered once', async () => {
    const other = await startOther();
    const fresh = createWechatSubscribeProvider(other.adapterSettings);
    await fresh.send(tierUp());
    await expireTokens(other);
    const before = await sandboxState(other);
    const message = tierUp();

    const result = await fresh.send(message);

    expect(result.outcome).toBe('SENT');
    const after = await sandboxState(other);
    expect(after.tokensIssued - before.tokensIssued).toBe(1);
    expect(after.sendCalls - before.sendCalls).toBe(2);
    expect(await messagesTo(other, message.recipient)).toHaveLength(1);
  });

  it('revoked (40001, INVALID_TOKEN_ONCE) is replaced and the message delivered once', async () => {
    const message = tierUp();
    await setScenarios(sandbox, { [message.recipient]: 'INVALID_TOKEN_ONCE' });
    await provider.send(tierUp()); // a token in hand
    const before = await sandboxState(sandbox);

    const result = await provider.send(message);

    expect(result.outcome).toBe('SENT');
    expect((await sandboxState(sandbox)).tokensIssued - before.tokensIssued).toBe(1);
    expect(await messagesTo(sandbox, message.recipient)).toHaveLength(1);
  });

  it('refused again once replaced is RETRY UNAUTHORIZED after one more try, not a loop', async () => {
    // A sandbox whose clock runs 2 s per look with 1 s tokens: every token has expired when used.
    let clock = Date.now();
    const expiring = await startOther({ tokenTtlSeconds: 1, now: () => (clock += 2000) });
    const before = await sandboxState(expiring);

    const result = await createWechatSubscribeProvider(expiring.adapterSettings).send(tierUp());

    expect(result).toMatchObject({ outcome: 'RETRY', reason: 'UNAUTHORIZED' });
    expect((result as { detail: string }).detail).toContain('errcode 42001');
    const after = await sandboxState(expiring);
    expect(after.tokensIssued - before.tokensIssued).toBe(2);
    expect(after.sendCalls - before.sendCalls).toBe(2);
  });

  it('whose refresh ahead of expiry fails is kept while it lives, and then the send is RETRY', async () => {
    let offset = 0;
    const front = await startFront(sandbox);
    const fresh = createWechatSubscribeProvider({ ...sandbox.adapterSettings, MESSAGING_WECHAT_SUBSCRIBE_API_URL: front.url }, { now: () => Date.now() + offset });
    await fresh.send(tierUp());
    front.failTokens = true;

    offset = 7200_000 - TOKEN_REFRESH_AHEAD_MS + 5_000;
    const duringRefresh = await fresh.send(tierUp());
    offset = 7200_000 + 5_000;
    const afterExpiry = await fresh.send(tierUp());

    expect(duringRefresh.outcome).toBe('SENT');
    expect(afterExpiry).toMatchObject({ outcome: 'RETRY', reason: 'UNAVAILABLE', detail: 'token (/cgi-bin/token): HTTP 503' });
  });

  it('refused for a wrong AppSecret is RETRY UNAUTHORIZED naming the variable to check, and nothing is sent', async () => {
    const wrong = createWechatSubscribeProvider({ ...sandbox.adapterSettings, MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET: 'not-the-secret' });
    const before = await sandboxState(sandbox);

    const result = await wrong.send(tierUp());

    expect(result).toMatchObject({ outcome: 'RETRY', reason: 'UNAUTHORIZED' });
    expect((result as { detail: string }).detail).toContain('errcode 40125');
    expect((result as { detail: string }).detail).toContain('MESSAGING_WECHAT_SUBSCRIBE_APP_SECRET');
    expect((result as { detail: string }).detail).not.toContain('not-the-secret');
    expect((await sandboxState(sandbox)).sendCalls).toBe(before.sendCalls);
  });
});

describe('what WeChat answers, as the port says it', () => {
  it.each<[WechatSubscribeSandboxScenario, Partial<SendResult>, string]>([
    ['REFUSE', { outcome: 'REFUSED', reason: 'NOT_SUBSCRIBED' }, 'errcode 43101'],
    ['INVALID_OPENID', { outcome: 'REFUSED', reason: 'INVALID_RECIPIENT' }, 'errcode 40003'],
    ['RATE_LIMIT', { outcome: 'RETRY', reason: 'RATE_LIMITED', retryAfterMs: 60_000 }, 'errcode 45009'],
    ['SYSTEM_BUSY', { outcome: 'RETRY', reason: 'UNAVAILABLE' }, 'errcode -1'],
    ['FAIL_5XX', { outcome: 'RETRY', reason: 'UNAVAILABLE' }, 'HTTP 502'],
  ])('%s is %o, and nothing is delivered', async (scenario, expected, said) => {
    const message = tierUp();
    await setScenarios(sandbox, { [message.recipient]: scenario });

    const result = await provider.send(message);

    expect(result).toMatchObject(expected);
    expect((result as { detail: string }).detail).toContain(said);
    expect(await messagesTo(sandbox, message.recipient)).toEqual([]);
  });

  it('a second message to a member while the first is on its way (43108) is RETRY RATE_LIMITED, soon', async () => {
    const slow = await startOther({ slowMs: 300 });
    const patient = createWechatSubscribeProvider(slow.adapterSettings);
    const first = tierUp();
    await setScenarios(slow, { [first.recipient]: 'SLOW' });

    const sending = patient.send(first);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await patient.send(tierUp({ recipient: first.recipient }));

    expect(second).toMatchObject({ outcome: 'RETRY', reason: 'RATE_LIMITED', retryAfterMs: 1_000 });
    expect((second as { detail: string }).detail).toContain('errcode 43108');
    expect((await sending).outcome).toBe('SENT');
  });

  it('a template WeChat does not know (40037) is REFUSED INVALID_TEMPLATE', async () => {
    await expect(provider.send(tierUp({ template: 'NO_SUCH_TEMPLATE' }))).resolves.toMatchObject({ outcome: 'REFUSED', reason: 'INVALID_TEMPLATE' });
  });

  it.each<[string, Partial<OutboundMessage>, string]>([
    ['a field the template has not got', { fields: { thing1: 'Gold', time2: '2026-12-07', thing9: 'extra' } }, 'data.thing9'],
    ['a field missing', { fields: { thing1: 'Gold' } }, 'data.time2.value is empty'],
    ['a thing longer than 20 characters', { fields: { thing1: '您的积分将于本月底过期请尽快使用以免失效谢谢合作', time2: '2026-12-07' } }, 'data.thing1.value exceeds limit'],
    ['no fields at all', { fields: {} }, 'data is empty'],
  ])('%s (47003) is REFUSED INVALID_MESSAGE with what WeChat said', async (_, overrides, said) => {
    const result = await provider.send(tierUp(overrides));

    expect(result).toMatchObject({ outcome: 'REFUSED', reason: 'INVALID_MESSAGE' });
    expect((result as { detail: string }).detail).toContain('errcode 47003');
    expect((result as { detail: string }).detail).toContain(said);
  });

  it('a link that is a web address, not a page (41030), is REFUSED INVALID_MESSAGE', async () => {
    await expect(provider.send(tierUp({ link: 'https://example.com/tier' }))).resolves.toMatchObject({ outcome: 'REFUSED', reason: 'INVALID_MESSAGE' });
  });

  it('an empty recipient (40003) is REFUSED INVALID_RECIPIENT', async () => {
    await expect(provider.send(tierUp({ recipient: '' }))).resolves.toMatchObject({ outcome: 'REFUSED', reason: 'INVALID_RECIPIENT' });
  });
});

describe('no answer', () => {
  it('a send WeChat answers too late is RETRY NO_ANSWER; sent again, it is the message already delivered', async () => {
    const slow = await startOther({ slowMs: 1000 });
    const impatient = createWechatSubscribeProvider({ ...slow.adapterSettings, MESSAGING_WECHAT_SUBSCRIBE_TIMEOUT_MS: '150' });
    const message = tierUp();
    await setScenarios(slow, { [message.recipient]: 'SLOW' });

    const first = await impatient.send(message);
    const retried = await impatient.send(message);

    expect(first).toMatchObject({ outcome: 'RETRY', reason: 'NO_ANSWER' });
    expect((first as { detail: string }).detail).toMatch(/no answer within 150 ms; the message may have been delivered/);
    const delivered = await messagesTo(slow, message.recipient);
    expect(delivered).toHaveLength(1);
    expect(retried).toEqual({ outcome: 'SENT', providerMessageId: delivered[0]!.msgid });
  });

  it('a provider nobody answers is RETRY NO_ANSWER', async () => {
    const gone = await startWechatSubscribeSandbox();
    await gone.close();

    const result = await createWechatSubscribeProvider(gone.adapterSettings).send(tierUp());

    expect(result).toMatchObject({ outcome: 'RETRY', reason: 'NO_ANSWER' });
    expect((result as { detail: string }).detail).toContain('the connection failed');
  });
});
