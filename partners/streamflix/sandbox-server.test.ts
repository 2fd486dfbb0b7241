import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callSandbox, itBehavesLikeASandbox, sandboxAdminState } from '../testing/sandbox.js';
import { startStreamflixSandbox, type RunningStreamflixSandbox } from './sandbox-server.js';
import { generateWebhookSecret, signWebhook, verifyWebhook } from '../sdk/index.js';

/** A stand-in for the coalition's acknowledgement endpoint: records every request, answers the queued statuses, then 204. */
interface AcknowledgementReceiver {
  url: string;
  received: Array<{ headers: IncomingHttpHeaders; body: string }>;
  failNext: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<AcknowledgementReceiver> {
  const received: AcknowledgementReceiver['received'] = [];
  const failNext: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(failNext.shift() ?? 204);
      res.end();
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/streamflix`,
    received,
    failNext,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const ACK_SECRET = generateWebhookSecret();
let sandbox: RunningStreamflixSandbox;
let receiver: AcknowledgementReceiver;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startStreamflixSandbox({ acknowledgeUrl: receiver.url, acknowledgeSecrets: [ACK_SECRET], acknowledgeRetryDelaysMs: [20, 20] });
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});
beforeEach(async () => {
  // Links made by earlier tests acknowledge too; let them land before counting this test's.
  await sandbox.acknowledgementsSettled();
  receiver.received.length = 0;
  receiver.failNext.length = 0;
});

function activateEvent(entitlementId: string, overrides: Record<string, unknown> = {}) {
  return {
    type: 'right.activate',
    entitlementId,
    memberPseudonym: `psn-${entitlementId}`,
    benefitCode: 'STREAMING_VIP',
    validFrom: '2026-01-01T00:00:00.000Z',
    validUntil: '2027-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** POSTs an event to the sandbox's webhook endpoint, signed like the coalition does unless told otherwise. */
function deliver(
  event: unknown,
  id: string,
  { secrets = sandbox.webhookSecrets, timestamp = new Date(), alter = (body: string) => body, target = sandbox } = {},
): Promise<Response> {
  const body = JSON.stringify(event);
  const headers = secrets.length > 0 ? signWebhook({ id, timestamp, body, secrets }) : {};
  return fetch(target.webhookUrl, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: alter(body) });
}

function api(path: string, key: string | null = sandbox.apiKey): Promise<Response> {
  return callSandbox(sandbox, path, { key });
}

interface AdminRight {
  entitlementId: string;
  status: string;
  activationCode: string;
  activationUrl: string;
  streamflixUser: string | null;
}

interface AdminState {
  rights: AdminRight[];
  deliveries: Record<string, number>;
  rejectedDeliveries: Array<{ eventId: string | null; reason: string }>;
  effects: Array<{ eventId: string | null; action: string; entitlementId: string }>;
  acknowledgements: Array<{ eventId: string; entitlementId: string; attempts: number; delivered: boolean }>;
}

const adminState = (target = sandbox) => sandboxAdminState<AdminState>(target);

async function effectsOn(entitlementId: string): Promise<AdminState['effects']> {
  return (await adminState()).effects.filter((effect) => effect.entitlementId === entitlementId);
}

async function rightOf(entitlementId: string): Promise<AdminRight> {
  const right = (await adminState()).rights.find((candidate) => candidate.entitlementId === entitlementId);
  if (!right) throw new Error(`no right ${entitlementId} in the sandbox`);
  return right;
}

function postForm(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${sandbox.url}/activate`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Reads the hidden fields of the linking page's form, as a browser would submit them. */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)) {
    fields[name!] = value!.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));
  }
  return fields;
}

