import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { LocalizedText } from '../../src/shared/localized.js';
import type { RunningSandbox, SandboxOptions } from '../adapter.js';
import { codeFromScan } from './client.js';

// The sandbox plays BrewBar: its wire format is BrewBar's, described in client.ts.

interface Store {
  id: string;
  name: LocalizedText;
  address: LocalizedText;
  city: LocalizedText;
  openingHours: LocalizedText;
}

/** A member's monthly coffee allowance, keyed by entitlement id. */
interface Member {
  entitlementId: string;
  memberPseudonym: string;
  benefitCode: string;
  status: 'ACTIVE' | 'REVOKED';
  validFrom: string;
  validUntil: string;
  quota: number | null;
  updatedAt: string;
}

/** A code of BrewBar's pool: issued by an export, accepted by a till once. */
interface PoolCode {
  code: string;
  exportedAt: string;
  scannedAt: string | null;
  entitlementId: string | null;
}

/** One state change caused by a provisioning call: what tests count to prove exactly-once. */
interface Effect {
  eventId: string;
  action: 'MEMBER_REGISTERED' | 'MEMBER_UPDATED' | 'MEMBER_REVOKED';
  entitlementId: string;
  at: string;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

const SHANGHAI: LocalizedText = { en: 'Shanghai', 'zh-CN': '上海' };
const BEIJING: LocalizedText = { en: 'Beijing', 'zh-CN': '北京' };
const DAILY_7_TO_22: LocalizedText = { en: 'Daily 07:00–22:00', 'zh-CN': '每天 07:00–22:00' };
const WEEKDAYS_7_TO_20: LocalizedText = { en: 'Mon–Fri 07:00–20:00, Sat–Sun 09:00–18:00', 'zh-CN': '周一至周五 07:00–20:00，周末 09:00–18:00' };

/** The stores every sandbox starts with. */
export const SANDBOX_STORES: readonly Store[] = [
  {
    id: 'bb-sh-xintiandi',
    name: { en: 'BrewBar Xintiandi', 'zh-CN': '醇吧咖啡 新天地店' },
    address: { en: '181 Taicang Road, Huangpu District', 'zh-CN': '黄浦区太仓路181号' },
    city: SHANGHAI,
    openingHours: DAILY_7_TO_22,
  },
  {
    id: 'bb-sh-kerry',
    name: { en: 'BrewBar Jing’an Kerry Centre', 'zh-CN': '醇吧咖啡 静安嘉里中心店' },
    address: { en: '1515 West Nanjing Road, Jing’an District', 'zh-CN': '静安区南京西路1515号' },
    city: SHANGHAI,
    openingHours: WEEKDAYS_7_TO_20,
  },
  {
    id: 'bb-sh-ifc',
    name: { en: 'BrewBar Lujiazui IFC', 'zh-CN': '醇吧咖啡 陆家嘴国金店' },
    address: { en: '8 Century Avenue, Pudong New Area', 'zh-CN': '浦东新区世纪大道8号' },
    city: SHANGHAI,
    openingHours: DAILY_7_TO_22,
  },
  {
    id: 'bb-bj-taikooli',
    name: { en: 'BrewBar Taikoo Li Sanlitun', 'zh-CN': '醇吧咖啡 三里屯太古里店' },
    address: { en: '19 Sanlitun Road, Chaoyang District', 'zh-CN': '朝阳区三里屯路19号' },
    city: BEIJING,
    openingHours: DAILY_7_TO_22,
  },
  {
    id: 'bb-bj-wangfujing',
    name: { en: 'BrewBar Wangfujing', 'zh-CN': '醇吧咖啡 王府井店' },
    address: { en: '138 Wangfujing Street, Dongcheng District', 'zh-CN': '东城区王府井大街138号' },
    city: BEIJING,
    openingHours: WEEKDAYS_7_TO_20,
  },
  {
    id: 'bb-bj-wudaokou',
    name: { en: 'BrewBar Wudaokou', 'zh-CN': '醇吧咖啡 五道口店' },
    address: { en: '1 Chengfu Road, Haidian District', 'zh-CN': '海淀区成府路1号' },
    city: BEIJING,
    openingHours: DAILY_7_TO_22,
  },
];

const MAX_BODY_BYTES = 64 * 1024;
const DEFAULT_STORE_LIMIT = 20;
const MAX_STORE_LIMIT = 100;
/** The coalition takes at most 5,000 codes per upload; one export fills one upload. */
const MAX_EXPORT_COUNT = 5000;
// Crockford's base32 alphabet: no I, L, O or U, so a barista typing a code in cannot misread it.
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 8;

const instant = z.iso.datetime({ offset: true });
const memberBody = z
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
const scanBody = z.object({ code: z.string().min(1), entitlementId: z.string().min(1).optional() });

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly details?: unknown,
  ) {
    super(error);
  }
}

