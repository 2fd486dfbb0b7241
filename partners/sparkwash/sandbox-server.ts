import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { LocalizedText } from '../../src/shared/localized.js';
import type { RunningSandbox, SandboxOptions } from '../adapter.js';

// The sandbox plays SparkWash: its wire format is SparkWash's, described in client.ts.

interface Site {
  id: string;
  name: LocalizedText;
  address: LocalizedText;
  city: LocalizedText;
  openingHours: LocalizedText;
}

interface Booking {
  id: string;
  entitlementId: string;
  siteId: string;
  scheduledAt: string;
  status: 'CONFIRMED' | 'COMPLETED' | 'CANCELLED';
  createdAt: string;
}

interface Pass {
  entitlementId: string;
  memberNumber: string;
  memberPseudonym: string;
  benefitCode: string;
  status: 'ACTIVE' | 'PENDING' | 'REVOKED';
  validFrom: string;
  validUntil: string;
  quota: number | null;
  updatedAt: string;
}

/** One state change caused by a provisioning call: what tests count to prove exactly-once. */
interface Effect {
  eventId: string;
  action: 'PASS_CREATED' | 'PASS_UPDATED' | 'PASS_REVOKED';
  entitlementId: string;
  at: string;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

const DAILY_7_TO_21: LocalizedText = { en: 'Daily 07:00–21:00', 'zh-CN': '每天 07:00–21:00' };
const DAILY_8_TO_20: LocalizedText = { en: 'Daily 08:00–20:00', 'zh-CN': '每天 08:00–20:00' };
const SHANGHAI: LocalizedText = { en: 'Shanghai', 'zh-CN': '上海' };
const BEIJING: LocalizedText = { en: 'Beijing', 'zh-CN': '北京' };

/** The wash sites every sandbox starts with. */
export const SANDBOX_SITES: readonly Site[] = [
  {
    id: 'sw-sh-jingan',
    name: { en: 'SparkWash Jing’an Temple', 'zh-CN': '闪亮洗车 静安寺店' },
    address: { en: '1699 West Nanjing Road, Jing’an District', 'zh-CN': '静安区南京西路1699号' },
    city: SHANGHAI,
    openingHours: DAILY_8_TO_20,
  },
  {
    id: 'sw-sh-lujiazui',
    name: { en: 'SparkWash Lujiazui', 'zh-CN': '闪亮洗车 陆家嘴店' },
    address: { en: '88 Century Avenue, Pudong New Area', 'zh-CN': '浦东新区世纪大道88号' },
    city: SHANGHAI,
    openingHours: DAILY_7_TO_21,
  },
  {
    id: 'sw-sh-xujiahui',
    name: { en: 'SparkWash Xujiahui', 'zh-CN': '闪亮洗车 徐家汇店' },
    address: { en: '1 Hongqiao Road, Xuhui District', 'zh-CN': '徐汇区虹桥路1号' },
    city: SHANGHAI,
    openingHours: DAILY_8_TO_20,
  },
  {
    id: 'sw-bj-sanlitun',
    name: { en: 'SparkWash Sanlitun', 'zh-CN': '闪亮洗车 三里屯店' },
    address: { en: '19 Sanlitun Road, Chaoyang District', 'zh-CN': '朝阳区三里屯路19号' },
    city: BEIJING,
    openingHours: DAILY_8_TO_20,
  },
  {
    id: 'sw-bj-guomao',
    name: { en: 'SparkWash Guomao', 'zh-CN': '闪亮洗车 国贸店' },
    address: { en: '1 Jianguomenwai Avenue, Chaoyang District', 'zh-CN': '朝阳区建国门外大街1号' },
    city: BEIJING,
    openingHours: DAILY_7_TO_21,
  },
  {
    id: 'sw-bj-zhongguancun',
    name: { en: 'SparkWash Zhongguancun', 'zh-CN': '闪亮洗车 中关村店' },
    address: { en: '27 Zhongguancun Street, Haidian District', 'zh-CN': '海淀区中关村大街27号' },
    city: BEIJING,
    openingHours: DAILY_8_TO_20,
  },
];

const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_SITE_LIMIT = 20;
const MAX_SITE_LIMIT = 100;

const instant = z.iso.datetime({ offset: true });
const provisionBody = z
  .object({
    memberPseudonym: z.string().min(1),
    benefitCode: z.string().min(1),
    validFrom: instant,
    validUntil: instant,
    quota: z.number().int().min(0).nullable(),
    eventId: z.string().min(1).optional(),
  })
  .refine((body) => Date.parse(body.validFrom) < Date.parse(body.validUntil), {
    message: 'validFrom must be before validUntil',
    path: ['validUntil'],
  });
const bookingBody = z.object({ siteId: z.string().min(1), scheduledAt: instant });

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly details?: unknown,
  ) {
    super(error);
  }
}