describe('Streamflix sandbox: webhooks', () => {
  it('listens on loopback with a generated webhook secret and a fresh API key per start', async () => {
    const other = await startStreamflixSandbox();
    try {
      expect(new URL(sandbox.url).hostname).toBe('127.0.0.1');
      expect(sandbox.webhookUrl).toBe(`${sandbox.url}/webhooks/coalition`);
      expect(sandbox.webhookSecrets).toEqual([expect.stringMatching(/^whsec_/)]);
      expect(other.webhookSecrets).not.toEqual(sandbox.webhookSecrets);
      expect(other.apiKey).not.toBe(sandbox.apiKey);
    } finally {
      await other.close();
    }
  });

  it('applies right.activate delivered twice with the same webhook-id once, answering PENDING_LINK both times', async () => {
    const first = await deliver(activateEvent('ent-once'), 'evt-once');
    const replay = await deliver(activateEvent('ent-once'), 'evt-once');
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ eventId: 'evt-once', status: 'PENDING_LINK' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ eventId: 'evt-once', status: 'PENDING_LINK' });

    const state = await adminState();
    expect(state.deliveries['evt-once']).toBe(2);
    expect(state.effects.filter((effect) => effect.eventId === 'evt-once')).toEqual([
      expect.objectContaining({ action: 'RIGHT_CREATED', entitlementId: 'ent-once' }),
    ]);
    expect(state.rights.filter((right) => right.entitlementId === 'ent-once')).toEqual([expect.objectContaining({ status: 'PENDING_LINK' })]);
  });

  it('refuses an unsigned webhook with 401 MISSING_HEADERS and changes nothing', async () => {
    const response = await deliver(activateEvent('ent-unsigned'), 'evt-unsigned', { secrets: [] });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: 'invalid_signature',
      reason: 'MISSING_HEADERS',
      message: 'Missing webhook headers: webhook-id, webhook-timestamp, webhook-signature',
    });
    const state = await adminState();
    expect(state.rights.some((right) => right.entitlementId === 'ent-unsigned')).toBe(false);
    expect(state.effects.some((effect) => effect.entitlementId === 'ent-unsigned')).toBe(false);
  });

  it('refuses a webhook whose body was altered after signing with 401 BAD_SIGNATURE and changes nothing', async () => {
    const response = await deliver(activateEvent('ent-tampered'), 'evt-tampered', {
      alter: (body) => body.replace('2027-01-01', '2099-01-01'),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_signature', reason: 'BAD_SIGNATURE' });
    const state = await adminState();
    expect(state.rejectedDeliveries).toContainEqual({ eventId: 'evt-tampered', reason: 'BAD_SIGNATURE', at: expect.any(String) });
    expect(state.deliveries['evt-tampered']).toBeUndefined();
    expect(state.rights.some((right) => right.entitlementId === 'ent-tampered')).toBe(false);
  });

  it('refuses a webhook signed with a secret it does not know with 401 BAD_SIGNATURE', async () => {
    const response = await deliver(activateEvent('ent-stranger'), 'evt-stranger', { secrets: [generateWebhookSecret()] });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ reason: 'BAD_SIGNATURE' });
    expect(await effectsOn('ent-stranger')).toEqual([]);
  });

  it('refuses a webhook signed 5 min 01 s ago with 401 TIMESTAMP_OUT_OF_TOLERANCE', async () => {
    const response = await deliver(activateEvent('ent-stale'), 'evt-stale', { timestamp: new Date(Date.now() - 301_000) });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ reason: 'TIMESTAMP_OUT_OF_TOLERANCE' });
    expect(await effectsOn('ent-stale')).toEqual([]);
  });

  it('refuses a webhook-id reused for a different event with 409 and changes nothing', async () => {
    await deliver(activateEvent('ent-conflict'), 'evt-conflict');
    const reused = await deliver(activateEvent('ent-conflict', { validUntil: '2030-01-01T00:00:00.000Z' }), 'evt-conflict');
    expect(reused.status).toBe(409);
    expect(await reused.json()).toMatchObject({ error: 'idempotency_conflict' });
    const right = (await (await api('/v1/rights/ent-conflict')).json()) as { validUntil: string };
    expect(right.validUntil).toBe('2027-01-01T00:00:00.000Z');
  });

  it('refuses a signed event that breaks the contract with 400 naming the field', async () => {
    const response = await deliver(activateEvent('ent-bad', { validUntil: '2025-01-01T00:00:00.000Z' }), 'evt-bad');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_event', details: { validUntil: [expect.any(String)] } });
    expect(await effectsOn('ent-bad')).toEqual([]);
  });

  it('accepts the coalition through a secret rotation: old and new while both are listed, then only the new', async () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const rotating = await startStreamflixSandbox({ webhookSecrets: [oldSecret] });
    try {
      const bothSigned = await deliver(activateEvent('ent-rotate'), 'evt-rotate-1', { secrets: [oldSecret, newSecret], target: rotating });
      expect(bothSigned.status).toBe(200);
      rotating.setWebhookSecrets([newSecret]);
      expect((await deliver({ type: 'right.revoke', entitlementId: 'ent-rotate' }, 'evt-rotate-2', { secrets: [newSecret], target: rotating })).status).toBe(200);
      expect((await deliver({ type: 'right.revoke', entitlementId: 'ent-rotate' }, 'evt-rotate-3', { secrets: [oldSecret], target: rotating })).status).toBe(401);
      expect((await adminState(rotating)).effects.map((effect) => effect.action)).toEqual(['RIGHT_CREATED', 'RIGHT_REVOKED']);
    } finally {
      await rotating.close();
    }
  });
});

