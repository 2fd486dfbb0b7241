import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { LocalizedText } from './localized.js';
import type { RunningSandbox, SandboxOptions } from './adapter.js';

// What every partner sandbox shares: the HTTP plumbing around its partner-specific routes.
// A sandbox file keeps only its state, its routes and its wire format.

/** The largest request body a sandbox reads; more is answered 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** An error answered as `{ error, details?, ...extra }` with its status. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly details?: unknown,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

/** What a route answers: a JSON body, or no body at all (e.g. 204). */
export interface Outcome {
  status: number;
  body?: unknown;
}

// ---- Requests and responses ------------------------------------------------------------

export function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(payload));
}

/** A request header's (first) value; undefined when absent or empty. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

/** The raw request body; 413 `payload_too_large` past {@link MAX_BODY_BYTES}. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, 'payload_too_large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The request body parsed as JSON; 400 `invalid_request` when empty or not JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  if (text.length === 0) throw new HttpProblem(400, 'invalid_request', { body: 'expected a JSON body' });
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'invalid_request', { body: 'not valid JSON' });
  }
}

/** `json` checked against `schema`; otherwise 400 `error` with the field errors as details. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, json: unknown, error = 'invalid_request'): z.output<Schema> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HttpProblem(400, error, z.flattenError(parsed.error).fieldErrors);
  return parsed.data;
}

/** 405 `method_not_allowed` unless the request's method is `allowed`. */
export function allowMethod(method: string, allowed: string): void {
  if (method !== allowed) throw new HttpProblem(405, 'method_not_allowed');
}

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function isAuthorized(header: string | undefined, apiKeyDigest: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Comparing digests keeps the comparison constant-time whatever the presented key's length.
  return match !== null && timingSafeEqual(sha256(match[1]!), apiKeyDigest);
}

// ---- Idempotency by event id ------------------------------------------------------------

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: unknown;
}

/**
 * Calls made idempotent by an event id: a repeated call replays the stored answer, an event
 * id reused for a different call (another fingerprint) is refused with 409
 * `idempotency_conflict`. Errors are not stored, so a corrected call can reuse the id.
 */
export class IdempotencyStore {
  /** How many times each event id was presented: what tests count to prove exactly-once. */
  readonly calls = new Map<string, number>();
  private readonly responses = new Map<string, StoredResponse>();

  /** @param conflictDetails the details of the 409, naming the field that carried the reused id. */
  constructor(private readonly conflictDetails: Record<string, string> = { eventId: 'was already used for a different call' }) {}

  run<Result extends Outcome>(eventId: string, fingerprint: string, apply: () => Result): Result {
    this.calls.set(eventId, (this.calls.get(eventId) ?? 0) + 1);
    const stored = this.responses.get(eventId);
    if (stored) {
      if (stored.fingerprint !== fingerprint) throw new HttpProblem(409, 'idempotency_conflict', this.conflictDetails);
      return { status: stored.status, body: stored.body } as Result;
    }
    const outcome = apply();
    this.responses.set(eventId, { fingerprint, status: outcome.status, body: outcome.body });
    return outcome;
  }
}

/** The `Idempotency-Key` header; 400 `invalid_request` naming `field` when it is missing. */
export function requireIdempotencyKey(req: IncomingMessage, field = 'eventId'): string {
  const key = headerValue(req, 'idempotency-key');
  if (!key) throw new HttpProblem(400, 'invalid_request', { [field]: 'send an Idempotency-Key header' });
  return key;
}

// ---- Provisioning a right (PUT of a pass, a member, …) -----------------------------------

const instant = z.iso.datetime({ offset: true });

/** The body of a provisioning PUT: the right, and optionally its event id. */
export const rightProvisionBody = z
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

export type RightRequest = Omit<z.output<typeof rightProvisionBody>, 'eventId'>;

/**
 * Reads a provisioning PUT of `entitlementId`: its right, its event id (the
 * `Idempotency-Key` header or the body's `eventId`, which must agree) and the fingerprint
 * a reuse of that event id is checked against.
 */
export function parseRightProvisioning(req: IncomingMessage, entitlementId: string, json: unknown): { eventId: string; request: RightRequest; fingerprint: string } {
  const body = parseBody(rightProvisionBody, json);
  const headerKey = headerValue(req, 'idempotency-key');
  const eventId = headerKey ?? body.eventId;
  if (!eventId) throw new HttpProblem(400, 'invalid_request', { eventId: 'send eventId or an Idempotency-Key header' });
  if (headerKey && body.eventId && headerKey !== body.eventId) {
    throw new HttpProblem(400, 'invalid_request', { eventId: 'differs from the Idempotency-Key header' });
  }
  const { eventId: _eventId, ...request } = body;
  return { eventId, request, fingerprint: JSON.stringify(['PUT', entitlementId, request]) };
}

