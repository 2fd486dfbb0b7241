import { base64url, CompactEncrypt, CompactSign, exportSPKI, SignJWT, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createEntitlementVerifier,
  EntitlementVerificationError,
  REJECTION_REASONS,
  type EntitlementRejectionReason,
  type EntitlementVerifierOptions,
} from './index.js';
import {
  generateTestKey,
  json,
  JWKS_PATH,
  METADATA_PATH,
  mulberry32,
  rawToken,
  signToken,
  startRecordingServer,
  startTestIssuer,
  statusClaim,
  type RecordingServer,
  type TestIssuer,
  type TestKey,
} from './test-issuer.js';

const AUDIENCE = 'sparkwash';
const ISSUED_AT = new Date('2026-03-01T08:00:00Z');
const IAT = ISSUED_AT.getTime() / 1000;
const EXP = IAT + 600;

let key: TestKey;
let attackerKey: TestKey;
let issuer: TestIssuer;
let attacker: RecordingServer;

beforeAll(async () => {
  key = await generateTestKey('k-2026-03');
  attackerKey = await generateTestKey('attacker');
  issuer = await startTestIssuer([key]);
  // Serves the attacker's own JWKS: a verifier that followed jku/x5u would find a key here.
  attacker = await startRecordingServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attackerKey.jwk] }));
  });
});

afterAll(async () => {
  await issuer.close();
  await attacker.close();
});

afterEach(() => {
  vi.useRealTimers();
});

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  return {
    iss: issuer.issuer,
    aud: AUDIENCE,
    sub: 'psn-7f3a',
    jti: 'jti-0001',
    iat: IAT,
    exp: EXP,
    ent: 'ent-42',
    ben: 'CAR_WASH',
    ...overrides,
  };
}

function without(...names: string[]): JWTPayload {
  const result: Record<string, unknown> = claims();
  for (const name of names) delete result[name];
  return result;
}

function verifier(overrides: Partial<EntitlementVerifierOptions> = {}, at: TestIssuer = issuer) {
  return createEntitlementVerifier({ issuer: at.issuer, audience: AUDIENCE, now: () => ISSUED_AT, ...overrides });
}

async function rejection(promise: Promise<unknown>): Promise<EntitlementVerificationError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the token was accepted').toBeInstanceOf(EntitlementVerificationError);
  return error as EntitlementVerificationError;
}

async function expectRejected(promise: Promise<unknown>, reason: EntitlementRejectionReason, message?: string | RegExp) {
  const error = await rejection(promise);
  expect(error.reason).toBe(reason);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else if (message) expect(error.message).toMatch(message);
  return error;
}

/** A fetch that records every URL, so tests can prove what was (not) fetched. */
function recordingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    },
  };
}

describe('a valid token', () => {
  it('verifies with exactly the claims the partner needs', async () => {
    const token = await signToken(key, claims());

    expect(await verifier().verify(token)).toStrictEqual({
      memberPseudonym: 'psn-7f3a',
      entitlementId: 'ent-42',
      benefitCode: 'CAR_WASH',
      tokenId: 'jti-0001',
      issuedAt: new Date('2026-03-01T08:00:00Z'),
      expiresAt: new Date('2026-03-01T08:10:00Z'),
      keyId: 'k-2026-03',
      status: { state: 'NO_STATUS' },
    });
  });

  it('finds the JWKS through the issuer metadata when no jwksUri is given', async () => {
    const own = await startTestIssuer([key]);
    try {
      await verifier({}, own).verify(await signToken(key, claims({ iss: own.issuer })));

      expect(own.requests).toStrictEqual([METADATA_PATH, JWKS_PATH]);
    } finally {
      await own.close();
    }
  });

  it('fetches only the given jwksUri, never the metadata', async () => {
    const own = await startTestIssuer([key]);
    try {
      await verifier({ jwksUri: own.jwksUri }, own).verify(await signToken(key, claims({ iss: own.issuer })));

      expect(own.requests).toStrictEqual([JWKS_PATH]);
    } finally {
      await own.close();
    }
  });

  it('gives every reason a human sentence', () => {
    for (const sentence of Object.values(REJECTION_REASONS)) expect(sentence).toMatch(/^The .+\.$|^A .+\.$/);
    expect(Object.keys(REJECTION_REASONS)).toHaveLength(14);
  });
});