/** In-memory state of one sandbox: SparkWash's passes, bookings and idempotency records. */
class SparkwashSandboxState {
  readonly passes = new Map<string, Pass>();
  readonly bookings: Booking[] = [];
  readonly effects: Effect[] = [];
  readonly provisioningCalls = new Map<string, number>();
  readonly responsesByEventId = new Map<string, StoredResponse>();
  private nextMemberNumber = 10_000_001;

  issueMemberNumber(): string {
    return `SW${this.nextMemberNumber++}`;
  }

  passView(pass: Pass): unknown {
    return {
      ...pass,
      bookings: this.bookings.filter((b) => b.entitlementId === pass.entitlementId).map((b) => this.bookingView(b)),
    };
  }

  bookingView(booking: Booking): unknown {
    const site = SANDBOX_SITES.find((s) => s.id === booking.siteId);
    return { id: booking.id, site, scheduledAt: booking.scheduledAt, status: booking.status, createdAt: booking.createdAt };
  }
}

/**
 * Starts a sandbox of SparkWash's partner API on loopback. It answers like the real one:
 * `Authorization: Bearer <apiKey>` on every call (401 otherwise), provisioning calls
 * idempotent by event id, and latency or failures injected on request.
 *
 * API: `GET /v1/sites?city=&limit=`, `PUT|GET|DELETE /v1/passes/:entitlementId`,
 * `POST /v1/passes/:entitlementId/bookings`; test hook `GET /admin/state`, which stays up
 * (and free of injected latency and failures) while the API is down.
 */
export async function startSparkwashSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const { host = '127.0.0.1', port = 0, latencyMs = 0, failureRate = 0 } = options;
  if (!(failureRate >= 0 && failureRate <= 1)) {
    throw new RangeError(`SparkWash sandbox: failureRate must be between 0 and 1, got ${failureRate}`);
  }
  if (!(latencyMs >= 0)) {
    throw new RangeError(`SparkWash sandbox: latencyMs must be 0 or more, got ${latencyMs}`);
  }
  const apiKey = `sw_sandbox_${randomBytes(24).toString('base64url')}`;
  const apiKeyDigest = sha256(apiKey);
  const state = new SparkwashSandboxState();
  let down = false;

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
        if (!isAuthorized(req.headers.authorization, apiKeyDigest)) {
          res.setHeader('www-authenticate', 'Bearer realm="sparkwash"');
          throw new HttpProblem(401, 'unauthorized');
        }
        if (url.pathname === '/admin/state') {
          if (req.method !== 'GET') throw new HttpProblem(405, 'method_not_allowed');
          sendJson(res, 200, adminState(state));
          return;
        }
        if (latencyMs > 0) await delay(latencyMs);
        if (down || (failureRate > 0 && Math.random() < failureRate)) {
          res.setHeader('retry-after', '1');
          throw new HttpProblem(503, 'service_unavailable');
        }
        const { status, body } = await route(state, req, url);
        if (body === undefined) {
          res.writeHead(status);
          res.end();
        } else {
          sendJson(res, status, body);
        }
      } catch (error) {
        if (error instanceof HttpProblem) {
          sendJson(res, error.status, { error: error.error, ...(error.details ? { details: error.details } : {}) });
        } else {
          sendJson(res, 500, { error: 'internal_error' });
        }
      }
    })();
  });

  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    apiKey,
    setDown(value: boolean) {
      down = value;
    },
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

