import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningPaymentSandbox } from '../sdk/index.js';
import { createWechatPayProvider, wechatpaySettingsFrom } from './index.js';
import { answerMessage, authorizationHeader, newNonce, requestMessage, rsaSign, rsaVerify, unixSeconds } from './protocol.js';
import { startWechatPaySandbox } from './sandbox-server.js';
import { putScenario, sandboxState, waitFor } from './sandbox-testing.fixture.js';

// The sandbox's side of the protocol, spoken by hand: which requests it takes, how it answers.

let sandbox: RunningPaymentSandbox;
let settings: Record<string, string>;
let merchantKey: KeyObject;
let platformKey: KeyObject;

beforeAll(async () => {
  sandbox = await startWechatPaySandbox({ settleAfterMs: 10 });
  settings = sandbox.adapterSettings;
  merchantKey = createPrivateKey(settings.PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY!);
  platformKey = createPublicKey(settings.PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY!);
});
afterAll(async () => {
  await sandbox?.close();
});

interface SignedCall {
  method?: 'GET' | 'POST';
  path?: string;
  body?: string;
  key?: KeyObject;
  mchid?: string;
  serial?: string;
  timestamp?: string;
  nonce?: string;
  /** The body actually sent, when it differs from the one signed. */
  sentBody?: string;
  authorization?: string | null;
}

function order(outTradeNo = randomUUID().replace(/-/g, '')): string {
  return JSON.stringify({
    appid: settings.PAYMENT_WECHATPAY_APP_ID,
    mchid: settings.PAYMENT_WECHATPAY_MCH_ID,
    description: 'PLUS membership',
    out_trade_no: outTradeNo,
    notify_url: settings.PAYMENT_WECHATPAY_NOTIFY_URL,
    amount: { total: 19800, currency: 'CNY' },
    payer: { openid: 'oHandSigned' },
  });
}

