import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrewbarClient, brewbarQrPayload, codeFromScan } from './client.js';
import { startBrewbarSandbox } from './sandbox-server.js';
import { type RunningSandbox } from '../sdk/index.js';

const downstream = (detail: RegExp) =>
  expect.objectContaining({
    message: expect.stringMatching(new RegExp(`^Partner service brewbar is unavailable: ${detail.source}`)),
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'brewbar' },
  });

let sandbox: RunningSandbox;
let client: BrewbarClient;

beforeAll(async () => {
  sandbox = await startBrewbarSandbox();
  client = new BrewbarClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey });
});
afterAll(async () => {
  await sandbox.close();
});

describe('BrewbarClient', () => {
  it('scans a code once, and reports the second scan and unknown codes as outcomes', async () => {
    const [code] = await client.exportPool(1);
    const first = await client.scan(brewbarQrPayload(code!));
    expect(first).toEqual({ outcome: 'SCANNED', code, scannedAt: expect.any(Date), entitlementId: null });
    expect(await client.scan(code!)).toEqual({ outcome: 'ALREADY_SCANNED', code, scannedAt: (first as { scannedAt: Date }).scannedAt });
    expect(await client.scan('BB-NEVER000')).toEqual({ outcome: 'UNKNOWN_CODE', code: 'BB-NEVER000' });
    expect(await client.getCode(code!)).toMatchObject({ code, scanned: true });
    expect(await client.getCode('BB-NEVER000')).toBeNull();
  });

  it('reports a scan for a member BrewBar does not know as MEMBER_NOT_FOUND', async () => {
    const [code] = await client.exportPool(1);
    expect(await client.scan(code!, { entitlementId: 'ent-nobody' })).toEqual({ outcome: 'MEMBER_NOT_FOUND', code });
  });

  it('reads the code out of a BREWBAR1 QR payload or a bare code', () => {
    expect(brewbarQrPayload('BB-12345678')).toBe('BREWBAR1:BB-12345678');
    expect(codeFromScan(' BREWBAR1:BB-12345678 ')).toBe('BB-12345678');
    expect(codeFromScan('BB-12345678')).toBe('BB-12345678');
  });

  it('turns a timeout into DOWNSTREAM_SERVICE_ERROR', async () => {
    const slow = await startBrewbarSandbox({ latencyMs: 500 });
    try {
      const slowClient = new BrewbarClient({ baseUrl: slow.url, apiKey: slow.apiKey, timeoutMs: 50 });
      await expect(slowClient.listStores()).rejects.toEqual(downstream(/GET \/v1\/stores timed out after 50 ms/));
    } finally {
      await slow.close();
    }
  });

  it('turns a refused connection into DOWNSTREAM_SERVICE_ERROR', async () => {
    const closed = await startBrewbarSandbox();
    const { url, apiKey } = closed;
    await closed.close();
    const closedClient = new BrewbarClient({ baseUrl: url, apiKey });
    await expect(closedClient.getMember('ent-1')).rejects.toEqual(downstream(/GET \/v1\/members\/:entitlementId failed \(ECONNREFUSED\)/));
  });

  it('turns a rejected API key into DOWNSTREAM_SERVICE_ERROR', async () => {
    const wrongKey = new BrewbarClient({ baseUrl: sandbox.url, apiKey: 'wrong' });
    await expect(wrongKey.listStores()).rejects.toEqual(downstream(/GET \/v1\/stores answered HTTP 401/));
    await expect(wrongKey.scan('BB-12345678')).rejects.toEqual(downstream(/POST \/v1\/scans answered HTTP 401/));
  });

  it('turns a body that breaks the API contract into DOWNSTREAM_SERVICE_ERROR', async () => {
    const server = createServer((req, res) => {
      // A 409 without BrewBar's problem body is no answer either.
      res.writeHead(req.url === '/v1/scans' ? 409 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ stores: [{ id: 1 }] }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const broken = new BrewbarClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: 'k' });
      await expect(broken.listStores()).rejects.toEqual(downstream(/GET \/v1\/stores answered with an unexpected body/));
      await expect(broken.scan('BB-12345678')).rejects.toEqual(downstream(/POST \/v1\/scans answered HTTP 409/));
    } finally {
      server.close();
    }
  });

  it('refuses to be built without a base URL or API key', () => {
    expect(() => new BrewbarClient({ baseUrl: '', apiKey: 'k' })).toThrow(/baseUrl/);
    expect(() => new BrewbarClient({ baseUrl: 'http://127.0.0.1:1', apiKey: '' })).toThrow(/apiKey/);
  });
});