async function route(state: SparkwashSandboxState, req: IncomingMessage, url: URL): Promise<{ status: number; body?: unknown }> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/v1/sites') {
    if (method !== 'GET') throw new HttpProblem(405, 'method_not_allowed');
    return { status: 200, body: { sites: listSites(url.searchParams) } };
  }
  const bookingsMatch = /^\/v1\/passes\/([^/]+)\/bookings$/.exec(url.pathname);
  if (bookingsMatch) {
    if (method !== 'POST') throw new HttpProblem(405, 'method_not_allowed');
    return createBooking(state, decodeURIComponent(bookingsMatch[1]!), await readJson(req));
  }
  const passMatch = /^\/v1\/passes\/([^/]+)$/.exec(url.pathname);
  if (passMatch) {
    const entitlementId = decodeURIComponent(passMatch[1]!);
    switch (method) {
      case 'GET': {
        const pass = state.passes.get(entitlementId);
        if (!pass) throw new HttpProblem(404, 'pass_not_found');
        return { status: 200, body: state.passView(pass) };
      }
      case 'PUT':
        return provisionPass(state, entitlementId, req, await readJson(req));
      case 'DELETE':
        return revokePass(state, entitlementId, req);
      default:
        throw new HttpProblem(405, 'method_not_allowed');
    }
  }
  throw new HttpProblem(404, 'not_found');
}

function listSites(params: URLSearchParams): Site[] {
  const city = params.get('city')?.trim().toLowerCase();
  const limitParam = params.get('limit');
  const limit = limitParam === null ? DEFAULT_SITE_LIMIT : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_SITE_LIMIT) {
    throw new HttpProblem(400, 'invalid_request', { limit: `must be an integer from 0 to ${MAX_SITE_LIMIT}` });
  }
  const matching = city
    ? SANDBOX_SITES.filter((site) => site.city.en.toLowerCase() === city || site.city['zh-CN'] === city)
    : SANDBOX_SITES;
  return matching.slice(0, limit);
}

/**
 * Replays the stored answer when this event was already handled, refuses an event id
 * reused for a different call, otherwise applies the call and stores its answer.
 */
function idempotent(
  state: SparkwashSandboxState,
  eventId: string,
  fingerprint: string,
  apply: () => { status: number; body?: unknown },
): { status: number; body?: unknown } {
  state.provisioningCalls.set(eventId, (state.provisioningCalls.get(eventId) ?? 0) + 1);
  const stored = state.responsesByEventId.get(eventId);
  if (stored) {
    if (stored.fingerprint !== fingerprint) {
      throw new HttpProblem(409, 'idempotency_conflict', { eventId: 'was already used for a different call' });
    }
    return { status: stored.status, body: stored.body };
  }
  const outcome = apply();
  state.responsesByEventId.set(eventId, { fingerprint, status: outcome.status, body: outcome.body });
  return outcome;
}