/** The fields every provisioned right has, as a provisioning PUT leaves them. */
export interface ActiveRight {
  entitlementId: string;
  memberPseudonym: string;
  benefitCode: string;
  status: 'ACTIVE';
  validFrom: string;
  validUntil: string;
  quota: number | null;
  updatedAt: string;
}

/** A partner's rights (passes, members, …) kept by entitlement id, as provisioning calls change them. */
export interface RightsBook<Right extends { status: string; updatedAt: string }> {
  readonly rights: Map<string, Right>;
  readonly idempotency: IdempotencyStore;
  /** Records one state change a provisioning call caused. */
  recordEffect(eventId: string, change: 'CREATED' | 'UPDATED' | 'REVOKED', entitlementId: string, at: string): void;
  /** The right as the partner's API shows it. */
  rightView(right: Right): unknown;
}

/**
 * A provisioning PUT of `entitlementId`, idempotent by event id: creates the right (201) or
 * updates it (200), `build` adding the partner's own fields to the active right asked for.
 */
export function provisionRight<Right extends { status: string; updatedAt: string }>(
  book: RightsBook<Right>,
  req: IncomingMessage,
  entitlementId: string,
  json: unknown,
  build: (active: ActiveRight, existing: Right | undefined) => Right,
): Outcome {
  const { eventId, request, fingerprint } = parseRightProvisioning(req, entitlementId, json);
  return book.idempotency.run(eventId, fingerprint, () => {
    const now = new Date().toISOString();
    const existing = book.rights.get(entitlementId);
    const right = build(
      {
        entitlementId,
        memberPseudonym: request.memberPseudonym,
        benefitCode: request.benefitCode,
        status: 'ACTIVE',
        validFrom: new Date(request.validFrom).toISOString(),
        validUntil: new Date(request.validUntil).toISOString(),
        quota: request.quota,
        updatedAt: now,
      },
      existing,
    );
    book.rights.set(entitlementId, right);
    book.recordEffect(eventId, existing ? 'UPDATED' : 'CREATED', entitlementId, now);
    return { status: existing ? 200 : 201, body: book.rightView(right) };
  });
}

/** A revocation DELETE of `entitlementId`, idempotent by its `Idempotency-Key`: 204, the right REVOKED once. */
export function revokeRight<Right extends { status: string; updatedAt: string }>(book: RightsBook<Right>, req: IncomingMessage, entitlementId: string): Outcome {
  const eventId = requireIdempotencyKey(req);
  return book.idempotency.run(eventId, JSON.stringify(['DELETE', entitlementId]), () => {
    const right = book.rights.get(entitlementId);
    // Revoking what is unknown or already revoked is a success with no effect: retries and reordering stay harmless.
    if (right && right.status !== 'REVOKED') {
      const now = new Date().toISOString();
      book.rights.set(entitlementId, { ...right, status: 'REVOKED', updatedAt: now });
      book.recordEffect(eventId, 'REVOKED', entitlementId, now);
    }
    return { status: 204 };
  });
}

// ---- Seeded venues ---------------------------------------------------------------------

/** A place members redeem at (a wash site, a coffee store), in both languages. */
export interface SandboxVenue {
  id: string;
  name: LocalizedText;
  address: LocalizedText;
  city: LocalizedText;
  openingHours: LocalizedText;
}

/**
 * The venues of `?city=` (by its English or Chinese name), at most `?limit=`; 400
 * `invalid_request` for a limit that is not an integer from 0 to `maxLimit`.
 */
export function listVenues<Venue extends SandboxVenue>(
  venues: readonly Venue[],
  params: URLSearchParams,
  { defaultLimit = 20, maxLimit = 100 }: { defaultLimit?: number; maxLimit?: number } = {},
): Venue[] {
  const city = params.get('city')?.trim().toLowerCase();
  const limitParam = params.get('limit');
  const limit = limitParam === null ? defaultLimit : Number(limitParam);
  if (!Number.isInteger(limit) || limit < 0 || limit > maxLimit) {
    throw new HttpProblem(400, 'invalid_request', { limit: `must be an integer from 0 to ${maxLimit}` });
  }
  const matching = city ? venues.filter((venue) => venue.city.en.toLowerCase() === city || venue.city['zh-CN'] === city) : venues;
  return matching.slice(0, limit);
}

// ---- The server ------------------------------------------------------------------------

/** The common sandbox options with their defaults, checked. */
export interface SandboxSettings {
  host: string;
  port: number;
  latencyMs: number;
  failureRate: number;
}

/** Applies the defaults of the common options and checks them; `partner` names the sandbox in errors. */
export function sandboxSettings(partner: string, options: SandboxOptions): SandboxSettings {
  const { host = '127.0.0.1', port = 0, latencyMs = 0, failureRate = 0 } = options;
  if (!(failureRate >= 0 && failureRate <= 1)) {
    throw new RangeError(`${partner} sandbox: failureRate must be between 0 and 1, got ${failureRate}`);
  }
  if (!(latencyMs >= 0)) throw new RangeError(`${partner} sandbox: latencyMs must be 0 or more, got ${latencyMs}`);
  return { host, port, latencyMs, failureRate };
}