/** A request signed by hand the way a merchant does, with any part replaceable. */
function signedCall(call: SignedCall = {}): Promise<Response> {
  const method = call.method ?? 'POST';
  const path = call.path ?? '/v3/pay/transactions/jsapi';
  const body = call.body ?? (method === 'POST' ? order() : '');
  const timestamp = call.timestamp ?? unixSeconds(Date.now());
  const nonce = call.nonce ?? newNonce();
  const authorization =
    call.authorization === undefined
      ? authorizationHeader({
          mchid: call.mchid ?? settings.PAYMENT_WECHATPAY_MCH_ID!,
          serial_no: call.serial ?? settings.PAYMENT_WECHATPAY_MERCHANT_SERIAL!,
          timestamp,
          nonce_str: nonce,
          signature: rsaSign(requestMessage(method, path, timestamp, nonce, body), call.key ?? merchantKey),
        })
      : call.authorization;
  const sent = call.sentBody ?? body;
  return fetch(`${sandbox.url}${path}`, {
    method,
    headers: { ...(authorization === null ? {} : { authorization }), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    ...(method === 'POST' ? { body: sent } : {}),
  });
}

describe('requests', () => {
  it('a request signed with the merchant key is answered, and the answer is signed by the platform key', async () => {
    const response = await signedCall();
    const body = await response.text();

    expect(response.status).toBe(200);
    expect(JSON.parse(body)).toEqual({ prepay_id: expect.stringMatching(/^wx/) });
    expect(response.headers.get('wechatpay-serial')).toBe(settings.PAYMENT_WECHATPAY_PLATFORM_SERIAL);
    const signed = answerMessage(response.headers.get('wechatpay-timestamp')!, response.headers.get('wechatpay-nonce')!, body);
    expect(rsaVerify(signed, response.headers.get('wechatpay-signature')!, platformKey)).toBe(true);
  });

  it('a signed GET (empty body: an empty line in the signed message) is answered', async () => {
    const response = await signedCall({ method: 'GET', path: `/v3/pay/transactions/out-trade-no/${'0'.repeat(31)}1?mchid=${settings.PAYMENT_WECHATPAY_MCH_ID}` });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ code: 'ORDER_NOT_EXIST', message: '订单不存在' });
  });

  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const sixMinutesAgo = () => unixSeconds(Date.now() - 6 * 60_000);

  it.each<[string, () => SignedCall, RegExp]>([
    ['no Authorization header', () => ({ authorization: null }), /no Authorization header/],
    ['another scheme', () => ({ authorization: 'Bearer abc' }), /scheme is not WECHATPAY2-SHA256-RSA2048/],
    ['a missing parameter', () => ({ authorization: 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="x",timestamp="1",serial_no="y"' }), /lacks signature/],
    ['a signature by another key (forged)', () => ({ key: otherKey }), /does not verify/],
    ['a body altered after signing', () => ({ sentBody: order().replace('19800', '1') }), /does not verify/],
    ['another certificate serial', () => ({ serial: 'DEADBEEF' }), /serial_no DEADBEEF/],
    ['another merchant id', () => ({ mchid: '1900000001' }), /mchid 1900000001/],
    ['a timestamp 6 minutes old', () => ({ timestamp: sixMinutesAgo() }), /more than 300 s from now/],
  ])('refuses %s: 401 SIGN_ERROR, unsigned, nothing recorded', async (_, call, message) => {
    const before = (await sandboxState(sandbox)).orders.length;

    const response = await signedCall(call());
    const body = (await response.json()) as { code: string; message: string };

    expect(response.status).toBe(401);
    expect(body.code).toBe('SIGN_ERROR');
    expect(body.message).toMatch(message);
    expect(response.headers.get('wechatpay-signature')).toBeNull();
    expect((await sandboxState(sandbox)).orders).toHaveLength(before);
  });

  it('refuses a replayed request (the same nonce again) with 401', async () => {
    const nonce = newNonce();
    const timestamp = unixSeconds(Date.now());
    const body = order();

    const first = await signedCall({ nonce, timestamp, body });
    const replayed = await signedCall({ nonce, timestamp, body });

    expect(first.status).toBe(200);
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { message: string }).message).toMatch(/already used/);
  });

  it('answers a signed but invalid order with a signed 400 PARAM_ERROR and records nothing', async () => {
    const before = (await sandboxState(sandbox)).orders.length;
    const body = JSON.stringify({ ...JSON.parse(order()), amount: { total: -1 } });

    const response = await signedCall({ body });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 'PARAM_ERROR', message: 'amount.total must be a positive integer (fen)' });
    expect(response.headers.get('wechatpay-signature')).not.toBeNull();
    expect((await sandboxState(sandbox)).orders).toHaveLength(before);
  });

  it('answers the same out_trade_no with other parameters 400 INVALID_REQUEST', async () => {
    const outTradeNo = randomUUID().replace(/-/g, '');
    await signedCall({ body: order(outTradeNo) });

    const response = await signedCall({ body: order(outTradeNo).replace('19800', '100') });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('INVALID_REQUEST');
  });
});