function provisionPass(state: SparkwashSandboxState, entitlementId: string, req: IncomingMessage, json: unknown): { status: number; body?: unknown } {
  const parsed = provisionBody.safeParse(json);
  if (!parsed.success) throw new HttpProblem(400, 'invalid_request', z.flattenError(parsed.error).fieldErrors);
  const body = parsed.data;
  const headerKey = headerValue(req, 'idempotency-key');
  const eventId = headerKey ?? body.eventId;
  if (!eventId) throw new HttpProblem(400, 'invalid_request', { eventId: 'send eventId or an Idempotency-Key header' });
  if (headerKey && body.eventId && headerKey !== body.eventId) {
    throw new HttpProblem(400, 'invalid_request', { eventId: 'differs from the Idempotency-Key header' });
  }
  const { eventId: _eventId, ...request } = body;
  const fingerprint = JSON.stringify(['PUT', entitlementId, request]);

  return idempotent(state, eventId, fingerprint, () => {
    const now = new Date().toISOString();
    const existing = state.passes.get(entitlementId);
    const pass: Pass = {
      entitlementId,
      memberNumber: existing?.memberNumber ?? state.issueMemberNumber(),
      memberPseudonym: request.memberPseudonym,
      benefitCode: request.benefitCode,
      status: 'ACTIVE',
      validFrom: new Date(request.validFrom).toISOString(),
      validUntil: new Date(request.validUntil).toISOString(),
      quota: request.quota,
      updatedAt: now,
    };
    state.passes.set(entitlementId, pass);
    state.effects.push({ eventId, action: existing ? 'PASS_UPDATED' : 'PASS_CREATED', entitlementId, at: now });
    return { status: existing ? 200 : 201, body: state.passView(pass) };
  });
}

function revokePass(state: SparkwashSandboxState, entitlementId: string, req: IncomingMessage): { status: number; body?: unknown } {
  const eventId = headerValue(req, 'idempotency-key');
  if (!eventId) throw new HttpProblem(400, 'invalid_request', { eventId: 'send an Idempotency-Key header' });
  return idempotent(state, eventId, JSON.stringify(['DELETE', entitlementId]), () => {
    const pass = state.passes.get(entitlementId);
    // Revoking what is unknown or already revoked is a success with no effect: retries and reordering stay harmless.
    if (pass && pass.status !== 'REVOKED') {
      const now = new Date().toISOString();
      state.passes.set(entitlementId, { ...pass, status: 'REVOKED', updatedAt: now });
      state.effects.push({ eventId, action: 'PASS_REVOKED', entitlementId, at: now });
    }
    return { status: 204 };
  });
}

function createBooking(state: SparkwashSandboxState, entitlementId: string, json: unknown): { status: number; body?: unknown } {
  const parsed = bookingBody.safeParse(json);
  if (!parsed.success) throw new HttpProblem(400, 'invalid_request', z.flattenError(parsed.error).fieldErrors);
  const pass = state.passes.get(entitlementId);
  if (!pass) throw new HttpProblem(404, 'pass_not_found');
  if (pass.status !== 'ACTIVE') throw new HttpProblem(409, 'pass_not_active', { status: pass.status });
  if (!SANDBOX_SITES.some((site) => site.id === parsed.data.siteId)) {
    throw new HttpProblem(400, 'invalid_request', { siteId: 'no such site' });
  }
  const booking: Booking = {
    id: `bk_${randomUUID()}`,
    entitlementId,
    siteId: parsed.data.siteId,
    scheduledAt: new Date(parsed.data.scheduledAt).toISOString(),
    status: 'CONFIRMED',
    createdAt: new Date().toISOString(),
  };
  state.bookings.push(booking);
  return { status: 201, body: state.bookingView(booking) };
}

function adminState(state: SparkwashSandboxState): unknown {
  return {
    passes: [...state.passes.values()].map((pass) => state.passView(pass)),
    bookings: state.bookings,
    provisioningCalls: Object.fromEntries(state.provisioningCalls),
    effects: state.effects,
  };
}

function isAuthorized(header: string | undefined, apiKeyDigest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Comparing digests keeps the comparison constant-time whatever the presented key's length.
  return match !== null && timingSafeEqual(sha256(match[1]!), apiKeyDigest);
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'payload_too_large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) throw new HttpProblem(400, 'invalid_request', { body: 'expected a JSON body' });
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'invalid_request', { body: 'not valid JSON' });
  }
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(payload));
}