export interface SandboxServerConfig {
  settings: SandboxSettings;
  /** Realm of the `WWW-Authenticate` challenge, e.g. `sparkwash`. */
  realm: string;
  /** Prefix of the generated API key, e.g. `sw` for `sw_sandbox_…`. */
  keyPrefix: string;
  /** Body of the `GET /admin/state` test hook. */
  adminState(): unknown;
  /**
   * Answers a partner API call (after authorization, latency and failure injection): an
   * outcome to send as JSON (or bodiless when it has no body), or nothing when the route
   * wrote the response itself. Throw an {@link HttpProblem} to answer an error.
   */
  route(req: IncomingMessage, url: URL, res: ServerResponse): Promise<Outcome | void>;
  /** Whether a path takes the API key. @default every path */
  requiresApiKey?(url: URL): boolean;
  /** Runs first on close, e.g. to stop background work. */
  beforeClose?(): Promise<void>;
  /**
   * How close() ends connections: `idle` closes the idle ones; `all` lets requests in flight
   * be answered, then closes every connection, including spare ones that never carried a
   * request. @default 'idle'
   */
  closeConnections?: 'idle' | 'all';
}

/**
 * Starts a sandbox HTTP server on loopback: `Authorization: Bearer <apiKey>` (401 otherwise),
 * the `GET /admin/state` test hook, which stays up and free of injected latency and failures
 * while the API is down, then latency and failures (503) injected before every route.
 */
export async function startSandboxServer(config: SandboxServerConfig): Promise<RunningSandbox> {
  const { settings, realm, route, requiresApiKey = () => true, closeConnections = 'idle' } = config;
  const { latencyMs, failureRate } = settings;
  const apiKey = `${config.keyPrefix}_sandbox_${randomBytes(24).toString('base64url')}`;
  const apiKeyDigest = sha256(apiKey);
  let down = false;
  let closing = false;
  let activeRequests = 0;

  const server: Server = createServer((req, res) => {
    activeRequests++;
    res.on('close', () => {
      activeRequests--;
      if (closing && closeConnections === 'all' && activeRequests === 0) server.closeAllConnections();
    });
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
        if (requiresApiKey(url) && !isAuthorized(req.headers.authorization, apiKeyDigest)) {
          res.setHeader('www-authenticate', `Bearer realm="${realm}"`);
          throw new HttpProblem(401, 'unauthorized');
        }
        if (url.pathname === '/admin/state') {
          allowMethod(req.method ?? 'GET', 'GET');
          sendJson(res, 200, config.adminState());
          return;
        }
        if (latencyMs > 0) await delay(latencyMs);
        if (down || (failureRate > 0 && Math.random() < failureRate)) {
          res.setHeader('retry-after', '1');
          throw new HttpProblem(503, 'service_unavailable');
        }
        const outcome = await route(req, url, res);
        if (!outcome) return;
        if (outcome.body === undefined) {
          res.writeHead(outcome.status);
          res.end();
        } else {
          sendJson(res, outcome.status, outcome.body);
        }
      } catch (error) {
        if (error instanceof HttpProblem) {
          sendJson(res, error.status, { error: error.error, ...(error.details ? { details: error.details } : {}), ...error.extra });
        } else {
          sendJson(res, 500, { error: 'internal_error' });
        }
      }
    })();
  });

  server.listen(settings.port, settings.host);
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
      closing = true;
      await config.beforeClose?.();
      if (closeConnections === 'idle') server.closeIdleConnections();
      const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      if (closeConnections === 'all' && activeRequests === 0) server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * `GET|PUT|DELETE <resource>/:entitlementId` of a rights book: the right (404 `notFound`
 * when unknown), its provisioning ({@link provisionRight}, `build` adding the partner's
 * fields) or its revocation ({@link revokeRight}); 405 for any other method.
 */
export async function rightsResourceRoute<Right extends { status: string; updatedAt: string }>(
  book: RightsBook<Right>,
  req: IncomingMessage,
  entitlementId: string,
  options: { notFound: string; build: (active: ActiveRight, existing: Right | undefined) => Right },
): Promise<Outcome> {
  switch (req.method ?? 'GET') {
    case 'GET': {
      const right = book.rights.get(entitlementId);
      if (!right) throw new HttpProblem(404, options.notFound);
      return { status: 200, body: book.rightView(right) };
    }
    case 'PUT':
      return provisionRight(book, req, entitlementId, await readJson(req), options.build);
    case 'DELETE':
      return revokeRight(book, req, entitlementId);
    default:
      throw new HttpProblem(405, 'method_not_allowed');
  }
}
