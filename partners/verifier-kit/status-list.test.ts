import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEntitlementVerifier,
  decodeStatusList,
  EntitlementVerificationError,
  MAX_STATUS_LIST_BYTES,
  type EntitlementRejectionReason,
  type EntitlementVerifierOptions,
} from './index.js';
import {
  encodeLst,
  generateTestKey,
  JWKS_PATH,
  packStatuses,
  rawToken,
  signToken,
  startRecordingServer,
  startTestIssuer,
  statusClaim,
  type RecordingServer,
  type TestIssuer,
  type TestKey,
  type TestStatusList,
} from './test-issuer.js';

const AUDIENCE = 'sparkwash';
const START = Date.parse('2026-03-01T08:00:00Z');
const IAT = START / 1000;
// Tokens outlive the lists here, so list expiry can be tested without the token expiring first.
const TOKEN_EXP = IAT + 86_400;
const LIST_PATH = '/.well-known/status-lists/sparkwash/1';

let key: TestKey;
let attacker: RecordingServer;
let issuer: TestIssuer;
let listUri: string;
// The shared clock of the verifiers and the test issuer (ms).
let clock: number;
const now = () => new Date(clock);
const advance = (seconds: number) => (clock += seconds * 1000);

beforeAll(async () => {
  key = await generateTestKey('k-2026-03');
  attacker = await startRecordingServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/statuslist+jwt' }).end('x.y.z');
  });
});

afterAll(async () => {
  await attacker.close();
});

// A fresh issuer per test: its lists, request log and uptime are the test's own.
beforeEach(async () => {
  clock = START;
  issuer = await startTestIssuer([key]);
  issuer.now = now;
  listUri = issuer.addStatusList('sparkwash/1', 1024);
});

afterEach(async () => {
  // Some tests take the issuer down themselves.
  await issuer.close().catch(() => undefined);
});

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: issuer.issuer,
    aud: AUDIENCE,
    sub: 'psn-7f3a',
    jti: 'jti-0001',
    iat: IAT,
    exp: TOKEN_EXP,
    ent: 'ent-42',
    ben: 'CAR_WASH',
    status: statusClaim(listUri, 42),
    ...overrides,
  };
}

function verifier(overrides: Partial<EntitlementVerifierOptions> = {}) {
  return createEntitlementVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri, now, ...overrides });
}

async function expectRejected(promise: Promise<unknown>, reason: EntitlementRejectionReason, message?: string | RegExp) {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the token was accepted').toBeInstanceOf(EntitlementVerificationError);
  expect((error as EntitlementVerificationError).reason).toBe(reason);
  if (typeof message === 'string') expect((error as EntitlementVerificationError).message).toBe(message);
  else if (message) expect((error as EntitlementVerificationError).message).toMatch(message);
  return error as EntitlementVerificationError;
}

const listRequests = (path = LIST_PATH) => issuer.count(path);