describe('MALFORMED', () => {
  it('rejects an encrypted token (JWE, five parts)', async () => {
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims())))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'entitlement+jwt', kid: key.kid })
      .encrypt(new Uint8Array(32).fill(7));

    expect(jwe.split('.')).toHaveLength(5);
    await expectRejected(verifier().verify(jwe), 'MALFORMED', 'expected a compact JWS, got an encrypted token (JWE)');
  });

  it('rejects the flattened and the general JSON serialization of a valid token', async () => {
    const [protectedHeader, payload, signature] = (await signToken(key, claims())).split('.');
    const flattened = JSON.stringify({ protected: protectedHeader, payload, signature });
    const general = JSON.stringify({ payload, signatures: [{ protected: protectedHeader, signature }] });

    for (const token of [flattened, general, ` ${flattened}`]) {
      await expectRejected(verifier().verify(token), 'MALFORMED', 'expected a compact JWS, got a JSON serialization');
    }
  });

  it('rejects empty, oversized, wrongly split and padded strings', async () => {
    const valid = await signToken(key, claims());
    const [h, p, s] = valid.split('.');
    const cases: Array<[unknown, string]> = [
      ['', 'the token is empty'],
      [undefined, 'the token is empty'],
      [`${valid}.${'A'.repeat(4096)}`, 'the token is longer than 4096 characters'],
      [`${h}.${p}`, 'expected a compact JWS: three base64url parts separated by dots'],
      [`${h}.${p}.${s}.`, 'expected a compact JWS: three base64url parts separated by dots'],
      [`${valid}\n`, 'expected a compact JWS: three base64url parts separated by dots'],
      [`Bearer ${valid}`, 'expected a compact JWS: three base64url parts separated by dots'],
      [`${h}=.${p}.${s}`, 'expected a compact JWS: three base64url parts separated by dots'],
      [`.${p}.${s}`, 'expected a compact JWS: three base64url parts separated by dots'],
    ];
    for (const [token, message] of cases) {
      await expectRejected(verifier().verify(token as string), 'MALFORMED', message);
    }
  });

  it('rejects a header that is not a base64url JSON object', async () => {
    const [, p, s] = (await signToken(key, claims())).split('.');
    for (const header of ['not json', '["EdDSA"]', 'null', '"EdDSA"']) {
      await expectRejected(
        verifier().verify(`${base64url.encode(header)}.${p}.${s}`),
        'MALFORMED',
        'the protected header is not a base64url-encoded JSON object',
      );
    }
  });

  it('rejects a correctly signed payload that is not a JSON claims set', async () => {
    for (const payload of ['hello', '[1,2]', '"claims"']) {
      const token = await new CompactSign(new TextEncoder().encode(payload))
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt' })
        .sign(key.privateKey);
      await expectRejected(verifier().verify(token), 'MALFORMED', 'the payload is not a JSON claims set');
    }
  });

  it('regression: rejects a signature re-spelled in the spare bits of its last base64url character', async () => {
    // 64 signature bytes take 86 characters; the last one carries 4 unused bits, so 16
    // spellings decode to the same bytes. Only the canonical one may verify.
    const token = await signToken(key, claims());
    const last = token.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1];
    const respelled = token.slice(0, -1) + sibling;
    expect(Buffer.from(respelled.split('.')[2], 'base64url')).toStrictEqual(Buffer.from(token.split('.')[2], 'base64url'));

    await expectRejected(verifier().verify(respelled), 'MALFORMED', 'a part of the token is not canonical base64url');
  });

  it('rejects malformed input without fetching anything', async () => {
    const spy = recordingFetch();
    await expectRejected(verifier({ fetch: spy.fetch }).verify('a.b'), 'MALFORMED');

    expect(spy.urls).toStrictEqual([]);
  });
});

