import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChargeRequest, PaymentNotification, PaymentProvider, RunningPaymentSandbox } from '../sdk/index.js';
import { createWechatPayProvider, WechatPayError, wechatpaySettingsFrom } from './index.js';
import { startWechatPaySandbox, type WechatPaySandboxOptions } from './sandbox-server.js';
import {
  sandboxState,
  setScenario,
  startNotificationReceiver,
  waitFor,
  type NotificationReceiver,
  type ReceivedNotification,
} from './sandbox-testing.fixture.js';

// The adapter against the sandbox, over real HTTP on loopback: every call and every scenario.

const SETTLE_AFTER_MS = 20;

let receiver: NotificationReceiver;
let sandbox: RunningPaymentSandbox;
let provider: PaymentProvider;
const extras: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  receiver = await startNotificationReceiver();
  sandbox = await startWechatPaySandbox({ notifyUrl: receiver.url, settleAfterMs: SETTLE_AFTER_MS, notifyRetryDelayMs: 20 });
  provider = createWechatPayProvider(sandbox.adapterSettings);
});
afterEach(async () => {
  await Promise.all(extras.splice(0).map((extra) => extra.close()));
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

async function startOther(options: WechatPaySandboxOptions): Promise<RunningPaymentSandbox> {
  const other = await startWechatPaySandbox(options);
  extras.push(other);
  return other;
}

/** A fresh openid-like payer id, so scenarios set for one test never touch another. */
function newPayer(): string {
  return `o${randomUUID().replace(/-/g, '').slice(0, 27)}`;
}

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return { paymentId: randomUUID(), payerId: newPayer(), amount: 19800, currency: 'CNY', description: 'PLUS membership', ...overrides };
}

/** The notifications received about one payment, parsed by the adapter. */
async function notificationsAbout(paymentId: string, from = receiver.received): Promise<Array<PaymentNotification & { raw: ReceivedNotification }>> {
  const parsed = await Promise.all(from.map(async (raw) => ({ ...(await provider.parseNotification(raw.headers, raw.body)), raw })));
  return parsed.filter((notification) => notification.paymentId === paymentId);
}

async function firstNotificationAbout(paymentId: string): Promise<PaymentNotification> {
  const [first] = await waitFor(async () => {
    const found = await notificationsAbout(paymentId);
    return found.length > 0 ? found : null;
  }, 3000, `a notification about ${paymentId}`);
  return first!;
}

function outTradeNo(paymentId: string): string {
  return paymentId.replace(/-/g, '');
}

async function expectWechatPayError(promise: Promise<unknown>, code: WechatPayError['code'], providerCode?: string): Promise<WechatPayError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WechatPayError);
  expect((error as WechatPayError).code).toBe(code);
  if (providerCode) expect((error as WechatPayError).providerCode).toBe(providerCode);
  return error as WechatPayError;
}