/** In-memory state of one sandbox: BrewBar's members, its code pool and idempotency records. */
class BrewbarSandboxState {
  readonly members = new Map<string, Member>();
  readonly codes = new Map<string, PoolCode>();
  readonly effects: Effect[] = [];
  readonly provisioningCalls = new Map<string, number>();
  readonly responsesByEventId = new Map<string, StoredResponse>();

  /** A code never issued before, e.g. `BB-7KQ2M9XD`. */
  issueCode(): string {
    for (;;) {
      let code = 'BB-';
      for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
      if (!this.codes.has(code)) return code;
    }
  }

  memberView(member: Member): unknown {
    const scans = [...this.codes.values()]
      .filter((c) => c.entitlementId === member.entitlementId && c.scannedAt !== null)
      .sort((a, b) => a.scannedAt!.localeCompare(b.scannedAt!))
      .map((c) => ({ code: c.code, scannedAt: c.scannedAt }));
    return { ...member, scans };
  }

  codeView(code: PoolCode): unknown {
    return { code: code.code, scanned: code.scannedAt !== null, scannedAt: code.scannedAt, entitlementId: code.entitlementId };
  }
}

/**
 * Starts a sandbox of BrewBar's partner API on loopback. It answers like the real one:
 * `Authorization: Bearer <apiKey>` on every call (401 otherwise), provisioning calls
 * idempotent by event id, and latency or failures injected on request.
 *
 * API: `GET /v1/stores?city=&limit=`, `PUT|GET|DELETE /v1/members/:entitlementId`,
 * `POST /v1/scans` (`{ code, entitlementId? }`: 200 once per code, then 409
 * `already_scanned`; 404 `unknown_code` for a code it never issued), `GET /v1/codes/:code`,
 * `GET /v1/pool/export?count=N` (N fresh codes to upload to the coalition); test hook
 * `GET /admin/state`, which stays up (and free of injected latency and failures) while the
 * API is down.
 */
export async function startBrewbarSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const { host = '127.0.0.1', port = 0, latencyMs = 0, failureRate = 0 } = options;
  if (!(failureRate >= 0 && failureRate <= 1)) {
    throw new RangeError(`BrewBar sandbox: failureRate must be between 0 and 1, got ${failureRate}`);
  }
  if (!(latencyMs >= 0)) {
    throw new RangeError(`BrewBar sandbox: latencyMs must be 0 or more, got ${latencyMs}`);
  }
  const apiKey = `bb_sandbox_${randomBytes(24).toString('base64url')}`;
  const apiKeyDigest = sha256(apiKey);
  const state = new BrewbarSandboxState();
  let down = false;

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
        if (!isAuthorized(req.headers.authorization, apiKeyDigest)) {
          res.setHeader('www-authenticate', 'Bearer realm="brewbar"');
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

async function route(state: BrewbarSandboxState, req: IncomingMessage, url: URL): Promise<{ status: number; body?: unknown }> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/v1/stores') {
    if (method !== 'GET') throw new HttpProblem(405, 'method_not_allowed');
    return { status: 200, body: { stores: listStores(url.searchParams) } };
  }
  if (url.pathname === '/v1/pool/export') {
    if (method !== 'GET') throw new HttpProblem(405, 'method_not_allowed');
    return exportPool(state, url.searchParams);
  }
  if (url.pathname === '/v1/scans') {
    if (method !== 'POST') throw new HttpProblem(405, 'method_not_allowed');
    return scan(state, await readJson(req));
  }
  const codeMatch = /^\/v1\/codes\/([^/]+)$/.exec(url.pathname);
  if (codeMatch) {
    if (method !== 'GET') throw new HttpProblem(405, 'method_not_allowed');
    const code = state.codes.get(decodeURIComponent(codeMatch[1]!));
    if (!code) throw new HttpProblem(404, 'unknown_code');
    return { status: 200, body: state.codeView(code) };
  }
  const memberMatch = /^\/v1\/members\/([^/]+)$/.exec(url.pathname);
  if (memberMatch) {
    const entitlementId = decodeURIComponent(memberMatch[1]!);
    switch (method) {
      case 'GET': {
        const member = state.members.get(entitlementId);
        if (!member) throw new HttpProblem(404, 'member_not_found');
        return { status: 200, body: state.memberView(member) };
      }
      case 'PUT':
        return registerMember(state, entitlementId, req, await readJson(req));
      case 'DELETE':
        return revokeMember(state, entitlementId, req);
      default:
        throw new HttpProblem(405, 'method_not_allowed');
    }
  }
  throw new HttpProblem(404, 'not_found');
}