describe('ALG_NOT_ALLOWED', () => {
  it.each(['none', 'None', 'noNE', 'NONE'])('rejects alg %j with an empty signature, before fetching keys', async (alg) => {
    const spy = recordingFetch();
    const token = rawToken({ alg, kid: key.kid, typ: 'entitlement+jwt' }, claims());

    await expectRejected(verifier({ fetch: spy.fetch }).verify(token), 'ALG_NOT_ALLOWED', `alg ${JSON.stringify(alg)} is not accepted; only EdDSA`);
    expect(spy.urls).toStrictEqual([]);
  });

  it('rejects alg none carrying a genuine EdDSA signature', async () => {
    const [, p, s] = (await signToken(key, claims())).split('.');
    const h = base64url.encode(JSON.stringify({ alg: 'none', kid: key.kid, typ: 'entitlement+jwt' }));

    await expectRejected(verifier().verify(`${h}.${p}.${s}`), 'ALG_NOT_ALLOWED');
  });

  it('rejects HS256 signed with the public key as the HMAC secret (key confusion)', async () => {
    const secrets = [
      base64url.decode(key.jwk.x!), // the raw 32 public key bytes
      new TextEncoder().encode(JSON.stringify(key.jwk)), // the published JWK
      new TextEncoder().encode(await exportSPKI(key.publicKey)), // the PEM
    ];
    for (const secret of secrets) {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'entitlement+jwt' }).sign(secret);
      await expectRejected(verifier().verify(token), 'ALG_NOT_ALLOWED', 'alg "HS256" is not accepted; only EdDSA');
    }
  });

  it.each([['RS256'], ['ES256'], ['Ed25519'], ['eddsa'], [''], [null], [undefined]])('rejects alg %j', async (alg) => {
    const [, p, s] = (await signToken(key, claims())).split('.');
    const header = { kid: key.kid, typ: 'entitlement+jwt', ...(alg === undefined ? {} : { alg }) };

    await expectRejected(verifier().verify(`${base64url.encode(JSON.stringify(header))}.${p}.${s}`), 'ALG_NOT_ALLOWED');
  });
});

describe('WRONG_TYPE', () => {
  it.each([['JWT'], ['application/entitlement+jwt'], ['Entitlement+JWT'], ['entitlement+jwt '], ['at+jwt'], [undefined]])(
    'rejects typ %j even when correctly signed',
    async (typ) => {
      const token = await signToken(key, claims(), { typ });

      await expectRejected(verifier().verify(token), 'WRONG_TYPE', `typ must be "entitlement+jwt", got ${typ === undefined ? 'nothing' : JSON.stringify(typ)}`);
    },
  );
});

