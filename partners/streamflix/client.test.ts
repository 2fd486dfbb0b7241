import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { StreamflixClient } from './client.js';
import { startStreamflixSandbox } from './sandbox-server.js';
import { generateWebhookSecret } from '../sdk/index.js';

const downstream = (detail: RegExp) =>
  expect.objectContaining({
    message: expect.stringMatching(new RegExp(`^Partner service streamflix is unavailable: ${detail.source}`)),
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'streamflix' },
  });

const RIGHT = {
  entitlementId: 'ent-1',
  memberPseudonym: 'psn-1',
  benefitCode: 'STREAMING_VIP',
  validFrom: new Date('2026-01-01T00:00:00.000Z'),
  validUntil: new Date('2027-01-01T00:00:00.000Z'),
};

describe('StreamflixClient', () => {
  it('turns a timeout into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startStreamflixSandbox({ latencyMs: 500 });
    try {
      const client = new StreamflixClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, webhookSecrets: sandbox.webhookSecrets, timeoutMs: 50 });
      await expect(client.getRight('ent-1')).rejects.toEqual(downstream(/GET \/v1\/rights\/:entitlementId timed out after 50 ms/));
      await expect(client.activateRight(RIGHT, 'evt-1')).rejects.toEqual(downstream(/POST \/webhooks\/coalition \(right.activate\) timed out after 50 ms/));
    } finally {
      await sandbox.close();
    }
  });

  it('turns a refused connection into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startStreamflixSandbox();
    const { url, apiKey, webhookSecrets } = sandbox;
    await sandbox.close();
    const client = new StreamflixClient({ baseUrl: url, apiKey, webhookSecrets });
    await expect(client.getRight('ent-1')).rejects.toEqual(downstream(/GET \/v1\/rights\/:entitlementId failed \(ECONNREFUSED\)/));
    await expect(client.revokeRight('ent-1', 'evt-1')).rejects.toEqual(downstream(/POST \/webhooks\/coalition \(right.revoke\) failed \(ECONNREFUSED\)/));
  });

  it('turns a rejected API key into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startStreamflixSandbox();
    try {
      const client = new StreamflixClient({ baseUrl: sandbox.url, apiKey: 'wrong' });
      await expect(client.getRight('ent-1')).rejects.toEqual(downstream(/GET \/v1\/rights\/:entitlementId answered HTTP 401$/));
    } finally {
      await sandbox.close();
    }
  });

  it('turns a body that breaks the API contract into DOWNSTREAM_SERVICE_ERROR', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ entitlementId: 'ent-1', status: 'SOMETHING_ELSE' }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = new StreamflixClient({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        apiKey: 'k',
        webhookSecrets: [generateWebhookSecret()],
      });
      await expect(client.getRight('ent-1')).rejects.toEqual(downstream(/GET \/v1\/rights\/:entitlementId answered with an unexpected body/));
      await expect(client.activateRight(RIGHT, 'evt-1')).rejects.toEqual(downstream(/POST \/webhooks\/coalition \(right.activate\) answered with an unexpected body/));
    } finally {
      server.close();
    }
  });

  it('sends webhooks to a webhookUrl of its own when given one', async () => {
    const sandbox = await startStreamflixSandbox();
    try {
      const client = new StreamflixClient({ baseUrl: 'http://127.0.0.1:1', apiKey: sandbox.apiKey, webhookSecrets: sandbox.webhookSecrets, webhookUrl: sandbox.webhookUrl });
      expect(await client.activateRight(RIGHT, 'evt-own-url')).toEqual({ eventId: 'evt-own-url', status: 'PENDING_LINK' });
    } finally {
      await sandbox.close();
    }
  });

  it('refuses to be built without a base URL or API key, or with a malformed webhook secret', () => {
    expect(() => new StreamflixClient({ baseUrl: '', apiKey: 'k' })).toThrow(/baseUrl/);
    expect(() => new StreamflixClient({ baseUrl: 'http://127.0.0.1:1', apiKey: '' })).toThrow(/apiKey/);
    expect(() => new StreamflixClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', webhookSecrets: ['secret'] })).toThrow(
      /StreamflixClient: webhookSecrets: webhook secret #1 must be whsec_/,
    );
  });
});
