import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SkymilesClient } from './client.js';
import { startSkymilesSandbox } from './sandbox-server.js';

const downstream = (detail: RegExp) =>
  expect.objectContaining({
    message: expect.stringMatching(new RegExp(`^Partner service skymiles is unavailable: ${detail.source}`)),
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'skymiles' },
  });

describe('SkymilesClient', () => {
  it('reads a conversion SkyMiles has, and null for one it does not', async () => {
    const sandbox = await startSkymilesSandbox({ confirmAfterMs: 10_000 });
    try {
      const client = new SkymilesClient({ baseUrl: `${sandbox.url}/`, apiKey: sandbox.apiKey });
      const requested = await client.requestConversion(
        { conversionId: 'ent-c1', memberPseudonym: 'psn-c1', miles: 2000, validUntil: new Date('2027-01-01T00:00:00.000Z') },
        'evt-c1',
      );
      expect(requested).toMatchObject({ conversionId: 'ent-c1', miles: 2000, status: 'PENDING', validUntil: new Date('2027-01-01T00:00:00.000Z') });
      expect(await client.getConversion('ent-c1')).toEqual(requested);
      expect(await client.getConversion('ent-none')).toBeNull();
      expect(await client.reverseConversion('ent-none', 'evt-none')).toBeNull();
    } finally {
      await sandbox.close();
    }
  });

  it('turns a timeout into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startSkymilesSandbox({ latencyMs: 500 });
    try {
      const client = new SkymilesClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, timeoutMs: 50 });
      await expect(client.getConversion('ent-1')).rejects.toEqual(downstream(/GET \/v1\/conversions\/:conversionId timed out after 50 ms/));
    } finally {
      await sandbox.close();
    }
  });

  it('turns a refused connection into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startSkymilesSandbox();
    const { url, apiKey } = sandbox;
    await sandbox.close();
    const client = new SkymilesClient({ baseUrl: url, apiKey });
    await expect(client.reverseConversion('ent-1', 'evt-1')).rejects.toEqual(
      downstream(/POST \/v1\/conversions\/:conversionId\/reversal failed \(ECONNREFUSED\)/),
    );
  });

  it('turns a rejected API key into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startSkymilesSandbox();
    try {
      const client = new SkymilesClient({ baseUrl: sandbox.url, apiKey: 'wrong' });
      await expect(client.getConversion('ent-1')).rejects.toEqual(downstream(/GET \/v1\/conversions\/:conversionId answered HTTP 401/));
    } finally {
      await sandbox.close();
    }
  });

  it('turns a body that breaks the API contract into DOWNSTREAM_SERVICE_ERROR', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ conversionId: 'ent-1', status: 'MAYBE' }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = new SkymilesClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'k' });
      await expect(client.getConversion('ent-1')).rejects.toEqual(downstream(/GET \/v1\/conversions\/:conversionId answered with an unexpected body/));
    } finally {
      server.close();
    }
  });

  it('refuses to be built without a base URL or API key', () => {
    expect(() => new SkymilesClient({ baseUrl: '', apiKey: 'k' })).toThrow(/baseUrl/);
    expect(() => new SkymilesClient({ baseUrl: 'http://127.0.0.1:1', apiKey: '' })).toThrow(/apiKey/);
  });
});
