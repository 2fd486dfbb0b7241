import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentNotificationError, type PaymentProvider, type RunningPaymentSandbox } from '../sdk/index.js';
import { createWechatPayProvider } from './index.js';
import { answerMessage, encryptResource, rsaSign, unixSeconds } from './protocol.js';
import { startWechatPaySandbox } from './sandbox-server.js';
import { replayNotification, startNotificationReceiver, waitFor, type NotificationReceiver, type ReceivedNotification } from './sandbox-testing.fixture.js';

// parseNotification on notifications the sandbox really sent (and copies of them altered as an
// attacker would): what verifies, what does not, and the reason given.

let receiver: NotificationReceiver;
let sandbox: RunningPaymentSandbox;
let provider: PaymentProvider;
/** A genuine TRANSACTION.SUCCESS notification, as received. */
let genuine: ReceivedNotification;
let paymentId: string;

beforeAll(async () => {
  receiver = await startNotificationReceiver();
  sandbox = await startWechatPaySandbox({ notifyUrl: receiver.url, settleAfterMs: 10 });
  provider = createWechatPayProvider(sandbox.adapterSettings);
  paymentId = randomUUID();
  await provider.charge({ paymentId, payerId: 'oPayerNotification01', amount: 19800, currency: 'CNY', description: 'PLUS membership' });
  genuine = await waitFor(() => receiver.received[0], 3000, 'the first notification');
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

async function refusal(promise: Promise<unknown>): Promise<PaymentNotificationError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PaymentNotificationError);
  return error as PaymentNotificationError;
}

function otherPrivateKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

it('a genuine notification parses: its id, our payment id (the UUID back from out_trade_no), the outcome and the transaction id', async () => {
  const notification = await provider.parseNotification(genuine.headers, genuine.body);

  expect(notification).toEqual({
    notificationId: JSON.parse(genuine.body).id,
    paymentId,
    outcome: 'SUCCEEDED',
    providerReference: expect.stringMatching(/^4200\d{24}$/),
  });
  expect(genuine.headers['wechatpay-serial']).toBe(sandbox.adapterSettings.PAYMENT_WECHATPAY_PLATFORM_SERIAL);
  expect(JSON.parse(genuine.body).resource.algorithm).toBe('AEAD_AES_256_GCM');
});

it('reads the Wechatpay-* headers whatever their case', async () => {
  const shouted = Object.fromEntries(Object.entries(genuine.headers).map(([name, value]) => [name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase()), value]));

  await expect(provider.parseNotification(shouted, genuine.body)).resolves.toMatchObject({ paymentId, outcome: 'SUCCEEDED' });
});

describe('refuses', () => {
  it('a forged signature (another key over the same message) as BAD_SIGNATURE', async () => {
    const forged = rsaSign(answerMessage(genuine.headers['wechatpay-timestamp']!, genuine.headers['wechatpay-nonce']!, genuine.body), otherPrivateKey());

    const error = await refusal(provider.parseNotification({ ...genuine.headers, 'wechatpay-signature': forged }, genuine.body));

    expect(error.reason).toBe('BAD_SIGNATURE');
    expect(error.message).toBe('the signature does not match the body under the platform key');
  });

  it('a signature that is not even base64 as BAD_SIGNATURE', async () => {
    const error = await refusal(provider.parseNotification({ ...genuine.headers, 'wechatpay-signature': 'not a signature!' }, genuine.body));

    expect(error.reason).toBe('BAD_SIGNATURE');
  });

  it('a body altered after signing as BAD_SIGNATURE', async () => {
    const altered = genuine.body.replace('"summary":"支付成功"', '"summary":"支付成功 "');
    expect(altered).not.toBe(genuine.body);

    const error = await refusal(provider.parseNotification(genuine.headers, altered));

    expect(error.reason).toBe('BAD_SIGNATURE');
  });

  it('a notification whose resource was swapped for another one (re-encrypted, not re-signed) as BAD_SIGNATURE', async () => {
    const body = JSON.parse(genuine.body);
    body.resource.ciphertext = encryptResource('{"out_trade_no":"x"}', sandbox.adapterSettings.PAYMENT_WECHATPAY_API_V3_KEY!, body.resource.nonce, 'transaction');

    const error = await refusal(provider.parseNotification(genuine.headers, JSON.stringify(body)));

    expect(error.reason).toBe('BAD_SIGNATURE');
  });

  it('a notification signed under another serial as BAD_SIGNATURE, naming both serials', async () => {
    const error = await refusal(provider.parseNotification({ ...genuine.headers, 'wechatpay-serial': 'PUB_KEY_ID_0114232134912410000000000000' }, genuine.body));

    expect(error.reason).toBe('BAD_SIGNATURE');
    expect(error.message).toBe(
      `signed with platform key PUB_KEY_ID_0114232134912410000000000000, not the configured ${sandbox.adapterSettings.PAYMENT_WECHATPAY_PLATFORM_SERIAL}`,
    );
  });

  it('a replay signed 10 minutes ago (the sandbox re-sends it so) as TIMESTAMP_OUT_OF_TOLERANCE', async () => {
    const id = JSON.parse(genuine.body).id as string;
    const before = receiver.received.length;

    await replayNotification(sandbox, id, { signedSecondsAgo: 600 });
    const replayed = receiver.received[before]!;
    const error = await refusal(provider.parseNotification(replayed.headers, replayed.body));

    expect(Number(replayed.headers['wechatpay-timestamp'])).toBeLessThanOrEqual(Date.now() / 1000 - 599);
    expect(error.reason).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
    expect(error.message).toMatch(/more than 5 minutes from now/);
  });

  it('a captured notification sent again verbatim 6 minutes later as TIMESTAMP_OUT_OF_TOLERANCE (4 minutes later it still parses)', async () => {
    const id = JSON.parse(genuine.body).id as string;
    const before = receiver.received.length;
    await replayNotification(sandbox, id, { verbatim: true });
    const copy = receiver.received[before]!;
    const signedAt = Number(copy.headers['wechatpay-timestamp']) * 1000;
    const at = (ms: number) => createWechatPayProvider(sandbox.adapterSettings, { now: () => signedAt + ms });

    expect(copy.headers['wechatpay-signature']).toBe(genuine.headers['wechatpay-signature']);
    await expect(at(4 * 60_000).parseNotification(copy.headers, copy.body)).resolves.toMatchObject({ notificationId: id });
    expect((await refusal(at(6 * 60_000).parseNotification(copy.headers, copy.body))).reason).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
    expect((await refusal(at(-6 * 60_000).parseNotification(copy.headers, copy.body))).reason).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
  });

  it('a resource that does not decrypt with our APIv3 key as UNDECRYPTABLE', async () => {
    const wrongKey = createWechatPayProvider({ ...sandbox.adapterSettings, PAYMENT_WECHATPAY_API_V3_KEY: 'A'.repeat(32) });

    const error = await refusal(wrongKey.parseNotification(genuine.headers, genuine.body));

    expect(error.reason).toBe('UNDECRYPTABLE');
    expect(error.message).toBe('the resource does not decrypt with the APIv3 key, its nonce and associated data');
  });

  it('a notification without its signature headers as MALFORMED', async () => {
    const { 'wechatpay-signature': _, ...unsigned } = genuine.headers;

    const error = await refusal(provider.parseNotification(unsigned, genuine.body));

    expect(error.reason).toBe('MALFORMED');
  });
});

