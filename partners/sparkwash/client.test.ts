import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SparkwashClient } from './client.js';
import { startSparkwashSandbox } from './sandbox-server.js';

const downstream = (detail: RegExp) =>
  expect.objectContaining({
    message: expect.stringMatching(new RegExp(`^Partner service sparkwash is unavailable: ${detail.source}`)),
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'sparkwash' },
  });

describe('SparkwashClient', () => {
  it('turns a timeout into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startSparkwashSandbox({ latencyMs: 500 });
    try {
      const client = new SparkwashClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, timeoutMs: 50 });
      await expect(client.listSites()).rejects.toEqual(downstream(/GET \/v1\/sites timed out after 50 ms/));
    } finally {
      await sandbox.close();
    }
  });

  it('turns a refused connection into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startSparkwashSandbox();
    const { url, apiKey } = sandbox;
    await sandbox.close();
    const client = new SparkwashClient({ baseUrl: url, apiKey });
    await expect(client.getPass('ent-1')).rejects.toEqual(downstream(/GET \/v1\/passes\/:entitlementId failed \(ECONNREFUSED\)/));
  });

  it('turns a rejected API key into DOWNSTREAM_SERVICE_ERROR', async () => {
    const sandbox = await startSparkwashSandbox();
    try {
      const client = new SparkwashClient({ baseUrl: sandbox.url, apiKey: 'wrong' });
      await expect(client.listSites()).rejects.toEqual(downstream(/GET \/v1\/sites answered HTTP 401/));
    } finally {
      await sandbox.close();
    }
  });

  it('turns a body that breaks the API contract into DOWNSTREAM_SERVICE_ERROR', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sites: [{ id: 1 }] }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const client = new SparkwashClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'k' });
      await expect(client.listSites()).rejects.toEqual(downstream(/GET \/v1\/sites answered with an unexpected body/));
    } finally {
      server.close();
    }
  });

  it('refuses to be built without a base URL or API key', () => {
    expect(() => new SparkwashClient({ baseUrl: '', apiKey: 'k' })).toThrow(/baseUrl/);
    expect(() => new SparkwashClient({ baseUrl: 'http://127.0.0.1:1', apiKey: '' })).toThrow(/apiKey/);
  });
});