describe('FORBIDDEN_HEADER', () => {
  it.each(['jku', 'x5u'])('rejects a %s header without ever fetching its URL', async (name) => {
    const spy = recordingFetch();
    const before = attacker.requests.length;
    const url = `${attacker.url}/jwks.json`;
    // Signed by the attacker with the key that the URL serves: honouring the header would accept it.
    const forged = await signToken(attackerKey, claims(), { [name]: url });
    // Signed by the real key: the header alone is reason enough.
    const genuine = await signToken(key, claims(), { [name]: url });

    for (const token of [forged, genuine]) {
      await expectRejected(verifier({ fetch: spy.fetch }).verify(token), 'FORBIDDEN_HEADER', `the "${name}" header is not accepted: keys come only from the issuer's JWKS`);
    }
    expect(attacker.requests.length - before).toBe(0);
    expect(spy.urls.filter((u) => u.startsWith(attacker.url))).toStrictEqual([]);
  });

  it('rejects a token carrying its own key in a jwk header', async () => {
    const token = await signToken(attackerKey, claims(), { jwk: attackerKey.jwk, kid: key.kid });

    await expectRejected(verifier().verify(token), 'FORBIDDEN_HEADER', 'the "jwk" header is not accepted: keys come only from the issuer\'s JWKS');
  });

  it('rejects a certificate chain in x5c', async () => {
    const token = await signToken(key, claims(), { x5c: ['MIIBszCCAVmgAwIBAgIUQ'] });

    await expectRejected(verifier().verify(token), 'FORBIDDEN_HEADER', 'the "x5c" header is not accepted: keys come only from the issuer\'s JWKS');
  });

  it('rejects any crit, known or unknown', async () => {
    const message = 'the "crit" header is not accepted: entitlement tokens use no extensions';
    const unknown = rawToken({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt', crit: ['urn:example:must-understand'], 'urn:example:must-understand': true }, claims(), 'AAAA');
    const b64 = rawToken({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt', crit: ['b64'], b64: false }, claims(), 'AAAA');
    const empty = rawToken({ alg: 'EdDSA', kid: key.kid, typ: 'entitlement+jwt', crit: [] }, claims(), 'AAAA');

    for (const token of [unknown, b64, empty]) await expectRejected(verifier().verify(token), 'FORBIDDEN_HEADER', message);
  });
});

describe('UNKNOWN_KEY', () => {
  it('rejects a kid the JWKS does not hold', async () => {
    const stranger = await generateTestKey('k-stranger');

    await expectRejected(verifier().verify(await signToken(stranger, claims())), 'UNKNOWN_KEY', 'the issuer\'s JWKS has no Ed25519 key with kid "k-stranger"');
  });

  it('rejects a token without a kid', async () => {
    const token = await signToken(key, claims(), { kid: undefined });

    await expectRejected(verifier().verify(token), 'UNKNOWN_KEY', 'the "kid" header must name a key of the issuer, got nothing');
  });

  it.each([[''], [42], [{ kid: 'k-2026-03' }], [['k-2026-03']], [null]])('rejects the non-string kid %j', async (kid) => {
    await expectRejected(verifier().verify(await signToken(key, claims(), { kid })), 'UNKNOWN_KEY', /^the "kid" header must name a key of the issuer/);
  });

  it('rejects absurd kids, and shows them escaped and cut short', async () => {
    const kids = ['../../../../etc/passwd', 'k'.repeat(2000), 'k-2026-03\u0000', 'k-2026-03 ', '\u001b[31mred\u202e', 'K-2026-03'];
    for (const kid of kids) {
      const error = await expectRejected(verifier().verify(await signToken(key, claims(), { kid })), 'UNKNOWN_KEY');
      expect(error.message.length).toBeLessThan(160);
      expect(error.message).toMatch(/^[\x20-\x7e]+$/);
    }
  });
});

describe('BAD_SIGNATURE', () => {
  it('rejects a stripped signature', async () => {
    const token = await signToken(key, claims());

    await expectRejected(verifier().verify(token.slice(0, token.lastIndexOf('.') + 1)), 'BAD_SIGNATURE', 'the signature does not match the header and payload');
  });

  it('rejects a payload changed after signing', async () => {
    const [h, , s] = (await signToken(key, claims())).split('.');
    const p = base64url.encode(JSON.stringify(claims({ ben: 'STREAMING_VIP' })));

    await expectRejected(verifier().verify(`${h}.${p}.${s}`), 'BAD_SIGNATURE');
  });

  it("rejects another key's signature under the issuer's kid", async () => {
    await expectRejected(verifier().verify(await signToken(attackerKey, claims(), { kid: key.kid })), 'BAD_SIGNATURE');
  });

  it('rejects a truncated signature and a signature from another token', async () => {
    const token = await signToken(key, claims());
    const other = await signToken(key, claims({ jti: 'jti-0002' }));

    // 64 of 86 characters: 48 whole bytes, so still canonical base64url.
    await expectRejected(verifier().verify(token.slice(0, token.lastIndexOf('.') + 65)), 'BAD_SIGNATURE');
    await expectRejected(verifier().verify(token.slice(0, token.lastIndexOf('.')) + other.slice(other.lastIndexOf('.'))), 'BAD_SIGNATURE');
  });
});

describe('WRONG_ISSUER', () => {
  it.each([['https://gateway.example'], ['ISSUER/'], [undefined], [['ISSUER']]])('rejects iss %j', async (iss) => {
    const value = iss === 'ISSUER/' ? `${issuer.issuer}/` : Array.isArray(iss) ? [issuer.issuer] : iss;
    const token = await signToken(key, iss === undefined ? without('iss') : claims({ iss: value }));

    await expectRejected(verifier().verify(token), 'WRONG_ISSUER', iss === undefined ? 'the "iss" claim is missing' : /^iss .* is not "http:\/\/127\.0\.0\.1:\d+"$/);
  });
});

describe('WRONG_AUDIENCE', () => {
  it('rejects a token issued to another partner', async () => {
    await expectRejected(verifier().verify(await signToken(key, claims({ aud: 'brewbar' }))), 'WRONG_AUDIENCE', 'the token was issued to "brewbar", not "sparkwash"');
  });

  it('rejects an array aud, even one naming only this partner', async () => {
    for (const aud of [[AUDIENCE], [AUDIENCE, 'brewbar'], []]) {
      await expectRejected(verifier().verify(await signToken(key, claims({ aud }))), 'WRONG_AUDIENCE', 'aud must be a single partner id, not a list or another type');
    }
  });

  it('rejects a missing or non-string aud', async () => {
    await expectRejected(verifier().verify(await signToken(key, without('aud'))), 'WRONG_AUDIENCE', 'the "aud" claim is missing');
    await expectRejected(verifier().verify(await signToken(key, claims({ aud: 42 }))), 'WRONG_AUDIENCE');
  });
});

describe('EXPIRED and NOT_YET_VALID', () => {
  const at = (ms: number) => () => new Date(ms);

  it('accepts a token until the last millisecond of the clock tolerance after exp', async () => {
    const token = await signToken(key, claims());

    await expect(verifier({ now: at((EXP + 5) * 1000 - 1) }).verify(token)).resolves.toMatchObject({ tokenId: 'jti-0001' });
  });

  it('rejects it as EXPIRED once the tolerance has passed', async () => {
    const token = await signToken(key, claims());

    await expectRejected(verifier({ now: at((EXP + 5) * 1000) }).verify(token), 'EXPIRED', 'the token expired at 2026-03-01T08:10:00.000Z');
  });

  it('applies the configured tolerance, zero included', async () => {
    const token = await signToken(key, claims());

    await expect(verifier({ clockToleranceSeconds: 0, now: at(EXP * 1000 - 1) }).verify(token)).resolves.toBeDefined();
    await expectRejected(verifier({ clockToleranceSeconds: 0, now: at(EXP * 1000) }).verify(token), 'EXPIRED');
    await expect(verifier({ clockToleranceSeconds: 60, now: at((EXP + 59) * 1000) }).verify(token)).resolves.toBeDefined();
  });

  it('accepts iat up to the tolerance ahead of the clock and rejects it one second further', async () => {
    const now = at(ISSUED_AT.getTime());

    await expect(verifier({ now }).verify(await signToken(key, claims({ iat: IAT + 5 })))).resolves.toBeDefined();
    await expectRejected(verifier({ now }).verify(await signToken(key, claims({ iat: IAT + 6 }))), 'NOT_YET_VALID', 'the token was issued in the future (iat 2026-03-01T08:00:06.000Z)');
  });

  it('rejects an nbf beyond the tolerance', async () => {
    await expect(verifier().verify(await signToken(key, claims({ nbf: IAT + 5 })))).resolves.toBeDefined();
    await expectRejected(verifier().verify(await signToken(key, claims({ nbf: IAT + 6 }))), 'NOT_YET_VALID', 'the token is not valid before 2026-03-01T08:00:06.000Z');
  });
});

describe('MISSING_CLAIM', () => {
  it.each(['exp', 'iat', 'jti', 'sub', 'ent', 'ben'])('rejects a token without %s', async (name) => {
    await expectRejected(verifier().verify(await signToken(key, without(name))), 'MISSING_CLAIM', `the "${name}" claim is missing`);
  });

  it.each([
    ['exp', 'soon'],
    ['exp', null],
    ['iat', '2026-03-01'],
    ['exp', -1],
    ['sub', ''],
    ['jti', 7],
    ['ben', ['CAR_WASH']],
    ['ent', {}],
  ])('rejects %s = %j', async (name, value) => {
    await expectRejected(verifier().verify(await signToken(key, claims({ [name]: value }))), 'MISSING_CLAIM', new RegExp(`^the "${name}" claim must be`));
  });

  it('rejects an exp that is not after iat as MALFORMED', async () => {
    await expectRejected(verifier().verify(await signToken(key, claims({ exp: IAT }))), 'MALFORMED', 'exp is not after iat');
  });
});

describe('JWKS_UNAVAILABLE', () => {
  async function withIssuer(setup: (own: TestIssuer) => void, run: (own: TestIssuer) => Promise<void>) {
    const own = await startTestIssuer([key]);
    setup(own);
    try {
      await run(own);
    } finally {
      await own.close();
    }
  }
  const tokenFor = (own: TestIssuer) => signToken(key, claims({ iss: own.issuer }));

  it('rejects when the issuer cannot be reached', async () => {
    const gone = await startRecordingServer(() => undefined);
    await gone.close();

    await expectRejected(verifier({ issuer: gone.url }).verify(await signToken(key, claims({ iss: gone.url }))), 'JWKS_UNAVAILABLE', /^issuer metadata at http:\/\/127\.0\.0\.1:\d+\/\.well-known\/entitlement-issuer: /);
  });

  it('rejects when the metadata is an error, a redirect, not JSON, or names another issuer', async () => {
    const answers: Array<[(issuer: string, jwksUri: string) => { status: number; body: string }, RegExp]> = [
      [() => json(500, {}), /expected 200 OK, got 500$/],
      [() => ({ status: 302, body: '' }), /expected 200 OK, got 302$/],
      [() => ({ status: 200, body: '<html>' }), /: Unexpected token/],
      [(_issuer, jwksUri) => json(200, { issuer: 'https://evil.example', jwks_uri: jwksUri }), /names issuer "https:\/\/evil\.example", not/],
      [(issuer) => json(200, { issuer }), /jwks_uri is missing or not a URL$/],
      [(issuer) => json(200, { issuer, jwks_uri: 'file:///etc/passwd' }), /jwks_uri must use https: or http:/],
    ];
    for (const [metadata, message] of answers) {
      await withIssuer(
        (own) => (own.metadata = metadata),
        async (own) => {
          await expectRejected(verifier({}, own).verify(await tokenFor(own)), 'JWKS_UNAVAILABLE', message);
        },
      );
    }
  });

  it('refuses a plain-http jwks_uri from an https issuer', async () => {
    const stub: typeof fetch = async () => Response.json({ issuer: 'https://gateway.example', jwks_uri: 'http://gateway.example/.well-known/jwks.json' });
    const token = await signToken(key, claims({ iss: 'https://gateway.example' }));

    await expectRejected(verifier({ issuer: 'https://gateway.example', fetch: stub }).verify(token), 'JWKS_UNAVAILABLE', /jwks_uri must use https:, got "http:/);
  });

  it('rejects when the JWKS is an error or not a key set', async () => {
    for (const jwks of [() => json(503, {}), () => ({ status: 200, body: 'nope' }), () => json(200, { keys: 'none' })]) {
      await withIssuer(
        (own) => (own.jwks = jwks),
        async (own) => {
          await expectRejected(verifier({}, own).verify(await tokenFor(own)), 'JWKS_UNAVAILABLE', /^the issuer's JWKS could not be fetched or used/);
        },
      );
    }
  });

  it('tries the discovery again on the next token after a failure', async () => {
    await withIssuer(
      (own) => (own.metadata = () => json(503, {})),
      async (own) => {
        const v = verifier({}, own);
        const token = await tokenFor(own);
        await expectRejected(v.verify(token), 'JWKS_UNAVAILABLE');

        own.metadata = (iss, jwksUri) => json(200, { issuer: iss, jwks_uri: jwksUri });
        await expect(v.verify(token)).resolves.toMatchObject({ keyId: key.kid });
        expect(own.count(METADATA_PATH)).toBe(2);
      },
    );
  });
});

describe('JWKS caching', () => {
  it('fetches metadata and JWKS once for many verifications, concurrent or not', async () => {
    const own = await startTestIssuer([key]);
    try {
      const v = verifier({}, own);
      const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => signToken(key, claims({ iss: own.issuer, jti: `jti-${i}` }))));

      await Promise.all(tokens.map((token) => v.verify(token)));
      for (const token of tokens) await v.verify(token);

      expect(own.count(METADATA_PATH)).toBe(1);
      expect(own.count(JWKS_PATH)).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('refetches the JWKS for an unknown kid once the cooldown has passed (key rotation)', async () => {
    const own = await startTestIssuer([key]);
    try {
      vi.useFakeTimers({ toFake: ['Date'] });
      const v = verifier({}, own);
      await v.verify(await signToken(key, claims({ iss: own.issuer })));

      const next = await generateTestKey('k-2026-04');
      own.published = [key, next];
      const rotated = await signToken(next, claims({ iss: own.issuer }));
      // Right after a fetch, an unknown kid is not worth another request.
      await expectRejected(v.verify(rotated), 'UNKNOWN_KEY');
      expect(own.count(JWKS_PATH)).toBe(1);

      vi.setSystemTime(Date.now() + 30_001);
      await expect(v.verify(rotated)).resolves.toMatchObject({ keyId: 'k-2026-04' });
      await expect(v.verify(await signToken(key, claims({ iss: own.issuer })))).resolves.toMatchObject({ keyId: 'k-2026-03' });
      expect(own.count(JWKS_PATH)).toBe(2);
      expect(own.count(METADATA_PATH)).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('does not let a flood of made-up kids refetch the JWKS during the cooldown', async () => {
    const own = await startTestIssuer([key]);
    try {
      const v = verifier({}, own);
      await v.verify(await signToken(key, claims({ iss: own.issuer })));
      for (let i = 0; i < 20; i++) {
        await expectRejected(v.verify(await signToken(key, claims({ iss: own.issuer }), { kid: `made-up-${i}` })), 'UNKNOWN_KEY');
      }

      expect(own.count(JWKS_PATH)).toBe(1);
    } finally {
      await own.close();
    }
  });

  it('refetches the JWKS once cacheMaxAgeMs has passed, so a withdrawn key stops verifying', async () => {
    const own = await startTestIssuer([key]);
    try {
      vi.useFakeTimers({ toFake: ['Date'] });
      const v = verifier({ cacheMaxAgeMs: 60_000 }, own);
      const token = await signToken(key, claims({ iss: own.issuer }));
      await v.verify(token);

      own.published = [await generateTestKey('k-2026-05')];
      vi.setSystemTime(Date.now() + 60_001);

      await expectRejected(v.verify(token), 'UNKNOWN_KEY');
      expect(own.count(JWKS_PATH)).toBe(2);
    } finally {
      await own.close();
    }
  });
});

describe('options', () => {
  it.each([
    [{ issuer: 'gateway.example' }, /^issuer must be the issuer's http\(s\) URL/],
    [{ issuer: 'ftp://gateway.example' }, /^issuer must be/],
    [{ audience: '' }, /^audience must be your partner id/],
    [{ jwksUri: 'not a url' }, /^jwksUri must be an http\(s\) URL/],
    [{ clockToleranceSeconds: -1 }, /^clockToleranceSeconds must be a non-negative number, got -1$/],
    [{ cacheMaxAgeMs: Number.NaN }, /^cacheMaxAgeMs must be a non-negative number/],
  ])('throws a TypeError at creation for %j', (overrides, message) => {
    expect(() => createEntitlementVerifier({ issuer: 'https://gateway.example', audience: AUDIENCE, ...overrides })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });
});

describe('1,000 single-character mutations of a valid token', () => {
  it.each([
    ['without a status claim', false],
    ['with a status claim', true],
  ])('%s are all rejected with a reason, and cost at most one JWKS and one status list fetch', async (_case, withStatus) => {
    const own = await startTestIssuer([key]);
    own.now = () => ISSUED_AT;
    try {
      const v = verifier({}, own);
      const uri = own.addStatusList('sparkwash/1', 1024);
      const token = await signToken(key, claims({ iss: own.issuer, ...(withStatus ? { status: statusClaim(uri, 42) } : {}) }));
      expect((await v.verify(token)).status.state).toBe(withStatus ? 'VALID' : 'NO_STATUS');
      const random = mulberry32(0x5eed);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
      const reasons = new Map<string, number>();
      const accepted: string[] = [];

      for (let i = 0; i < 1000; i++) {
        const index = Math.floor(random() * token.length);
        let replacement = token[index];
        while (replacement === token[index]) replacement = alphabet[Math.floor(random() * alphabet.length)];
        const mutated = token.slice(0, index) + replacement + token.slice(index + 1);
        const outcome = await v.verify(mutated).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (!(outcome instanceof EntitlementVerificationError)) {
          accepted.push(`${index}:${replacement} -> ${outcome === undefined ? 'ACCEPTED' : String(outcome)}`);
          continue;
        }
        reasons.set(outcome.reason, (reasons.get(outcome.reason) ?? 0) + 1);
      }

      if (process.env.SHOW_MUTATIONS) console.log(Object.fromEntries(reasons));
      expect(accepted).toStrictEqual([]);
      expect([...reasons.values()].reduce((a, b) => a + b, 0)).toBe(1000);
      expect(reasons.get('BAD_SIGNATURE')).toBeGreaterThan(0);
      expect(reasons.get('MALFORMED')).toBeGreaterThan(0);
      expect(own.count(JWKS_PATH)).toBe(1);
      expect(own.count(new URL(uri).pathname)).toBe(withStatus ? 1 : 0);
    } finally {
      await own.close();
    }
  });
});

describe('300 random status claims, correctly signed', () => {
  it('are each accepted, revoked or refused with a reason, and never fetch off the issuer', async () => {
    const own = await startTestIssuer([key]);
    own.now = () => ISSUED_AT;
    try {
      const v = verifier({}, own);
      const uri = own.addStatusList('sparkwash/1', 64);
      own.addStatusList('sparkwash/2', 64, { bits: 2 });
      for (let i = 0; i < 64; i += 3) own.setStatus(uri, i, 1);
      const random = mulberry32(0x57a7);
      const pick = <T,>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
      const uris = [
        uri,
        `${own.issuer}/.well-known/status-lists/sparkwash/2`,
        `${own.issuer}/.well-known/status-lists/nobody/1`,
        `${own.issuer}${JWKS_PATH}`,
        `${attacker.url}/.well-known/status-lists/sparkwash/1`,
        own.issuer.replace('127.0.0.1', 'localhost'),
        own.issuer.replace('://', '://u:p@'),
        'file:///etc/passwd',
        '/.well-known/status-lists/sparkwash/1',
        '',
        42,
        null,
      ];
      const idxs = [0, 1, 3, 42, 63, 64, 65, 1e9, -1, 0.5, '1', null, 2 ** 53, Number.MAX_SAFE_INTEGER];
      // Half the claims are well formed, so the status lists get exercised too.
      const shapes = [
        () => ({ status_list: { idx: Math.floor(random() * 70), uri: pick(uris.slice(0, 3)) } }),
        () => ({ status_list: { idx: Math.floor(random() * 70), uri: pick(uris.slice(0, 3)) } }),
        () => ({ status_list: { idx: Math.floor(random() * 70), uri: pick(uris.slice(0, 3)) } }),
        () => ({ status_list: { idx: pick(idxs), uri: pick(uris) } }),
        () => ({ status_list: { idx: pick(idxs), uri: pick(uris) } }),
        () => ({ status_list: { idx: pick(idxs) } }),
        () => ({ status_list: { uri: pick(uris) } }),
        () => ({ status_list: [pick(idxs), pick(uris)] }),
        () => ({}),
        () => pick(['VALID', 0, null, [], true]),
      ];
      const before = attacker.requests.length;
      const outcomes = new Map<string, number>();

      for (let i = 0; i < 300; i++) {
        const status = pick(shapes)();
        const outcome = await v.verify(await signToken(key, claims({ iss: own.issuer, status }))).then(
          (grant) => grant.status.state,
          (error: unknown) => (error instanceof EntitlementVerificationError ? error.reason : `CRASH ${String(error)}`),
        );
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }

      if (process.env.SHOW_MUTATIONS) console.log(Object.fromEntries(outcomes));
      expect([...outcomes.keys()].filter((outcome) => !['VALID', 'REVOKED', 'MALFORMED', 'STATUS_UNAVAILABLE'].includes(outcome))).toStrictEqual([]);
      for (const outcome of ['VALID', 'REVOKED', 'MALFORMED', 'STATUS_UNAVAILABLE']) expect(outcomes.get(outcome)).toBeGreaterThan(0);
      expect(attacker.requests.length - before).toBe(0);
      expect(own.requests.filter((path) => ![METADATA_PATH, JWKS_PATH].includes(path) && !path.startsWith('/.well-known/status-lists/'))).toStrictEqual([]);
    } finally {
      await own.close();
    }
  });
});