describe('a first charge (JSAPI order the payer confirms)', () => {
  it('is PENDING, then a signed notification says SUCCEEDED with the transaction id, and query agrees', async () => {
    const request = chargeRequest();

    await expect(provider.charge(request)).resolves.toEqual({ outcome: 'PENDING' });
    const notification = await firstNotificationAbout(request.paymentId);

    expect(notification).toMatchObject({ paymentId: request.paymentId, outcome: 'SUCCEEDED' });
    expect(notification.providerReference).toMatch(/^4200\d{24}$/);
    expect(notification.notificationId).toMatch(/^EV-/);
    await expect(provider.query(request.paymentId)).resolves.toEqual({ outcome: 'SUCCEEDED', providerReference: notification.providerReference });
    const order = (await sandboxState(sandbox)).orders.find((o) => o.out_trade_no === outTradeNo(request.paymentId));
    expect(order).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 19800 } });
  });

  it('is PENDING to a query until the payer has paid', async () => {
    const slow = await startOther({ settleAfterMs: 2000 });
    const slowProvider = createWechatPayProvider(slow.adapterSettings);
    const request = chargeRequest();

    await slowProvider.charge(request);

    await expect(slowProvider.query(request.paymentId)).resolves.toEqual({ outcome: 'PENDING' });
  });

  it('charged again with the same paymentId is one order and one notification; once paid, the retry answers SUCCEEDED', async () => {
    const request = chargeRequest();

    const [first, second] = await Promise.all([provider.charge(request), provider.charge(request)]);
    const notification = await firstNotificationAbout(request.paymentId);
    const afterPayment = await provider.charge(request);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect([first, second]).toEqual([{ outcome: 'PENDING' }, { outcome: 'PENDING' }]);
    expect(afterPayment).toEqual({ outcome: 'SUCCEEDED', providerReference: notification.providerReference });
    const state = await sandboxState(sandbox);
    expect(state.orders.filter((o) => o.out_trade_no === outTradeNo(request.paymentId))).toHaveLength(1);
    expect(state.notifications.filter((n) => n.out_trade_no === outTradeNo(request.paymentId))).toHaveLength(1);
  });

  it('decline (per payer): PENDING, then a failure notification says FAILED DECLINED, and query agrees', async () => {
    const request = chargeRequest();
    await setScenario(sandbox, { payerId: request.payerId, scenario: 'decline' });

    await expect(provider.charge(request)).resolves.toEqual({ outcome: 'PENDING' });
    const notification = await firstNotificationAbout(request.paymentId);

    expect(notification).toMatchObject({ outcome: 'FAILED', failureReason: 'DECLINED' });
    expect(notification.providerReference).toBeUndefined();
    await expect(provider.query(request.paymentId)).resolves.toEqual({ outcome: 'FAILED', failureReason: 'DECLINED' });
    const sent = (await sandboxState(sandbox)).notifications.find((n) => n.out_trade_no === outTradeNo(request.paymentId));
    expect(sent?.event_type).toBe('TRANSACTION.FAIL');
  });

  it('insufficient_funds (per amount): FAILED INSUFFICIENT_FUNDS by notification and by query; a retry answers the same', async () => {
    const request = chargeRequest({ amount: 10_001 });
    await setScenario(sandbox, { amount: 10_001, scenario: 'insufficient_funds' });

    await provider.charge(request);
    const notification = await firstNotificationAbout(request.paymentId);

    expect(notification).toMatchObject({ outcome: 'FAILED', failureReason: 'INSUFFICIENT_FUNDS' });
    await expect(provider.query(request.paymentId)).resolves.toEqual({ outcome: 'FAILED', failureReason: 'INSUFFICIENT_FUNDS' });
    await expect(provider.charge(request)).resolves.toEqual({ outcome: 'FAILED', failureReason: 'INSUFFICIENT_FUNDS' });
  });

  it('a payer scenario wins over an amount scenario', async () => {
    const request = chargeRequest({ amount: 10_002 });
    await setScenario(sandbox, { amount: 10_002, scenario: 'insufficient_funds' });
    await setScenario(sandbox, { payerId: request.payerId, scenario: 'decline' });

    await provider.charge(request);

    await expect(firstNotificationAbout(request.paymentId)).resolves.toMatchObject({ outcome: 'FAILED', failureReason: 'DECLINED' });
  });

  it.each([
    ['a currency other than CNY', { currency: 'USD' }, /CNY only/],
    ['a fractional amount', { amount: 19.8 }, /positive whole number of fen/],
    ['a zero amount', { amount: 0 }, /positive whole number of fen/],
    ['a paymentId longer than 32 characters that is not a UUID', { paymentId: 'p'.repeat(33) }, /cannot be a WeChat Pay order number/],
    ['a paymentId of 32 hex digits (it would read back as a UUID)', { paymentId: 'a'.repeat(32) }, /cannot be a WeChat Pay order number/],
  ])('refuses %s as INVALID_REQUEST without sending anything', async (_, overrides, message) => {
    const before = (await sandboxState(sandbox)).orders.length;

    const error = await expectWechatPayError(provider.charge(chargeRequest(overrides)), 'INVALID_REQUEST');

    expect(error.message).toMatch(message);
    expect((await sandboxState(sandbox)).orders).toHaveLength(before);
  });

  it('sends a non-UUID paymentId as it is and reads it back unchanged', async () => {
    const request = chargeRequest({ paymentId: `pay_${randomUUID().slice(0, 8)}` });

    await provider.charge(request);

    await expect(firstNotificationAbout(request.paymentId)).resolves.toMatchObject({ paymentId: request.paymentId, outcome: 'SUCCEEDED' });
  });
});