describe('admin endpoints', () => {
  it.each([
    ['both payerId and amount', { payerId: 'o1', amount: 100, scenario: 'decline' }, 'give exactly one of payerId and amount'],
    ['neither', { scenario: 'decline' }, 'give exactly one of payerId and amount'],
    ['an unknown scenario', { payerId: 'o1', scenario: 'explode' }, 'scenario must be one of success, decline'],
    ['a negative delay', { payerId: 'o1', scenario: 'delayed_notification', delayMs: -1 }, 'delayMs must be an integer from 0 to 600000'],
    ['a fractional amount', { amount: 1.5, scenario: 'decline' }, 'amount must be a positive integer (fen)'],
  ])('PUT /sandbox/scenarios refuses %s with 400 PARAM_ERROR and changes nothing', async (_, rule, message) => {
    const before = (await sandboxState(sandbox)).scenarios;

    const response = await putScenario(sandbox, rule);
    const body = (await response.json()) as { code: string; message: string };

    expect(response.status).toBe(400);
    expect(body.code).toBe('PARAM_ERROR');
    expect(body.message).toContain(message);
    expect((await sandboxState(sandbox)).scenarios).toEqual(before);
  });

  it('PUT /sandbox/scenarios reports every problem at once', async () => {
    const response = await putScenario(sandbox, { scenario: 'nope', delayMs: -5 } as never);

    expect(((await response.json()) as { message: string }).message.split('; ')).toHaveLength(3);
  });

  it('GET /sandbox/state shows scenarios, orders, and notifications with their deliveries; DELETE /sandbox/scenarios clears the rules', async () => {
    await putScenario(sandbox, { amount: 4242, scenario: 'delayed_notification', delayMs: 0 });
    const outTradeNo = randomUUID().replace(/-/g, '');
    await signedCall({ body: order(outTradeNo).replace('19800', '4242') });

    const state = await waitFor(async () => {
      const current = await sandboxState(sandbox);
      return current.notifications.some((n) => n.out_trade_no === outTradeNo && n.delivered) ? current : null;
    });

    expect(state.scenarios).toContainEqual({ amount: 4242, scenario: 'delayed_notification', delayMs: 0 });
    expect(state.orders.find((o) => o.out_trade_no === outTradeNo)).toMatchObject({ trade_state: 'SUCCESS', scenario: 'delayed_notification' });
    // No notifyUrl given: notifications go to the sandbox's own sink, which takes them.
    expect(state.notifications.find((n) => n.out_trade_no === outTradeNo)?.deliveries).toEqual([
      { at: expect.any(String), status: 204, replay: false },
    ]);
    expect((await fetch(`${sandbox.url}/sandbox/scenarios`, { method: 'DELETE' })).status).toBe(204);
    expect((await sandboxState(sandbox)).scenarios).toEqual([]);
  });

  it('POST /sandbox/mandates signs mandates for many payers at once, each good for a deduction, and refuses a bad list', async () => {
    const payerIds = Array.from({ length: 3 }, (_, i) => `oBulk${i}${randomUUID().slice(0, 8)}`);
    const response = await fetch(`${sandbox.url}/sandbox/mandates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payerIds }) });
    expect(response.status).toBe(200);
    const { mandates } = (await response.json()) as { mandates: Array<{ payerId: string; mandateId: string }> };
    expect(mandates.map((m) => m.payerId)).toEqual(payerIds);
    const provider = createWechatPayProvider(settings);
    const paymentId = randomUUID();
    expect(await provider.charge({ paymentId, payerId: payerIds[1]!, amount: 19_800, currency: 'CNY', description: 'renewal', mandateId: mandates[1]!.mandateId })).toEqual({ outcome: 'PENDING' });
    await waitFor(async () => (await provider.query(paymentId)).outcome === 'SUCCEEDED');
    const refused = await fetch(`${sandbox.url}/sandbox/mandates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payerIds: [] }) });
    expect(refused.status).toBe(400);
  });

  it('replaying an unknown notification is 404', async () => {
    const response = await fetch(`${sandbox.url}/sandbox/notifications/EV-nope/replay`, { method: 'POST' });

    expect(response.status).toBe(404);
  });
});

describe('adapterSettings', () => {
  it('carry every PAYMENT_WECHATPAY_* setting the adapter reads, with keys made at start', async () => {
    const read = wechatpaySettingsFrom(settings);

    expect(read).toMatchObject({
      baseUrl: sandbox.url,
      apiV3Key: expect.stringMatching(/^.{32}$/),
      platformSerial: expect.stringMatching(/^PUB_KEY_ID_\d{32}$/),
      merchantSerial: expect.stringMatching(/^[0-9A-F]{40}$/),
      planId: 12535,
      notifyUrl: `${sandbox.url}/sandbox/notify-sink`,
    });
    const another = await startWechatPaySandbox({});
    try {
      expect(another.adapterSettings.PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY).not.toBe(settings.PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY);
      // One sandbox's adapter is a forger to another.
      await expect(createWechatPayProvider(another.adapterSettings).query(randomUUID())).rejects.toThrow(/ORDER_NOT_EXIST/);
      const crossed = createWechatPayProvider({ ...another.adapterSettings, PAYMENT_WECHATPAY_URL: sandbox.url });
      await expect(crossed.query(randomUUID())).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    } finally {
      await another.close();
    }
  });
});
