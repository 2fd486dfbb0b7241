import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { callSandbox, itBehavesLikeASandbox, sandboxAdminState, type SandboxCallInit } from '../testing/sandbox.js';
import { startSkymilesSandbox, type SkymilesSandboxOptions } from './sandbox-server.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.fixture.js';
import { generateWebhookSecret, verifyWebhook, type RunningSandbox } from '../sdk/index.js';

const CONFIRM_AFTER_MS = 50;
const secret = generateWebhookSecret();

let receiver: WebhookReceiver;
let sandbox: RunningSandbox;
const extraSandboxes: RunningSandbox[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  sandbox = await startSkymilesSandbox({
    confirmAfterMs: CONFIRM_AFTER_MS,
    acknowledgeUrl: receiver.url,
    acknowledgeSecrets: [secret],
    acknowledgeRetryDelayMs: 20,
    rejectPseudonyms: ['psn-frozen-account'],
  });
});
afterEach(async () => {
  await Promise.all(extraSandboxes.splice(0).map((other) => other.close()));
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

async function startOther(options: SkymilesSandboxOptions = {}): Promise<RunningSandbox> {
  const other = await startSkymilesSandbox(options);
  extraSandboxes.push(other);
  return other;
}

function call(path: string, init?: SandboxCallInit, target = sandbox): Promise<Response> {
  return callSandbox(target, path, init);
}

function requestConversion(conversionId: string, eventId: string, overrides: Record<string, unknown> = {}, target = sandbox): Promise<Response> {
  return call(
    '/v1/conversions',
    {
      method: 'POST',
      eventId,
      body: JSON.stringify({ conversionId, memberPseudonym: `psn-${conversionId}`, miles: 2000, validUntil: '2027-01-01T00:00:00.000Z', ...overrides }),
    },
    target,
  );
}

interface ConversionView {
  conversionId: string;
  accountNumber: string;
  miles: number;
  status: string;
  reference: string | null;
  creditedAt: string | null;
}

interface AdminState {
  conversions: ConversionView[];
  accounts: Array<{ accountNumber: string; miles: number }>;
  provisioningCalls: Record<string, number>;
  effects: Array<{ eventId: string; action: string; conversionId: string; miles: number }>;
  acknowledgements: Array<{ webhookId: string; conversionId: string; status: string; attempts: number; delivered: boolean }>;
}

const adminState = (target = sandbox) => sandboxAdminState<AdminState>(target);

async function conversion(conversionId: string): Promise<ConversionView> {
  return (await (await call(`/v1/conversions/${conversionId}`)).json()) as ConversionView;
}

function webhooksFor(conversionId: string) {
  return receiver.received.filter((webhook) => (JSON.parse(webhook.body) as { entitlementId: string }).entitlementId === conversionId);
}

describe('SkyMiles sandbox', () => {
  itBehavesLikeASandbox({
    sandbox: () => sandbox,
    start: startSkymilesSandbox,
    apiPath: '/v1/conversions/cv-never',
    upStatus: 404,
    realm: 'skymiles',
    keyPrefix: 'sm',
  });

  it('accepts a conversion as PENDING and credits it after confirmAfterMs', async () => {
    const accepted = await requestConversion('cv-credit', 'evt-credit');
    expect(accepted.status).toBe(201);
    expect(await accepted.json()).toMatchObject({ conversionId: 'cv-credit', miles: 2000, status: 'PENDING', reference: null, creditedAt: null });

    await vi.waitFor(async () => expect((await conversion('cv-credit')).status).toBe('CREDITED'), { timeout: 2000, interval: 20 });
    const credited = await conversion('cv-credit');
    expect(credited.reference).toMatch(/^SKC[0-9A-F]{10}$/);
    expect(Date.parse(credited.creditedAt!)).not.toBeNaN();
    const state = await adminState();
    expect(state.accounts).toContainEqual({ accountNumber: credited.accountNumber, miles: 2000 });
    expect(state.effects.filter((effect) => effect.conversionId === 'cv-credit').map((effect) => effect.action)).toEqual([
      'CONVERSION_REQUESTED',
      'MILES_CREDITED',
    ]);
  });

  it('posts a signed right.acknowledged webhook once the miles are credited', async () => {
    await requestConversion('cv-ack', 'evt-ack');
    await vi.waitFor(() => expect(webhooksFor('cv-ack')).toHaveLength(1), { timeout: 2000, interval: 20 });
    const [webhook] = webhooksFor('cv-ack');

    const verified = verifyWebhook(webhook!.body, webhook!.headers, [secret]);
    expect(verified.id).toMatch(/^msg_/);
    expect(webhook!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(webhook!.body)).toEqual({
      type: 'right.acknowledged',
      entitlementId: 'cv-ack',
      status: 'ACTIVE',
      activeUntil: '2027-01-01T00:00:00.000Z',
      reference: (await conversion('cv-ack')).reference,
    });
    expect(() => verifyWebhook(webhook!.body, webhook!.headers, [generateWebhookSecret()])).toThrow(/No webhook signature matches/);
  });

  it('redelivers a webhook the receiver refused, with the same webhook-id, until a 2xx', async () => {
    const flaky = await startWebhookReceiver();
    try {
      flaky.answerNext(500, 503);
      const other = await startOther({ confirmAfterMs: 0, acknowledgeUrl: flaky.url, acknowledgeSecrets: [secret], acknowledgeRetryDelayMs: 10 });
      await requestConversion('cv-retry', 'evt-retry', {}, other);
      await vi.waitFor(() => expect(flaky.received.map((webhook) => webhook.answered)).toEqual([500, 503, 204]), { timeout: 3000, interval: 20 });
      expect(new Set(flaky.received.map((webhook) => webhook.headers['webhook-id'])).size).toBe(1);
      for (const webhook of flaky.received) verifyWebhook(webhook.body, webhook.headers, [secret]);
      expect((await adminState(other)).acknowledgements).toEqual([expect.objectContaining({ conversionId: 'cv-retry', attempts: 3, delivered: true })]);
    } finally {
      await flaky.close();
    }
  });

  it('gives up on a webhook after acknowledgeAttempts refusals', async () => {
    const refusing = await startWebhookReceiver();
    try {
      refusing.answerNext(500, 500, 500, 500);
      const other = await startOther({
        confirmAfterMs: 0,
        acknowledgeUrl: refusing.url,
        acknowledgeSecrets: [secret],
        acknowledgeAttempts: 3,
        acknowledgeRetryDelayMs: 10,
      });
      await requestConversion('cv-give-up', 'evt-give-up', {}, other);
      await vi.waitFor(async () => expect((await adminState(other)).acknowledgements).toEqual([expect.objectContaining({ attempts: 3, delivered: false })]), {
        timeout: 2000,
        interval: 20,
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(refusing.received).toHaveLength(3);
    } finally {
      await refusing.close();
    }
  });

  it('rejects the conversion of a pseudonym it refuses, and acknowledges it as REJECTED', async () => {
    await requestConversion('cv-reject', 'evt-reject', { memberPseudonym: 'psn-frozen-account' });
    await vi.waitFor(() => expect(webhooksFor('cv-reject')).toHaveLength(1), { timeout: 2000, interval: 20 });
    const [webhook] = webhooksFor('cv-reject');
    verifyWebhook(webhook!.body, webhook!.headers, [secret]);
    expect(JSON.parse(webhook!.body)).toEqual({ type: 'right.acknowledged', entitlementId: 'cv-reject', status: 'REJECTED', reason: 'account_not_eligible' });
    expect(await conversion('cv-reject')).toMatchObject({ status: 'REJECTED', reference: null, creditedAt: null });
    expect((await adminState()).effects.filter((effect) => effect.conversionId === 'cv-reject').map((effect) => effect.action)).toEqual([
      'CONVERSION_REQUESTED',
      'CONVERSION_REJECTED',
    ]);
  });

  it('applies a conversion request repeated with the same Idempotency-Key exactly once', async () => {
    const first = await requestConversion('cv-once', 'evt-once');
    const replay = await requestConversion('cv-once', 'evt-once');
    expect(replay.status).toBe(201);
    expect(await replay.json()).toEqual(await first.json());
    const state = await adminState();
    expect(state.provisioningCalls['evt-once']).toBe(2);
    expect(state.conversions.filter((view) => view.conversionId === 'cv-once')).toHaveLength(1);
    expect(state.effects.filter((effect) => effect.eventId === 'evt-once' && effect.action === 'CONVERSION_REQUESTED')).toHaveLength(1);
  });

  it('keeps one conversion when a new event asks for the same one again', async () => {
    await requestConversion('cv-again', 'evt-again-1');
    const again = await requestConversion('cv-again', 'evt-again-2');
    expect(again.status).toBe(200);
    const state = await adminState();
    expect(state.conversions.filter((view) => view.conversionId === 'cv-again')).toHaveLength(1);
    expect(state.effects.filter((effect) => effect.conversionId === 'cv-again' && effect.action === 'CONVERSION_REQUESTED')).toHaveLength(1);
  });

  it('refuses a live conversion asked for again with other terms with 409 and changes nothing', async () => {
    await requestConversion('cv-terms', 'evt-terms-1');
    const conflicting = await requestConversion('cv-terms', 'evt-terms-2', { miles: 9000 });
    expect(conflicting.status).toBe(409);
    expect(await conflicting.json()).toMatchObject({ error: 'conversion_conflict' });
    expect((await conversion('cv-terms')).miles).toBe(2000);
  });

  it('refuses an Idempotency-Key reused for a different call with 409', async () => {
    await requestConversion('cv-key', 'evt-key');
    const reused = await requestConversion('cv-key-other', 'evt-key');
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ error: 'idempotency_conflict' });
    expect((await call('/v1/conversions/cv-key-other')).status).toBe(404);
  });

  it('reverses a credit once per event, taking the miles back off the account', async () => {
    await requestConversion('cv-reverse', 'evt-reverse');
    await vi.waitFor(async () => expect((await conversion('cv-reverse')).status).toBe('CREDITED'), { timeout: 2000, interval: 20 });
    const reverse = () => call('/v1/conversions/cv-reverse/reversal', { method: 'POST', eventId: 'evt-reverse-undo' });
    expect((await reverse()).status).toBe(200);
    expect(await (await reverse()).json()).toMatchObject({ status: 'REVERSED', reference: expect.stringMatching(/^SKC/) });

    const state = await adminState();
    const { accountNumber } = state.conversions.find((view) => view.conversionId === 'cv-reverse')!;
    expect(state.accounts).toContainEqual({ accountNumber, miles: 0 });
    expect(state.effects.filter((effect) => effect.eventId === 'evt-reverse-undo')).toEqual([
      expect.objectContaining({ action: 'CREDIT_REVERSED', conversionId: 'cv-reverse', miles: -2000 }),
    ]);
  });

  it('withdraws a pending conversion on reversal, so it is never credited', async () => {
    const slow = await startOther({ confirmAfterMs: 200 });
    await requestConversion('cv-withdraw', 'evt-withdraw', {}, slow);
    expect((await call('/v1/conversions/cv-withdraw/reversal', { method: 'POST', eventId: 'evt-withdraw-undo' }, slow)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const state = await adminState(slow);
    expect(state.conversions).toEqual([expect.objectContaining({ conversionId: 'cv-withdraw', status: 'REVERSED', creditedAt: null })]);
    expect(state.effects.map((effect) => effect.action)).toEqual(['CONVERSION_REQUESTED', 'REQUEST_WITHDRAWN']);
    expect(state.accounts).toEqual([]);
  });

  it('answers 404 when reversing a conversion it never had', async () => {
    const response = await call('/v1/conversions/cv-never/reversal', { method: 'POST', eventId: 'evt-never' });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'conversion_not_found' });
  });

  it('reopens a reversed conversion asked for again by a new event, and credits it anew', async () => {
    await requestConversion('cv-reopen', 'evt-reopen-1');
    await call('/v1/conversions/cv-reopen/reversal', { method: 'POST', eventId: 'evt-reopen-undo' });
    const reopened = await requestConversion('cv-reopen', 'evt-reopen-2');
    expect(await reopened.json()).toMatchObject({ status: 'PENDING', reversedAt: null });
    await vi.waitFor(async () => expect((await conversion('cv-reopen')).status).toBe('CREDITED'), { timeout: 2000, interval: 20 });
    expect((await adminState()).effects.filter((effect) => effect.conversionId === 'cv-reopen').map((effect) => effect.action)).toEqual([
      'CONVERSION_REQUESTED',
      'REQUEST_WITHDRAWN',
      'CONVERSION_REOPENED',
      'MILES_CREDITED',
    ]);
  });

  it('derives the account from the pseudonym alone: one account per pseudonym, no personal data asked', async () => {
    const first = (await (await requestConversion('cv-acct-1', 'evt-acct-1', { memberPseudonym: 'psn-same' })).json()) as ConversionView;
    const second = (await (await requestConversion('cv-acct-2', 'evt-acct-2', { memberPseudonym: 'psn-same' })).json()) as ConversionView;
    const other = (await (await requestConversion('cv-acct-3', 'evt-acct-3', { memberPseudonym: 'psn-other' })).json()) as ConversionView;
    expect(first.accountNumber).toMatch(/^SK\d{10}$/);
    expect(second.accountNumber).toBe(first.accountNumber);
    expect(other.accountNumber).not.toBe(first.accountNumber);
  });

  it('rejects a conversion request without an Idempotency-Key or with a bad body with 400', async () => {
    const noKey = await call('/v1/conversions', {
      method: 'POST',
      body: JSON.stringify({ conversionId: 'cv-bad', memberPseudonym: 'psn', miles: 2000, validUntil: '2027-01-01T00:00:00.000Z' }),
    });
    const badMiles = await requestConversion('cv-bad', 'evt-bad', { miles: 0 });
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ error: 'invalid_request', details: { idempotencyKey: expect.any(String) } });
    expect(badMiles.status).toBe(400);
    expect(await badMiles.json()).toMatchObject({ error: 'invalid_request', details: { miles: [expect.any(String)] } });
  });

  it('answers 503 while down but keeps settling conversions, and serves again once up', async () => {
    await requestConversion('cv-down', 'evt-down');
    sandbox.setDown(true);
    try {
      expect((await call('/v1/conversions/cv-down')).status).toBe(503);
      expect((await requestConversion('cv-down-2', 'evt-down-2')).status).toBe(503);
      await vi.waitFor(() => expect(webhooksFor('cv-down')).toHaveLength(1), { timeout: 2000, interval: 20 });
      expect((await call('/admin/state')).status).toBe(200);
    } finally {
      sandbox.setDown(false);
    }
    expect((await conversion('cv-down')).status).toBe('CREDITED');
  });

  it('refuses half a webhook configuration or a malformed secret at start-up', async () => {
    await expect(startSkymilesSandbox({ acknowledgeUrl: receiver.url })).rejects.toThrow(/set both acknowledgeUrl and acknowledgeSecrets/);
    await expect(startSkymilesSandbox({ acknowledgeUrl: receiver.url, acknowledgeSecrets: ['not-a-secret'] })).rejects.toThrow(/whsec_/);
    await expect(startSkymilesSandbox({ confirmAfterMs: -1 })).rejects.toThrow(/confirmAfterMs/);
  });
});