describe('decodeStatusList', () => {
  it('decodes the 1-bit example of the draft', async () => {
    const list = await decodeStatusList({ bits: 1, lst: 'eNrbuRgAAhcBXQ' });

    expect(list.size).toBe(16);
    expect(Array.from({ length: 16 }, (_, i) => list.get(i))).toStrictEqual([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
    expect(list.get(16)).toBeUndefined();
  });

  it('decodes the 2-bit example of the draft', async () => {
    const list = await decodeStatusList({ bits: 2, lst: 'eNo76fITAAPfAgc' });

    expect(list.size).toBe(12);
    expect(Array.from({ length: 12 }, (_, i) => list.get(i))).toStrictEqual([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]);
  });

  it.each([1, 2, 4, 8] as const)('reads back what was packed with %i bits per entry', async (bits) => {
    const values = Array.from({ length: 40 }, (_, i) => (i * 7 + 3) % 2 ** bits);
    const list = await decodeStatusList({ bits, lst: encodeLst(packStatuses(values, bits)) });

    expect(Array.from({ length: 40 }, (_, i) => list.get(i))).toStrictEqual(values);
  });

  it('returns undefined for an index outside the list, negative or fractional', async () => {
    const list = await decodeStatusList({ bits: 1, lst: 'eNrbuRgAAhcBXQ' });

    for (const index of [-1, 16, 2 ** 53, 1.5, Number.NaN]) expect(list.get(index)).toBeUndefined();
  });

  it.each([
    [{ bits: 3, lst: 'eNrbuRgAAhcBXQ' }, 'status_list.bits must be 1, 2, 4 or 8, got 3'],
    [{ bits: '1', lst: 'eNrbuRgAAhcBXQ' }, 'status_list.bits must be 1, 2, 4 or 8, got "1"'],
    [{ lst: 'eNrbuRgAAhcBXQ' }, 'status_list.bits must be 1, 2, 4 or 8, got nothing'],
    [{ bits: 1, lst: '' }, 'status_list.lst must be a non-empty base64url string'],
    [{ bits: 1, lst: 'eNrbuRgAAhcBXQ==' }, 'status_list.lst must be a non-empty base64url string'],
    [{ bits: 1, lst: [1, 0] }, 'status_list.lst must be a non-empty base64url string'],
    [{ bits: 1, lst: Buffer.from([0xb9, 0xa3]).toString('base64url') }, 'status_list.lst is not ZLIB-compressed data'],
    [{ bits: 1, lst: deflateRawSync(Buffer.from([0xb9, 0xa3])).toString('base64url') }, 'status_list.lst is not ZLIB-compressed data'],
    [{ bits: 1, lst: gzipSync(Buffer.from([0xb9, 0xa3])).toString('base64url') }, 'status_list.lst is not ZLIB-compressed data'],
  ])('refuses %j', async (claim, message) => {
    await expectRejected(decodeStatusList(claim), 'STATUS_UNAVAILABLE', message);
  });

  it('refuses a zip bomb: 17 MiB of zeros in 17 KiB', async () => {
    const bomb = deflateSync(new Uint8Array(17 * 1024 * 1024), { level: 9 }).toString('base64url');
    expect(bomb.length).toBeLessThan(30_000);

    await expectRejected(decodeStatusList({ bits: 1, lst: bomb }), 'STATUS_UNAVAILABLE', `status_list.lst inflates to more than ${MAX_STATUS_LIST_BYTES} bytes`);
    // Exactly at the cap is still a list.
    await expect(decodeStatusList({ bits: 8, lst: encodeLst(new Uint8Array(1024)) }, 1024)).resolves.toMatchObject({ size: 1024 });
    await expectRejected(decodeStatusList({ bits: 8, lst: encodeLst(new Uint8Array(1025)) }, 1024), 'STATUS_UNAVAILABLE');
  });
});

describe('a token with a status claim', () => {
  it('is accepted with status VALID when its entry is 0', async () => {
    const grant = await verifier().verify(await signToken(key, claims()));

    expect(grant.status).toStrictEqual({ state: 'VALID', uri: listUri, idx: 42, listIssuedAt: new Date(START) });
    expect(issuer.requests).toStrictEqual([JWKS_PATH, LIST_PATH]);
  });

  it('is REVOKED when its entry is INVALID', async () => {
    issuer.setStatus(listUri, 42, 1);

    await expectRejected(
      verifier().verify(await signToken(key, claims())),
      'REVOKED',
      `the token was revoked (entry 42 of status list ${listUri} is INVALID, as of 2026-03-01T08:00:00.000Z)`,
    );
  });

  it('is REVOKED, saying suspended, when its entry is SUSPENDED; other values are REVOKED too', async () => {
    const uri = issuer.addStatusList('sparkwash/2', 16, { bits: 2 });
    issuer.setStatus(uri, 5, 2);
    issuer.setStatus(uri, 6, 3);
    const v = verifier();

    await expectRejected(v.verify(await signToken(key, claims({ status: statusClaim(uri, 5) }))), 'REVOKED', /^the token is suspended \(entry 5 of status list .* is SUSPENDED, as of /);
    await expectRejected(v.verify(await signToken(key, claims({ status: statusClaim(uri, 6) }))), 'REVOKED', /^the token's status is 3, not VALID \(entry 6 of/);
    await expect(v.verify(await signToken(key, claims({ status: statusClaim(uri, 7) })))).resolves.toMatchObject({ status: { state: 'VALID' } });
  });

  it('is STATUS_UNAVAILABLE when its entry is outside the list', async () => {
    await expectRejected(
      verifier().verify(await signToken(key, claims({ status: statusClaim(listUri, 1024) }))),
      'STATUS_UNAVAILABLE',
      `status list ${listUri}: entry 1024 is outside the list of 1024 entries`,
    );
  });

  it('is not checked with checkStatus: false, and nothing but the JWKS is fetched', async () => {
    issuer.setStatus(listUri, 42, 1);

    const grant = await verifier({ checkStatus: false }).verify(await signToken(key, claims()));

    expect(grant.status).toStrictEqual({ state: 'NOT_CHECKED', uri: listUri, idx: 42 });
    expect(issuer.requests).toStrictEqual([JWKS_PATH]);
  });

  it('is checked only after its signature and claims: an expired one fetches no list', async () => {
    await expectRejected(verifier().verify(await signToken(key, claims({ exp: IAT - 60, iat: IAT - 600 }))), 'EXPIRED');
    await expectRejected(verifier().verify(await signToken(await generateTestKey(key.kid), claims())), 'BAD_SIGNATURE');

    expect(listRequests()).toBe(0);
  });
});

describe('a token without a status claim', () => {
  it('is accepted as before, with status NO_STATUS', async () => {
    const grant = await verifier().verify(await signToken(key, claims({ status: undefined })));

    expect(grant.status).toStrictEqual({ state: 'NO_STATUS' });
    expect(listRequests()).toBe(0);
  });

  it('is MISSING_CLAIM with requireStatus: true', async () => {
    await expectRejected(verifier({ requireStatus: true }).verify(await signToken(key, claims({ status: undefined }))), 'MISSING_CLAIM', 'the "status" claim is missing');
  });

  it('throws a TypeError at creation for requireStatus without checkStatus, or non-boolean flags', () => {
    const create = (overrides: Partial<EntitlementVerifierOptions>) => () => verifier(overrides);

    expect(create({ requireStatus: true, checkStatus: false })).toThrow(new TypeError('requireStatus needs checkStatus: a status that is required must be checked'));
    expect(create({ checkStatus: 'no' as unknown as boolean })).toThrow(/^checkStatus must be true or false when given, got "no"$/);
    expect(create({ statusCacheMaxAgeMs: -1 })).toThrow(/^statusCacheMaxAgeMs must be a non-negative number/);
  });
});

describe('a malformed status claim', () => {
  it.each([
    [null, 'the "status" claim must be an object'],
    ['revoked', 'the "status" claim must be an object'],
    [[], 'the "status" claim must be an object'],
    [{}, 'the "status" claim must hold a "status_list" object'],
    [{ status_list: 'x' }, 'the "status" claim must hold a "status_list" object'],
    [{ status_list: { uri: 'LIST' } }, 'status_list.idx must be a non-negative integer, got nothing'],
    [{ status_list: { idx: -1, uri: 'LIST' } }, 'status_list.idx must be a non-negative integer, got -1'],
    [{ status_list: { idx: 1.5, uri: 'LIST' } }, 'status_list.idx must be a non-negative integer, got 1.5'],
    [{ status_list: { idx: '42', uri: 'LIST' } }, 'status_list.idx must be a non-negative integer, got "42"'],
    [{ status_list: { idx: 2 ** 53, uri: 'LIST' } }, 'status_list.idx must be a non-negative integer, got 9007199254740992'],
    [{ status_list: { idx: 42 } }, 'status_list.uri must be a string, got nothing'],
    [{ status_list: { idx: 42, uri: ['LIST'] } }, /^status_list\.uri must be a string, got \["http/],
  ])('is MALFORMED: %j', async (status, message) => {
    const resolved = JSON.parse(JSON.stringify(status ?? null).replaceAll('"LIST"', JSON.stringify(listUri)));

    await expectRejected(verifier().verify(await signToken(key, claims({ status: resolved }))), 'MALFORMED', message);
    expect(listRequests()).toBe(0);
  });
});

describe('a status list uri off the issuer', () => {
  it.each([
    ['another host', () => `${attacker.url}${LIST_PATH}`, "is not on the issuer's origin"],
    ['another port of the same host', () => `http://127.0.0.1:1${LIST_PATH}`, "is not on the issuer's origin"],
    ['https on an http issuer', () => issuer.issuer.replace('http:', 'https:') + LIST_PATH, "is not on the issuer's origin"],
    ['localhost for 127.0.0.1', () => issuer.issuer.replace('127.0.0.1', 'localhost') + LIST_PATH, "is not on the issuer's origin"],
    ['credentials', () => issuer.issuer.replace('://', '://user:pass@') + LIST_PATH, 'carries credentials'],
    ['a relative reference', () => LIST_PATH, 'is not an http(s) URL'],
    ['a file URL', () => 'file:///etc/passwd', 'is not an http(s) URL'],
    ['a data URL', () => 'data:application/statuslist+jwt,x.y.z', 'is not an http(s) URL'],
  ])('is refused without any request: %s', async (_case, uri, problem) => {
    const urls: string[] = [];
    const spy: typeof fetch = (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return fetch(input, init);
    };
    const before = attacker.requests.length;

    const error = await expectRejected(verifier({ fetch: spy }).verify(await signToken(key, claims({ status: statusClaim(uri(), 42) }))), 'MALFORMED');

    expect(error.message).toContain(problem);
    expect(error.message).toMatch(/^status_list\.uri "/);
    expect(urls).toStrictEqual([issuer.jwksUri]);
    expect(attacker.requests.length - before).toBe(0);
    expect(listRequests()).toBe(0);
  });
});

describe('status list caching', () => {
  it('keeps the cached answer until the ttl passes, then sees the revocation', async () => {
    const v = verifier();
    const token = await signToken(key, claims());
    await expect(v.verify(token)).resolves.toMatchObject({ status: { state: 'VALID' } });

    issuer.setStatus(listUri, 42, 1);
    advance(59);
    await expect(v.verify(token)).resolves.toMatchObject({ status: { state: 'VALID', listIssuedAt: new Date(START) } });
    expect(listRequests()).toBe(1);

    advance(1);
    await expectRejected(v.verify(token), 'REVOKED');
    expect(listRequests()).toBe(2);
  });

  it('refetches sooner when the HTTP max-age is shorter than the ttl', async () => {
    issuer.addStatusList('warm', 8);
    // Signed now; fetched 40 s later, when 20 s of its ttl are left.
    await fetch(`${issuer.issuer}/.well-known/status-lists/warm`).then((r) => r.text());
    advance(40);
    const v = verifier();
    const token = await signToken(key, claims({ status: statusClaim(`${issuer.issuer}/.well-known/status-lists/warm`, 3) }));
    await v.verify(token);
    const fetched = () => issuer.count('/.well-known/status-lists/warm');

    advance(19);
    await v.verify(token);
    expect(fetched()).toBe(2);
    advance(1);
    await v.verify(token);
    expect(fetched()).toBe(3);
  });

  it('refetches sooner when statusCacheMaxAgeMs is shorter than the ttl', async () => {
    const v = verifier({ statusCacheMaxAgeMs: 10_000 });
    const token = await signToken(key, claims());
    await v.verify(token);

    advance(9);
    await v.verify(token);
    expect(listRequests()).toBe(1);
    advance(1);
    await v.verify(token);
    expect(listRequests()).toBe(2);
  });

  it('revalidates with If-None-Match and keeps its copy on 304 Not Modified', async () => {
    const v = verifier();
    const token = await signToken(key, claims());
    await v.verify(token);

    advance(61);
    await expect(v.verify(token)).resolves.toMatchObject({ status: { state: 'VALID', listIssuedAt: new Date(START) } });
    // Fresh again after the 304: no request within the next ttl.
    advance(30);
    await v.verify(token);

    expect(issuer.statusRequests).toStrictEqual([
      { path: LIST_PATH, ifNoneMatch: undefined, status: 200 },
      { path: LIST_PATH, ifNoneMatch: expect.stringMatching(/^".+"$/), status: 304 },
    ]);
  });

  it('makes one request for many concurrent verifications of one list', async () => {
    const v = verifier();
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => signToken(key, claims({ jti: `jti-${i}`, status: statusClaim(listUri, i) }))));

    const grants = await Promise.all(tokens.map((token) => v.verify(token)));

    expect(grants.every((grant) => grant.status.state === 'VALID')).toBe(true);
    expect(listRequests()).toBe(1);
  });

  it('makes one request for concurrent verifications when the cached copy goes stale', async () => {
    const v = verifier();
    const token = await signToken(key, claims());
    await v.verify(token);
    issuer.setStatus(listUri, 42, 1);
    advance(60);

    const outcomes = await Promise.all(Array.from({ length: 20 }, () => v.verify(token).then(() => 'accepted', (e: EntitlementVerificationError) => e.reason)));

    expect(new Set(outcomes)).toStrictEqual(new Set(['REVOKED']));
    expect(listRequests()).toBe(2);
  });

  it('does not go back to an older list served after a newer one (replay)', async () => {
    const v = verifier();
    const token = await signToken(key, claims());
    advance(10);
    issuer.setStatus(listUri, 42, 1);
    await expectRejected(v.verify(token), 'REVOKED');

    // The issuer (or someone in between) now serves a copy dated before the revocation.
    const list = issuer.statusLists.get(LIST_PATH)!;
    list.claims = { iat: IAT };
    issuer.setStatus(listUri, 42, 0);
    advance(60);

    await expectRejected(v.verify(token), 'REVOKED');
    expect(listRequests()).toBe(2);
  });
});

describe('fail-stale', () => {
  it('uses a cached list while the issuer is down, until the list expires', async () => {
    const v = verifier();
    const token = await signToken(key, claims());
    await v.verify(token);
    await issuer.close();

    advance(3600 + 4);
    await expect(v.verify(token)).resolves.toMatchObject({ status: { state: 'VALID', listIssuedAt: new Date(START) } });
    advance(1);
    await expectRejected(v.verify(token), 'STATUS_UNAVAILABLE', new RegExp(`^status list ${listUri}: could not be fetched: fetch failed`));
  });

  it('uses a cached list when a refresh fails, and retries only after a pause', async () => {
    const v = verifier();
    const token = await signToken(key, claims());
    await v.verify(token);
    const list = issuer.statusLists.get(LIST_PATH)!;
    list.answer = () => ({ status: 503, body: 'down for maintenance' });

    advance(60);
    await expect(v.verify(token)).resolves.toMatchObject({ status: { state: 'VALID' } });
    advance(9);
    await expect(v.verify(token)).resolves.toMatchObject({ status: { state: 'VALID' } });
    expect(listRequests()).toBe(2);

    delete list.answer;
    issuer.setStatus(listUri, 42, 1);
    advance(1);
    await expectRejected(v.verify(token), 'REVOKED');
    expect(listRequests()).toBe(3);
  });

  it('rejects with STATUS_UNAVAILABLE when there is no cached copy', async () => {
    const v = verifier();
    const token = await signToken(key, claims());
    issuer.statusLists.get(LIST_PATH)!.answer = () => ({ status: 503, body: '' });

    await expectRejected(v.verify(token), 'STATUS_UNAVAILABLE', `status list ${listUri}: expected 200 OK, got 503`);
  });
});

describe('a status list that must not be believed', () => {
  async function refused(setup: (list: TestStatusList) => void, message: string | RegExp) {
    setup(issuer.statusLists.get(LIST_PATH)!);
    // A string is the message after the list's URI.
    const error = await expectRejected(verifier().verify(await signToken(key, claims())), 'STATUS_UNAVAILABLE', typeof message === 'string' ? `status list ${listUri}${message}` : message);
    expect(error.message.startsWith(`status list ${listUri}: `)).toBe(true);
  }

  it('is refused when signed with another key under the issuer kid', async () => {
    const impostor = await generateTestKey(key.kid);
    await refused((list) => void (list.key = impostor), /: the signature does not verify$/);
  });

  it('is refused when signed with a key the JWKS does not hold', async () => {
    const stranger = await generateTestKey('k-stranger');
    await refused((list) => void (list.key = stranger), /: the issuer's JWKS has no Ed25519 key with kid "k-stranger"$/);
  });

  it.each([['JWT'], ['application/statuslist+jwt'], ['Statuslist+JWT'], ['entitlement+jwt'], [undefined]])('is refused with typ %j', async (typ) => {
    await refused((list) => void (list.header = { typ }), new RegExp(`: typ must be "statuslist\\+jwt", got ${typ === undefined ? 'nothing' : JSON.stringify(typ).replace('+', '\\+')}$`));
  });

  it('is refused with a jku header or alg none', async () => {
    await refused((list) => void (list.header = { jku: `${attacker.url}/jwks.json` }), /: the "jku" header is not accepted$/);
    await refused(
      (list) =>
        void (list.answer = () => ({
          status: 200,
          headers: { 'content-type': 'application/statuslist+jwt' },
          body: rawToken({ alg: 'none', typ: 'statuslist+jwt', kid: key.kid }, { iss: issuer.issuer, sub: listUri, iat: IAT, exp: IAT + 60, status_list: { bits: 1, lst: encodeLst(new Uint8Array(128)) } }),
        })),
      /: alg "none" is not accepted; only EdDSA$/,
    );
  });

  it('is refused when its sub is another list', async () => {
    await refused((list) => void (list.claims = { sub: `${issuer.issuer}/.well-known/status-lists/sparkwash/2` }), /: sub ".*\/sparkwash\/2" is not the list's uri$/);
  });

  it('is refused when its iss is not the issuer', async () => {
    await refused((list) => void (list.claims = { iss: 'https://evil.example' }), /: iss "https:\/\/evil\.example" is not "http:\/\/127\.0\.0\.1:\d+"$/);
  });

  it('is refused when expired, beyond the clock tolerance', async () => {
    await refused((list) => void (list.claims = { iat: IAT - 3600, exp: IAT - 5 }), ': the list expired at 2026-03-01T07:59:55.000Z');
  });

  it('is accepted when it expires within the clock tolerance', async () => {
    issuer.statusLists.get(LIST_PATH)!.claims = { iat: IAT - 3600, exp: IAT - 4 };

    await expect(verifier().verify(await signToken(key, claims()))).resolves.toMatchObject({ status: { state: 'VALID' } });
  });

  it('is refused without iat or exp, or issued in the future', async () => {
    await refused((list) => void (list.claims = { iat: undefined }), ': the "iat" claim is missing or not a NumericDate');
    await refused((list) => void (list.claims = { exp: undefined }), ': the "exp" claim is missing or not a NumericDate');
    await refused((list) => void (list.claims = { iat: IAT + 6, exp: IAT + 3600 }), ': the list was issued in the future (iat 2026-03-01T08:00:06.000Z)');
  });

  it('is refused with bad status_list content', async () => {
    await refused((list) => void (list.claims = { status_list: undefined }), ': the "status_list" claim is missing');
    await refused((list) => void (list.claims = { status_list: { bits: 3, lst: encodeLst(new Uint8Array(8)) } }), ': status_list.bits must be 1, 2, 4 or 8, got 3');
    await refused((list) => void (list.claims = { ttl: -1 }), ': the "ttl" claim must be a non-negative number of seconds');
  });

  it('is refused when its lst is a zip bomb', async () => {
    const bomb = deflateSync(new Uint8Array(MAX_STATUS_LIST_BYTES + 1)).toString('base64url');
    await refused((list) => void (list.claims = { status_list: { bits: 1, lst: bomb } }), `: status_list.lst inflates to more than ${MAX_STATUS_LIST_BYTES} bytes`);
  });

  it('is refused when served with another content type, as a redirect, or too large', async () => {
    await refused(
      (list) => void (list.answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{}' })),
      ': expected content-type application/statuslist+jwt, got "application/json"',
    );
    const before = attacker.requests.length;
    await refused(
      (list) => void (list.answer = () => ({ status: 302, headers: { location: `${attacker.url}${LIST_PATH}` }, body: '' })),
      ': expected 200 OK, got 302 (redirects are not followed)',
    );
    expect(attacker.requests.length - before).toBe(0);
    await refused(
      (list) => void (list.answer = () => ({ status: 200, headers: { 'content-type': 'application/statuslist+jwt' }, body: 'A'.repeat(4 * 1024 * 1024 + 1) })),
      ': the response is larger than 4194304 bytes',
    );
    await refused(
      (list) => void (list.answer = () => ({ status: 200, headers: { 'content-type': 'application/statuslist+jwt' }, body: '<html>' })),
      ': the response is not a compact JWS',
    );
  });

  it('is refused when the request times out', async () => {
    const slow = await startRecordingServer(() => undefined);
    try {
      const stub: typeof fetch = (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        return url.endsWith(LIST_PATH) ? fetch(`${slow.url}${LIST_PATH}`, init) : fetch(input, init);
      };
      await expectRejected(verifier({ fetch: stub, timeoutMs: 50 }).verify(await signToken(key, claims())), 'STATUS_UNAVAILABLE', `status list ${listUri}: timed out`);
    } finally {
      await slow.close();
    }
  });
});