it('a notification re-sent within 5 minutes parses to the same notificationId (de-duplication is the core’s)', async () => {
  const id = JSON.parse(genuine.body).id as string;
  const before = receiver.received.length;

  await replayNotification(sandbox, id);
  const again = receiver.received[before]!;

  expect(again.headers['wechatpay-nonce']).not.toBe(genuine.headers['wechatpay-nonce']);
  await expect(provider.parseNotification(again.headers, again.body)).resolves.toMatchObject({ notificationId: id, paymentId });
});

describe('well signed but not for us', () => {
  // Notifications the test signs itself, under a platform key it made, for cases the sandbox never sends.
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = 'k'.repeat(32);
  let selfSigned: PaymentProvider;

  beforeAll(() => {
    selfSigned = createWechatPayProvider({
      ...sandbox.adapterSettings,
      PAYMENT_WECHATPAY_API_V3_KEY: apiV3Key,
      PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
  });

  function notification(overrides: { event_type?: string; algorithm?: string; transaction?: Record<string, unknown> } = {}): [Record<string, string>, string] {
    const transaction = {
      mchid: sandbox.adapterSettings.PAYMENT_WECHATPAY_MCH_ID,
      appid: sandbox.adapterSettings.PAYMENT_WECHATPAY_APP_ID,
      out_trade_no: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      transaction_id: '4200000000000000000000000001',
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      payer: { openid: 'o1' },
      amount: { total: 1, currency: 'CNY' },
      ...overrides.transaction,
    };
    const body = JSON.stringify({
      id: 'EV-self-signed',
      create_time: '2026-12-07T09:00:00+08:00',
      resource_type: 'encrypt-resource',
      event_type: overrides.event_type ?? 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      resource: {
        original_type: 'transaction',
        algorithm: overrides.algorithm ?? 'AEAD_AES_256_GCM',
        ciphertext: encryptResource(JSON.stringify(transaction), apiV3Key, 'abcdefghijkl', 'transaction'),
        associated_data: 'transaction',
        nonce: 'abcdefghijkl',
      },
    });
    const timestamp = unixSeconds(Date.now());
    return [
      {
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': 'N0NCE',
        'wechatpay-serial': sandbox.adapterSettings.PAYMENT_WECHATPAY_PLATFORM_SERIAL!,
        'wechatpay-signature': rsaSign(answerMessage(timestamp, 'N0NCE', body), platform.privateKey),
      },
      body,
    ];
  }

  it('parses when everything is in order (the control for the cases below)', async () => {
    await expect(selfSigned.parseNotification(...notification())).resolves.toEqual({
      notificationId: 'EV-self-signed',
      paymentId: 'c0ffee00-c0ff-ee00-c0ff-ee00c0ffee00',
      outcome: 'SUCCEEDED',
      providerReference: '4200000000000000000000000001',
    });
  });

  it.each([
    ['a resource cipher other than AEAD_AES_256_GCM', 'UNSUPPORTED', { algorithm: 'AEAD_SM4_GCM' }],
    ['an event that is not about a charge', 'UNSUPPORTED', { event_type: 'REFUND.SUCCESS' }],
    ['a trade state that is not an outcome', 'UNSUPPORTED', { transaction: { trade_state: 'NOTPAY' } }],
    ["another merchant's transaction", 'MALFORMED', { transaction: { mchid: '1900000001' } }],
  ] as const)('refuses %s as %s', async (_, reason, overrides) => {
    const error = await refusal(selfSigned.parseNotification(...notification(overrides)));

    expect(error.reason).toBe(reason);
  });
});