describe('mandates and renewals (委托代扣)', () => {
  it('createMandate signs at once: ACTIVE with the contract id; asking again with the same id gives the same mandate', async () => {
    const request = { mandateRequestId: randomUUID(), payerId: newPayer(), planCode: 'PLUS', maxAmount: 19800, currency: 'CNY' };

    const first = await provider.createMandate(request);
    const again = await provider.createMandate(request);

    expect(first).toEqual({ mandateId: expect.stringMatching(/^\d{20}$/), status: 'ACTIVE' });
    expect(again).toEqual(first);
    const mandates = (await sandboxState(sandbox)).mandates.filter((m) => m.out_contract_code === outTradeNo(request.mandateRequestId));
    expect(mandates).toEqual([expect.objectContaining({ contract_id: first.mandateId, contract_state: 'ADD', openid: request.payerId })]);
  });

  it('a renewal charged through the mandate is PENDING, then SUCCEEDED by notification', async () => {
    const payerId = newPayer();
    const mandate = await provider.createMandate({ mandateRequestId: randomUUID(), payerId, planCode: 'PLUS', maxAmount: 19800, currency: 'CNY' });
    const request = chargeRequest({ payerId, mandateId: mandate.mandateId });

    await expect(provider.charge(request)).resolves.toEqual({ outcome: 'PENDING' });
    const notification = await firstNotificationAbout(request.paymentId);

    expect(notification).toMatchObject({ outcome: 'SUCCEEDED', providerReference: expect.stringMatching(/^4200/) });
    const order = (await sandboxState(sandbox)).orders.find((o) => o.out_trade_no === outTradeNo(request.paymentId));
    expect(order).toMatchObject({ trade_type: 'PAP', contract_id: mandate.mandateId, trade_state: 'SUCCESS' });
  });

  it('mandate_refused: the mandate is REFUSED, and a charge through it is FAILED MANDATE_INVALID at once', async () => {
    const payerId = newPayer();
    await setScenario(sandbox, { payerId, scenario: 'mandate_refused' });

    const mandate = await provider.createMandate({ mandateRequestId: randomUUID(), payerId, planCode: 'PLUS', maxAmount: 19800, currency: 'CNY' });
    const charged = await provider.charge(chargeRequest({ payerId, mandateId: mandate.mandateId }));

    expect(mandate.status).toBe('REFUSED');
    expect(charged).toEqual({ outcome: 'FAILED', failureReason: 'MANDATE_INVALID' });
  });

  it('a charge through an unknown mandate is FAILED MANDATE_INVALID at once', async () => {
    await expect(provider.charge(chargeRequest({ mandateId: '99999999999999999999' }))).resolves.toEqual({ outcome: 'FAILED', failureReason: 'MANDATE_INVALID' });
  });

  it.each([
    ['decline', 'DECLINED'],
    ['insufficient_funds', 'INSUFFICIENT_FUNDS'],
  ] as const)('%s on a deduction is refused at once (FAILED %s), sends no notification, and a retry says the same', async (scenario, reason) => {
    const payerId = newPayer();
    const mandate = await provider.createMandate({ mandateRequestId: randomUUID(), payerId, planCode: 'PLUS', maxAmount: 19800, currency: 'CNY' });
    await setScenario(sandbox, { payerId, scenario });
    const request = chargeRequest({ payerId, mandateId: mandate.mandateId });

    const charged = await provider.charge(request);
    const retried = await provider.charge(request);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_AFTER_MS * 5));

    expect(charged).toEqual({ outcome: 'FAILED', failureReason: reason });
    expect(retried).toEqual({ outcome: 'FAILED', failureReason: reason });
    await expect(provider.query(request.paymentId)).resolves.toEqual({ outcome: 'FAILED', failureReason: reason });
    expect((await sandboxState(sandbox)).notifications.filter((n) => n.out_trade_no === outTradeNo(request.paymentId))).toEqual([]);
  });

  it('createMandate without a plan id configured is a CONFIGURATION error, nothing sent', async () => {
    const { PAYMENT_WECHATPAY_PLAN_ID: _, ...withoutPlan } = sandbox.adapterSettings;
    const unplanned = createWechatPayProvider(withoutPlan);

    const error = await expectWechatPayError(
      unplanned.createMandate({ mandateRequestId: randomUUID(), payerId: newPayer(), planCode: 'PLUS', maxAmount: 19800, currency: 'CNY' }),
      'CONFIGURATION',
    );
    expect(error.message).toContain('PAYMENT_WECHATPAY_PLAN_ID');
  });
});