function listStores(params: URLSearchParams): Store[] {
  const city = params.get('city')?.trim().toLowerCase();
  const limitParam = params.get('limit');
  const limit = limitParam === null ? DEFAULT_STORE_LIMIT : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_STORE_LIMIT) {
    throw new HttpProblem(400, 'invalid_request', { limit: `must be an integer from 0 to ${MAX_STORE_LIMIT}` });
  }
  const matching = city
    ? SANDBOX_STORES.filter((store) => store.city.en.toLowerCase() === city || store.city['zh-CN'] === city)
    : SANDBOX_STORES;
  return matching.slice(0, limit);
}

function exportPool(state: BrewbarSandboxState, params: URLSearchParams): { status: number; body: unknown } {
  const count = Number(params.get('count'));
  if (!Number.isInteger(count) || count < 1 || count > MAX_EXPORT_COUNT) {
    throw new HttpProblem(400, 'invalid_request', { count: `must be an integer from 1 to ${MAX_EXPORT_COUNT}` });
  }
  const exportedAt = new Date().toISOString();
  const codes: string[] = [];
  for (let i = 0; i < count; i++) {
    const code = state.issueCode();
    state.codes.set(code, { code, exportedAt, scannedAt: null, entitlementId: null });
    codes.push(code);
  }
  return { status: 200, body: { codes } };
}

function scan(state: BrewbarSandboxState, json: unknown): { status: number; body: unknown } {
  const parsed = scanBody.safeParse(json);
  if (!parsed.success) throw new HttpProblem(400, 'invalid_request', z.flattenError(parsed.error).fieldErrors);
  const code = state.codes.get(codeFromScan(parsed.data.code));
  if (!code) throw new HttpProblem(404, 'unknown_code');
  if (code.scannedAt !== null) {
    throw new HttpProblem(409, 'already_scanned', { scannedAt: code.scannedAt });
  }
  const { entitlementId } = parsed.data;
  if (entitlementId !== undefined) {
    const member = state.members.get(entitlementId);
    if (!member) throw new HttpProblem(404, 'member_not_found');
    if (member.status !== 'ACTIVE') throw new HttpProblem(409, 'member_not_active', { status: member.status });
  }
  code.scannedAt = new Date().toISOString();
  code.entitlementId = entitlementId ?? null;
  return { status: 200, body: { code: code.code, scannedAt: code.scannedAt, entitlementId: code.entitlementId } };
}

/**
 * Replays the stored answer when this event was already handled, refuses an event id
 * reused for a different call, otherwise applies the call and stores its answer.
 */
function idempotent(
  state: BrewbarSandboxState,
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

function registerMember(state: BrewbarSandboxState, entitlementId: string, req: IncomingMessage, json: unknown): { status: number; body?: unknown } {
  const parsed = memberBody.safeParse(json);
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
    const existing = state.members.get(entitlementId);
    const member: Member = {
      entitlementId,
      memberPseudonym: request.memberPseudonym,
      benefitCode: request.benefitCode,
      status: 'ACTIVE',
      validFrom: new Date(request.validFrom).toISOString(),
      validUntil: new Date(request.validUntil).toISOString(),
      quota: request.quota,
      updatedAt: now,
    };
    state.members.set(entitlementId, member);
    state.effects.push({ eventId, action: existing ? 'MEMBER_UPDATED' : 'MEMBER_REGISTERED', entitlementId, at: now });
    return { status: existing ? 200 : 201, body: state.memberView(member) };
  });
}

function revokeMember(state: BrewbarSandboxState, entitlementId: string, req: IncomingMessage): { status: number; body?: unknown } {
  const eventId = headerValue(req, 'idempotency-key');
  if (!eventId) throw new HttpProblem(400, 'invalid_request', { eventId: 'send an Idempotency-Key header' });
  return idempotent(state, eventId, JSON.stringify(['DELETE', entitlementId]), () => {
    const member = state.members.get(entitlementId);
    // Revoking what is unknown or already revoked is a success with no effect: retries and reordering stay harmless.
    if (member && member.status !== 'REVOKED') {
      const now = new Date().toISOString();
      state.members.set(entitlementId, { ...member, status: 'REVOKED', updatedAt: now });
      state.effects.push({ eventId, action: 'MEMBER_REVOKED', entitlementId, at: now });
    }
    return { status: 204 };
  });
}

function adminState(state: BrewbarSandboxState): unknown {
  const codes = [...state.codes.values()];
  return {
    members: [...state.members.values()].map((member) => state.memberView(member)),
    pool: { issued: codes.length, scanned: codes.filter((c) => c.scannedAt !== null).length },
    scans: codes.filter((c) => c.scannedAt !== null).map((c) => state.codeView(c)),
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