describe('Streamflix sandbox: REST API', () => {
  itBehavesLikeASandbox({
    sandbox: () => sandbox,
    start: startStreamflixSandbox,
    apiPath: '/v1/rights/ent-never',
    upStatus: 404,
    realm: 'streamflix',
    keyPrefix: 'sf',
  });

  it('takes no API key on the webhook endpoint and the linking page, which are not for it', async () => {
    expect((await deliver(activateEvent('ent-keyless'), 'evt-keyless')).status).toBe(200);
    expect((await fetch(`${sandbox.url}/activate?entitlement=ent-keyless`)).status).toBe(404);
  });

  it('serves a pending right with its activation link to the API key', async () => {
    await deliver(activateEvent('ent-rest'), 'evt-rest');
    const response = await api('/v1/rights/ent-rest');
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      entitlementId: 'ent-rest',
      memberPseudonym: 'psn-ent-rest',
      benefitCode: 'STREAMING_VIP',
      status: 'PENDING_LINK',
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2027-01-01T00:00:00.000Z',
      activeUntil: null,
      activationUrl: expect.stringMatching(new RegExp(`^${sandbox.url}/activate\\?entitlement=ent-rest&code=[\\w-]{24}$`)),
    });
  });

  it('answers 404 for a right it does not have', async () => {
    const response = await api('/v1/rights/ent-never');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'right_not_found' });
  });
});