describe('notification scenarios', () => {
  it('delayed_notification: query says SUCCEEDED before the notification, which comes after delayMs', async () => {
    const request = chargeRequest();
    await setScenario(sandbox, { payerId: request.payerId, scenario: 'delayed_notification', delayMs: 500 });
    const started = Date.now();

    await provider.charge(request);
    const queried = await waitFor(async () => {
      const result = await provider.query(request.paymentId);
      return result.outcome === 'SUCCEEDED' ? result : null;
    });
    const beforeNotification = await notificationsAbout(request.paymentId);
    const notification = await firstNotificationAbout(request.paymentId);

    expect(beforeNotification).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(notification).toMatchObject({ outcome: 'SUCCEEDED', providerReference: queried.providerReference });
  });

  it('duplicated_notification: the same notification arrives twice and parses to the same notificationId both times', async () => {
    const request = chargeRequest();
    await setScenario(sandbox, { payerId: request.payerId, scenario: 'duplicated_notification' });

    await provider.charge(request);
    const both = await waitFor(async () => {
      const found = await notificationsAbout(request.paymentId);
      return found.length >= 2 ? found : null;
    });

    expect(both).toHaveLength(2);
    expect(both[1]!.notificationId).toBe(both[0]!.notificationId);
    expect(both[1]).toMatchObject({ outcome: 'SUCCEEDED', providerReference: both[0]!.providerReference });
    // Delivered twice, each time freshly signed, as WeChat Pay redelivers.
    expect(both[1]!.raw.headers['wechatpay-nonce']).not.toBe(both[0]!.raw.headers['wechatpay-nonce']);
  });

  it('notification_never_sent: nothing arrives; only query tells SUCCEEDED', async () => {
    const request = chargeRequest();
    await setScenario(sandbox, { payerId: request.payerId, scenario: 'notification_never_sent' });

    await provider.charge(request);
    const queried = await waitFor(async () => {
      const result = await provider.query(request.paymentId);
      return result.outcome === 'SUCCEEDED' ? result : null;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(queried.providerReference).toMatch(/^4200/);
    expect(await notificationsAbout(request.paymentId)).toEqual([]);
    expect((await sandboxState(sandbox)).notifications.filter((n) => n.out_trade_no === outTradeNo(request.paymentId))).toEqual([]);
  });

  it('a receiver answering non-2xx gets the notification again, with a growing wait, until it answers 2xx', async () => {
    const flaky = await startNotificationReceiver();
    extras.push(flaky);
    const other = await startOther({ notifyUrl: flaky.url, settleAfterMs: SETTLE_AFTER_MS, notifyRetryDelayMs: 50 });
    flaky.answerNext(500, 503);
    const request = chargeRequest();

    await createWechatPayProvider(other.adapterSettings).charge(request);
    const sent = await waitFor(async () => (await sandboxState(other)).notifications.find((n) => n.delivered), 5000, 'a delivered notification');

    expect(flaky.received.map((r) => r.answered)).toEqual([500, 503, 200]);
    expect(sent.deliveries.map((d) => d.status)).toEqual([500, 503, 200]);
    const times = sent.deliveries.map((d) => Date.parse(d.at));
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(95);
    expect(new Set(flaky.received.map((r) => JSON.parse(r.body).id)).size).toBe(1);
  });

  it('a receiver that never answers 2xx is tried notifyAttempts times, then left', async () => {
    const down = await startNotificationReceiver();
    extras.push(down);
    const other = await startOther({ notifyUrl: down.url, settleAfterMs: SETTLE_AFTER_MS, notifyRetryDelayMs: 10, notifyAttempts: 3 });
    down.answerNext(500, 500, 500, 500, 500);

    await createWechatPayProvider(other.adapterSettings).charge(chargeRequest());
    await waitFor(() => down.received.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 150));

    const [sent] = (await sandboxState(other)).notifications;
    expect(sent).toMatchObject({ delivered: false });
    expect(sent!.deliveries.map((d) => d.status)).toEqual([500, 500, 500]);
  });
});

describe('query', () => {
  it('of a payment WeChat Pay does not know is REFUSED with ORDER_NOT_EXIST (404)', async () => {
    const error = await expectWechatPayError(provider.query(randomUUID()), 'REFUSED', 'ORDER_NOT_EXIST');

    expect(error.status).toBe(404);
    expect(error.retryable).toBe(false);
  });
});

describe('refund', () => {
  async function paidCharge(amount = 19800): Promise<{ paymentId: string; providerReference: string }> {
    const request = chargeRequest({ amount });
    await provider.charge(request);
    const notification = await firstNotificationAbout(request.paymentId);
    return { paymentId: request.paymentId, providerReference: notification.providerReference! };
  }

  it('refunds part, then the rest; a retried refund is refunded once; more than what is left is FAILED', async () => {
    const paid = await paidCharge(19800);
    const refund = (refundId: string, amount: number) =>
      provider.refund({ refundId, paymentId: paid.paymentId, providerReference: paid.providerReference, amount, paidAmount: 19800, currency: 'CNY' });
    const firstId = randomUUID();

    const first = await refund(firstId, 5000);
    const retried = await refund(firstId, 5000);
    const rest = await refund(randomUUID(), 14800);
    const tooMuch = await refund(randomUUID(), 1);

    expect(first).toEqual({ outcome: 'SUCCEEDED', providerReference: expect.stringMatching(/^50\d{27}$/) });
    expect(retried).toEqual(first);
    expect(rest.outcome).toBe('SUCCEEDED');
    expect(tooMuch).toEqual({ outcome: 'FAILED' });
    const state = await sandboxState(sandbox);
    expect(state.refunds.filter((r) => r.out_trade_no === outTradeNo(paid.paymentId)).map((r) => r.amount.refund)).toEqual([5000, 14800]);
    expect(state.orders.find((o) => o.out_trade_no === outTradeNo(paid.paymentId))).toMatchObject({ trade_state: 'REFUND', refunded: 19800 });
    // A refunded charge still succeeded.
    await expect(provider.query(paid.paymentId)).resolves.toEqual({ outcome: 'SUCCEEDED', providerReference: paid.providerReference });
  });

  it('finds the order by our paymentId when there is no provider reference', async () => {
    const paid = await paidCharge(3000);

    const refunded = await provider.refund({ refundId: randomUUID(), paymentId: paid.paymentId, providerReference: null, amount: 3000, paidAmount: 3000, currency: 'CNY' });

    expect(refunded.outcome).toBe('SUCCEEDED');
  });

  it('of an unpaid charge is FAILED', async () => {
    const request = chargeRequest();
    await setScenario(sandbox, { payerId: request.payerId, scenario: 'decline' });
    await provider.charge(request);
    await firstNotificationAbout(request.paymentId);

    const refunded = await provider.refund({ refundId: randomUUID(), paymentId: request.paymentId, providerReference: null, amount: 100, paidAmount: 19800, currency: 'CNY' });

    expect(refunded).toEqual({ outcome: 'FAILED' });
  });

  it('of more than was paid is INVALID_REQUEST, nothing sent', async () => {
    const before = (await sandboxState(sandbox)).refunds.length;

    const error = await expectWechatPayError(
      provider.refund({ refundId: randomUUID(), paymentId: randomUUID(), providerReference: null, amount: 20000, paidAmount: 19800, currency: 'CNY' }),
      'INVALID_REQUEST',
    );

    expect(error.message).toContain('more than the 19800 paid');
    expect((await sandboxState(sandbox)).refunds).toHaveLength(before);
  });
});

describe('signatures on the wire', () => {
  function otherKeys() {
    return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }

  it('an answer signed by another platform key is ANSWER_NOT_VERIFIED (the outcome is unknown, retryable)', async () => {
    const impostor = otherKeys().publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const misled = createWechatPayProvider({ ...sandbox.adapterSettings, PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY: impostor });

    const error = await expectWechatPayError(misled.charge(chargeRequest()), 'ANSWER_NOT_VERIFIED');

    expect(error.message).toContain('signature does not match');
    expect(error.retryable).toBe(true);
  });

  it('an answer signed under another serial than the configured one is ANSWER_NOT_VERIFIED', async () => {
    const misled = createWechatPayProvider({ ...sandbox.adapterSettings, PAYMENT_WECHATPAY_PLATFORM_SERIAL: 'PUB_KEY_ID_0000000000000000000000000000000' });

    const error = await expectWechatPayError(misled.query(randomUUID()), 'ANSWER_NOT_VERIFIED');

    expect(error.message).toContain('not the configured PUB_KEY_ID_0000000000000000000000000000000');
  });

  it('a request signed with another merchant key is refused by the sandbox (UNAUTHORIZED, SIGN_ERROR) and records nothing', async () => {
    const forger = createWechatPayProvider({
      ...sandbox.adapterSettings,
      PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY: otherKeys().privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const request = chargeRequest();

    const error = await expectWechatPayError(forger.charge(request), 'UNAUTHORIZED', 'SIGN_ERROR');

    expect(error.status).toBe(401);
    expect((await sandboxState(sandbox)).orders.find((o) => o.out_trade_no === outTradeNo(request.paymentId))).toBeUndefined();
  });

  it('no answer at all is NO_ANSWER, retryable', async () => {
    const gone = await startWechatPaySandbox({});
    const settings = gone.adapterSettings;
    await gone.close();

    const error = await expectWechatPayError(createWechatPayProvider(settings).charge(chargeRequest()), 'NO_ANSWER');

    expect(error.retryable).toBe(true);
  });
});

describe('settings', () => {
  it('the adapter takes the sandbox settings as an env-like record or as read by wechatpaySettingsFrom', async () => {
    const typed = createWechatPayProvider(wechatpaySettingsFrom(sandbox.adapterSettings));

    expect(typed.name).toBe('wechatpay');
    await expect(typed.charge(chargeRequest())).resolves.toEqual({ outcome: 'PENDING' });
  });
});
