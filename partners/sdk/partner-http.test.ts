import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PartnerHttp, type PartnerHttpOptions } from './partner-http.js';

const downstream = (detail: RegExp) =>
  expect.objectContaining({
    message: expect.stringMatching(new RegExp(`^Partner service acme is unavailable: ${detail.source}$`)),
    extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', service: 'acme' },
  });

const thingSchema = z.object({ id: z.string() });

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real partner on loopback: answers with `reply.status` (after `reply.delayMs`) and records every request. */
let server: Server;
let baseUrl: string;
let seen: Seen[];
let reply: { status: number; body: string; delayMs: number };

beforeEach(async () => {
  seen = [];
  reply = { status: 200, body: JSON.stringify({ id: 'thing-1' }), delayMs: 0 };
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const { status, body: answer, delayMs } = reply;
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(answer);
      }, delayMs);
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterEach(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

function partner(options: Partial<PartnerHttpOptions> = {}): PartnerHttp {
  return new PartnerHttp({ partnerId: 'acme', baseUrl, apiKey: 'key-1', timeoutMs: 1000, ...options });
}

const getThing = (http: PartnerHttp) =>
  http.request<{ id: string } | null>({ method: 'GET', path: '/v1/things/t-1', route: '/v1/things/:id', accept: { 404: () => null }, schema: thingSchema });

describe('PartnerHttp', () => {
  it('sends the API key, request id, idempotency key, query and JSON body, and parses the answer', async () => {
    const http = partner();
    const thing = await http.request({
      method: 'PUT',
      path: '/v1/things/t-1',
      route: '/v1/things/:id',
      query: { lang: 'en', limit: 5, skipped: undefined },
      body: { name: 'Thing' },
      idempotencyKey: 'evt-1',
      requestId: 'req-1',
      schema: thingSchema,
    });
    expect(thing).toEqual({ id: 'thing-1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'PUT',
      url: '/v1/things/t-1?lang=en&limit=5',
      body: '{"name":"Thing"}',
      headers: expect.objectContaining({
        authorization: 'Bearer key-1',
        accept: 'application/json',
        'content-type': 'application/json',
        'idempotency-key': 'evt-1',
        'x-request-id': 'req-1',
      }),
    });
  });

  it('sends a raw body byte for byte with custom headers, and no API key when told not to', async () => {
    const http = partner();
    const rawBody = '{"type":"right.revoke",  "entitlementId":"e-1"}';
    await http.request({
      method: 'POST',
      path: new URL('/hooks/in', baseUrl),
      route: '/hooks/in (right.revoke)',
      authenticate: false,
      headers: { 'webhook-id': 'evt-2' },
      rawBody,
      requestId: 'req-2',
    });
    expect(seen[0]!.body).toBe(rawBody);
    expect(seen[0]!.url).toBe('/hooks/in');
    expect(seen[0]!.headers).toMatchObject({ 'webhook-id': 'evt-2', 'x-request-id': 'req-2', 'content-type': 'application/json' });
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(seen[0]!.headers['idempotency-key']).toBeUndefined();
  });

  it('turns a timeout into DOWNSTREAM_SERVICE_ERROR naming the partner', async () => {
    reply.delayMs = 500;
    const http = partner({ timeoutMs: 50 });
    await expect(getThing(http)).rejects.toEqual(downstream(/GET \/v1\/things\/:id timed out after 50 ms/));
  });

  it('names the status of a refusal, with the reason the partner gave when told how to read it', async () => {
    reply = { status: 401, body: JSON.stringify({ reason: 'BAD_SIGNATURE' }), delayMs: 0 };
    await expect(getThing(partner())).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered HTTP 401/));
    const withReason = partner({ refusalReason: (text) => (JSON.parse(text) as { reason?: string }).reason });
    await expect(getThing(withReason)).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered HTTP 401 \(BAD_SIGNATURE\)/));
  });

  it('turns a 2xx body that is not JSON, or not the contract, into DOWNSTREAM_SERVICE_ERROR', async () => {
    const http = partner();
    reply.body = 'not json';
    await expect(getThing(http)).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered with a body that is not JSON/));
    reply.body = JSON.stringify({ id: 1 });
    await expect(getThing(http)).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered with an unexpected body/));
  });

  it('maps an accepted status to its answer; a handler returning undefined leaves it a failure', async () => {
    reply = { status: 409, body: JSON.stringify({ error: 'already' }), delayMs: 0 };
    const http = partner();
    const request = (error: string) =>
      http.request({
        method: 'POST',
        path: '/v1/scans',
        route: '/v1/scans',
        accept: { 409: ({ status, text }) => ((JSON.parse(text) as { error: string }).error === error ? `refused ${status}` : undefined) },
      });
    await expect(request('already')).resolves.toBe('refused 409');
    await expect(request('other')).rejects.toEqual(downstream(/POST \/v1\/scans answered HTTP 409/));
  });

  describe('circuit breaker', () => {
    it('opens after 5 consecutive 503s, and the 6th call fails fast without reaching the partner', async () => {
      reply.status = 503;
      const http = partner();
      for (let i = 0; i < 5; i++) {
        expect(http.circuitState).toBe('closed');
        await expect(getThing(http)).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered HTTP 503/));
      }
      expect(http.circuitState).toBe('open');
      expect(seen).toHaveLength(5);

      reply.status = 200;
      const started = Date.now();
      await expect(getThing(http)).rejects.toEqual(downstream(/circuit open after 5 consecutive failures; retrying in (9\.\d|10)s/));
      expect(Date.now() - started).toBeLessThan(50);
      expect(seen).toHaveLength(5);
    });

    it('counts timeouts and refused connections as failures too', async () => {
      reply.delayMs = 300;
      const slow = partner({ timeoutMs: 20, breaker: { consecutiveFailures: 2 } });
      await expect(getThing(slow)).rejects.toEqual(downstream(/GET \/v1\/things\/:id timed out after 20 ms/));
      await expect(getThing(slow)).rejects.toEqual(downstream(/GET \/v1\/things\/:id timed out after 20 ms/));
      expect(slow.circuitState).toBe('open');
      await expect(getThing(slow)).rejects.toEqual(downstream(/circuit open after 2 consecutive failures; retrying in .*s/));
      expect(seen).toHaveLength(2);

      const gone = createServer().listen(0, '127.0.0.1');
      await once(gone, 'listening');
      const goneUrl = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
      gone.close();
      await once(gone, 'close');
      const refused = new PartnerHttp({ partnerId: 'acme', baseUrl: goneUrl, apiKey: 'k', breaker: { consecutiveFailures: 2 } });
      await expect(getThing(refused)).rejects.toEqual(downstream(/GET \/v1\/things\/:id failed \(ECONNREFUSED\)/));
      await expect(getThing(refused)).rejects.toEqual(downstream(/GET \/v1\/things\/:id failed \(ECONNREFUSED\)/));
      await expect(getThing(refused)).rejects.toEqual(downstream(/circuit open after 2 consecutive failures; retrying in .*s/));
    });

    it('never opens on 4xx answers (404, 409, 401, …), nor on a malformed 2xx body', async () => {
      const http = partner({ breaker: { consecutiveFailures: 2 } });
      reply.status = 404;
      for (let i = 0; i < 10; i++) await expect(getThing(http)).resolves.toBeNull();
      reply.status = 409;
      for (let i = 0; i < 5; i++) await expect(getThing(http)).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered HTTP 409/));
      reply.status = 401;
      for (let i = 0; i < 5; i++) await expect(getThing(http)).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered HTTP 401/));
      reply = { status: 200, body: 'not json', delayMs: 0 };
      for (let i = 0; i < 5; i++) await expect(getThing(http)).rejects.toEqual(downstream(/GET \/v1\/things\/:id answered with a body that is not JSON/));
      expect(http.circuitState).toBe('closed');
      expect(seen).toHaveLength(25);
    });

    it('counts failures only while consecutive: an answer in between starts the count again', async () => {
      const http = partner({ breaker: { consecutiveFailures: 3 } });
      for (const status of [503, 503, 404, 503, 503, 200, 500, 502]) {
        reply.status = status;
        await getThing(http).catch(() => undefined);
        expect(http.circuitState).toBe('closed');
      }
      expect(seen).toHaveLength(8);
      reply.status = 504;
      await getThing(http).catch(() => undefined);
      expect(http.circuitState).toBe('open');
    });

    it('lets one trial call through after halfOpenAfterMs, and closes again when it succeeds', async () => {
      reply.status = 503;
      const http = partner({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 100 } });
      await getThing(http).catch(() => undefined);
      await getThing(http).catch(() => undefined);
      expect(http.circuitState).toBe('open');
      await expect(getThing(http)).rejects.toEqual(downstream(/circuit open after 2 consecutive failures; retrying in 0\.\ds/));
      expect(seen).toHaveLength(2);

      await sleep(120);
      reply.status = 200;
      await expect(getThing(http)).resolves.toEqual({ id: 'thing-1' });
      expect(http.circuitState).toBe('closed');
      expect(seen).toHaveLength(3);
      await expect(getThing(http)).resolves.toEqual({ id: 'thing-1' });
      expect(seen).toHaveLength(4);
    });

    it('reopens when the trial call fails, and sends only that one call while it is under way', async () => {
      reply.status = 503;
      const http = partner({ breaker: { consecutiveFailures: 2, halfOpenAfterMs: 100 } });
      await getThing(http).catch(() => undefined);
      await getThing(http).catch(() => undefined);
      await sleep(120);

      reply.delayMs = 50;
      const calls = [getThing(http), getThing(http), getThing(http)];
      expect(http.circuitState).toBe('half-open');
      const results = await Promise.allSettled(calls);
      expect(seen).toHaveLength(3);
      expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual([
        'Partner service acme is unavailable: GET /v1/things/:id answered HTTP 503',
        expect.stringMatching(/circuit open after 2 consecutive failures/),
        expect.stringMatching(/circuit open after 2 consecutive failures/),
      ]);
      expect(http.circuitState).toBe('open');
    });

    it('keeps one breaker per instance: another client of the same partner is unaffected', async () => {
      reply.status = 503;
      const tripped = partner({ breaker: { consecutiveFailures: 1 } });
      await getThing(tripped).catch(() => undefined);
      expect(tripped.circuitState).toBe('open');
      reply.status = 200;
      const other = partner({ breaker: { consecutiveFailures: 1 } });
      await expect(getThing(other)).resolves.toEqual({ id: 'thing-1' });
      expect(other.circuitState).toBe('closed');
    });
  });
});