describe('Streamflix sandbox: account linking', () => {
  it('shows the linking page with a form carrying the entitlement and its one-time code', async () => {
    await deliver(activateEvent('ent-page'), 'evt-page');
    const { activationUrl, activationCode } = await rightOf('ent-page');
    const response = await fetch(activationUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<h1>Link your Streamflix account</h1>');
    expect(html).toContain('<form method="post" action="/activate">');
    expect(html).toContain('name="streamflixUser"');
    expect(hiddenFields(html)).toEqual({ entitlement: 'ent-page', code: activationCode });
    expect((await effectsOn('ent-page')).map((effect) => effect.action)).toEqual(['RIGHT_CREATED']);
  });

  it('shows the linking page in Chinese for Accept-Language zh-CN', async () => {
    const { activationUrl } = await rightOf('ent-page');
    const html = await (await fetch(activationUrl, { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } })).text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('<h1>关联你的 Streamflix 账号</h1>');
  });

  it('links the Streamflix user on submit: ACTIVE until validUntil, and the code works once', async () => {
    await deliver(activateEvent('ent-link'), 'evt-link');
    const html = await (await fetch((await rightOf('ent-link')).activationUrl)).text();
    const linked = await postForm({ ...hiddenFields(html), streamflixUser: 'neo<script>' });
    expect(linked.status).toBe(200);
    const page = await linked.text();
    expect(page).toContain('Streamflix VIP is active for neo&#60;script&#62; until');
    expect(page).not.toContain('<script>');

    const right = (await (await api('/v1/rights/ent-link')).json()) as Record<string, unknown>;
    expect(right).toMatchObject({ status: 'ACTIVE', activeUntil: '2027-01-01T00:00:00.000Z', activationUrl: null });
    expect((await rightOf('ent-link')).streamflixUser).toBe('neo<script>');

    const again = await postForm({ ...hiddenFields(html), streamflixUser: 'trinity' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('This activation link has already been used.');
    expect((await effectsOn('ent-link')).map((effect) => effect.action)).toEqual(['RIGHT_CREATED', 'RIGHT_LINKED']);
  });

  it('refuses a wrong code and an unknown entitlement alike with 404, linking nothing', async () => {
    await deliver(activateEvent('ent-guess'), 'evt-guess');
    const wrongCode = await postForm({ entitlement: 'ent-guess', code: 'not-the-code', streamflixUser: 'mallory' });
    const unknown = await postForm({ entitlement: 'ent-nobody', code: 'not-the-code', streamflixUser: 'mallory' });
    expect(wrongCode.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(await wrongCode.text()).toBe(await unknown.text());
    expect((await fetch(`${sandbox.url}/activate?entitlement=ent-guess`)).status).toBe(404);
    expect((await rightOf('ent-guess')).status).toBe('PENDING_LINK');
  });

  it('refuses an empty Streamflix username with 400 and keeps the code usable', async () => {
    await deliver(activateEvent('ent-nouser'), 'evt-nouser');
    const { entitlementId, activationCode } = await rightOf('ent-nouser');
    const response = await postForm({ entitlement: entitlementId, code: activationCode, streamflixUser: '  ' });
    expect(response.status).toBe(400);
    expect((await postForm({ entitlement: entitlementId, code: activationCode, streamflixUser: 'morpheus' })).status).toBe(200);
  });

  it('acknowledges a link to the coalition with a signed right.acknowledged webhook', async () => {
    await deliver(activateEvent('ent-ack'), 'evt-ack');
    const { entitlementId, activationCode } = await rightOf('ent-ack');
    await postForm({ entitlement: entitlementId, code: activationCode, streamflixUser: 'switch' });
    await sandbox.acknowledgementsSettled();

    expect(receiver.received).toHaveLength(1);
    const [{ headers, body }] = receiver.received as [{ headers: IncomingHttpHeaders; body: string }];
    const verified = verifyWebhook(body, headers, [ACK_SECRET]);
    expect(verified.id).toMatch(/^ack_/);
    expect(JSON.parse(body)).toEqual({ type: 'right.acknowledged', entitlementId: 'ent-ack', status: 'ACTIVE', activeUntil: '2027-01-01T00:00:00.000Z' });
    expect((await adminState()).acknowledgements).toContainEqual({
      eventId: verified.id,
      entitlementId: 'ent-ack',
      attempts: 1,
      delivered: true,
      lastError: null,
    });
  });

  it('retries an acknowledgement the coalition fails, with the same webhook-id, until it is taken', async () => {
    receiver.failNext.push(500, 503);
    await deliver(activateEvent('ent-ack-retry'), 'evt-ack-retry');
    const { entitlementId, activationCode } = await rightOf('ent-ack-retry');
    await postForm({ entitlement: entitlementId, code: activationCode, streamflixUser: 'tank' });
    await sandbox.acknowledgementsSettled();

    expect(receiver.received).toHaveLength(3);
    const ids = receiver.received.map(({ headers, body }) => verifyWebhook(body, headers, [ACK_SECRET]).id);
    expect(new Set(ids).size).toBe(1);
    expect((await adminState()).acknowledgements.find((ack) => ack.entitlementId === 'ent-ack-retry')).toMatchObject({ attempts: 3, delivered: true });
  });

  it('gives up on an acknowledgement after the configured retries', async () => {
    receiver.failNext.push(500, 500, 500, 500);
    await deliver(activateEvent('ent-ack-lost'), 'evt-ack-lost');
    const { entitlementId, activationCode } = await rightOf('ent-ack-lost');
    await postForm({ entitlement: entitlementId, code: activationCode, streamflixUser: 'dozer' });
    await sandbox.acknowledgementsSettled();
    expect(receiver.received).toHaveLength(3);
    expect((await adminState()).acknowledgements.find((ack) => ack.entitlementId === 'ent-ack-lost')).toMatchObject({
      attempts: 3,
      delivered: false,
      lastError: 'HTTP 500',
    });
  });

  it('keeps a linked right ACTIVE when it is provisioned again, e.g. at renewal', async () => {
    await deliver(activateEvent('ent-renew'), 'evt-renew-1');
    const { entitlementId, activationCode } = await rightOf('ent-renew');
    await postForm({ entitlement: entitlementId, code: activationCode, streamflixUser: 'apoc' });
    const renewed = await deliver(activateEvent('ent-renew', { validUntil: '2028-01-01T00:00:00.000Z' }), 'evt-renew-2');
    expect(await renewed.json()).toEqual({ eventId: 'evt-renew-2', status: 'ACTIVE' });
    expect(await (await api('/v1/rights/ent-renew')).json()).toMatchObject({ status: 'ACTIVE', activeUntil: '2028-01-01T00:00:00.000Z' });
  });
});

describe('Streamflix sandbox: revocation', () => {
  it('revokes a right once per event, and accepts revoking an unknown right', async () => {
    await deliver(activateEvent('ent-revoke'), 'evt-revoke-0');
    const revoke = () => deliver({ type: 'right.revoke', entitlementId: 'ent-revoke' }, 'evt-revoke-1');
    expect(await (await revoke()).json()).toEqual({ eventId: 'evt-revoke-1', status: 'REVOKED' });
    expect((await revoke()).status).toBe(200);
    expect(await (await deliver({ type: 'right.revoke', entitlementId: 'ent-unknown' }, 'evt-revoke-2')).json()).toEqual({ eventId: 'evt-revoke-2', status: null });

    const state = await adminState();
    expect(state.effects.filter((effect) => effect.action === 'RIGHT_REVOKED' && effect.entitlementId === 'ent-revoke')).toEqual([
      expect.objectContaining({ eventId: 'evt-revoke-1' }),
    ]);
    expect(state.effects.some((effect) => effect.entitlementId === 'ent-unknown')).toBe(false);
  });

  it('closes the linking page of a revoked right with 410', async () => {
    const { activationUrl } = await rightOf('ent-revoke');
    const response = await fetch(activationUrl);
    expect(response.status).toBe(410);
    expect(await response.text()).toContain('This Streamflix VIP is no longer available.');
  });
});

describe('Streamflix sandbox: failures', () => {
  it('answers 503 while down, webhooks included, and serves again once up', async () => {
    sandbox.setDown(true);
    try {
      expect((await api('/v1/rights/ent-rest')).status).toBe(503);
      expect((await deliver(activateEvent('ent-down'), 'evt-down')).status).toBe(503);
      expect((await api('/admin/state')).status).toBe(200);
    } finally {
      sandbox.setDown(false);
    }
    expect((await api('/v1/rights/ent-rest')).status).toBe(200);
    expect(await effectsOn('ent-down')).toEqual([]);
  });

  it('refuses to start with an acknowledgeUrl but no acknowledgeSecrets, or with a malformed secret', async () => {
    await expect(startStreamflixSandbox({ acknowledgeUrl: receiver.url })).rejects.toThrow(/acknowledgeSecrets \(required with acknowledgeUrl\): set at least one webhook secret/);
    await expect(startStreamflixSandbox({ webhookSecrets: ['hunter2'] })).rejects.toThrow(/webhookSecrets: webhook secret #1 must be whsec_/);
  });
});
