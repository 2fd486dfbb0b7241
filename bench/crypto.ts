// In-process loops over the token cryptography, each beside raw jose on the same key and
// claims: the signing service (EntitlementTokenSigner.sign, the code path TokenService.issue
// signs with) against `new SignJWT(...).sign(key)`, and the partner verifier kit
// (createEntitlementVerifier().verify, JWKS and status lists fetched once from the gateway and
// cached) against `jwtVerify(token, publicKey)`. Each pair runs in interleaved quarter-second
// slices; ops/s and this process's CPU per operation are pooled over them.
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT, type JWK } from 'jose';
import { createEntitlementVerifier } from '../partners/verifier-kit/index.js';
import { EntitlementTokenSigner } from '../src/modules/token/index.js';
import { ENTITLEMENT_TOKEN_TYPE, FileSigningKeyStore } from '../src/modules/keys/index.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';
import { signingKeyStoreOptions } from '../src/runtime/keys.js';

export interface LoopResult {
  ops: number;
  seconds: number;
  opsPerSecond: number;
  /** This process's CPU (user + system) per operation. */
  cpuMsPerOp: number;
}

export interface CryptoPair {
  /** Ours: the signing service, or the verifier kit. */
  ours: LoopResult;
  /** Raw jose on the same key and claims. */
  raw: LoopResult;
  /** ours ops/s ÷ raw ops/s. */
  ratio: number;
  /** Operations kept in flight at once in each loop. */
  inFlight: number;
}

export interface CryptoSettings {
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  inFlight: number;
  log: (line: string) => void;
}

/** Runs `op` for `seconds` with `inFlight` calls at a time. */
async function loop(op: (i: number) => Promise<unknown>, seconds: number, inFlight: number): Promise<LoopResult> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + seconds * 1000;
  let ops = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) await op(ops++);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { ops, seconds: elapsed, opsPerSecond: ops / elapsed, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / Math.max(1, ops) };
}

function pool(results: LoopResult[]): LoopResult {
  const ops = results.reduce((a, r) => a + r.ops, 0);
  const seconds = results.reduce((a, r) => a + r.seconds, 0);
  const cpuMs = results.reduce((a, r) => a + r.cpuMsPerOp * r.ops, 0);
  return { ops, seconds, opsPerSecond: ops / seconds, cpuMsPerOp: cpuMs / Math.max(1, ops) };
}

/** Each side runs this long before the other takes over. */
const SLICE_SECONDS = 0.25;

/**
 * Warm-up of both, then `rounds` × `seconds` of each in interleaved slices of a quarter second
 * (ours, raw, raw, ours, …): on a shared machine, load that comes and goes falls on both sides
 * alike. Pooled over the slices.
 */
async function pair(label: string, ours: (i: number) => Promise<unknown>, raw: (i: number) => Promise<unknown>, s: CryptoSettings): Promise<CryptoPair> {
  s.log(`warming up ${label}… ${s.warmupSeconds}s each`);
  await loop(ours, s.warmupSeconds, s.inFlight);
  await loop(raw, s.warmupSeconds, s.inFlight);
  const total = s.seconds * s.rounds;
  s.log(`measuring ${label}… ${total}s each, interleaved in ${SLICE_SECONDS}s slices`);
  const runs: { ours: LoopResult[]; raw: LoopResult[] } = { ours: [], raw: [] };
  const slices = Math.max(1, Math.round(total / SLICE_SECONDS));
  for (let slice = 0; slice < slices; slice++) {
    const order = slice % 2 === 0 ? (['ours', 'raw'] as const) : (['raw', 'ours'] as const);
    for (const which of order) runs[which].push(await loop(which === 'ours' ? ours : raw, SLICE_SECONDS, s.inFlight));
  }
  const o = pool(runs.ours);
  const r = pool(runs.raw);
  s.log(`  ours ${o.opsPerSecond.toFixed(0)} ops/s (CPU ${o.cpuMsPerOp.toFixed(3)} ms/op), raw jose ${r.opsPerSecond.toFixed(0)} ops/s (CPU ${r.cpuMsPerOp.toFixed(3)} ms/op)`);
  return { ours: o, raw: r, ratio: o.opsPerSecond / r.opsPerSecond, inFlight: s.inFlight };
}

/**
 * The signing service against raw jose: the same store key, and claims shaped like a real
 * token's (`sample`: one the gateway issued, for its status claim and sizes); each call gets a
 * fresh jti and iat, as the signer makes them.
 */
export async function measureSigning(env: NodeJS.ProcessEnv, sample: string, s: CryptoSettings): Promise<CryptoPair> {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const keyStore = await FileSigningKeyStore.open(config.signingKeysDir, signingKeyStoreOptions(config, createLogger('silent')));
  const signer = new EntitlementTokenSigner({ issuer: config.publicUrl, keyStore, ttlSeconds: config.tokenTtlSeconds });
  const claims = decodeJwt(sample) as { aud: string; sub: string; ben: string; status?: { status_list: { idx: number; uri: string } } };
  // Varied inputs (a hundred entitlements and subjects), as issuance sees them.
  const inputs = Array.from({ length: 100 }, () => ({
    partnerId: claims.aud,
    subject: randomBytes(32).toString('base64url'),
    entitlementId: randomUUID(),
    benefitCode: claims.ben,
    ...(claims.status ? { status: claims.status } : {}),
  }));
  const key = await keyStore.signingKey();
  const ttl = config.tokenTtlSeconds;
  return pair(
    'signing (EntitlementTokenSigner vs raw jose SignJWT)',
    (i) => signer.sign(inputs[i % inputs.length]!),
    (i) => {
      const input = inputs[i % inputs.length]!;
      const iat = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: config.publicUrl,
        aud: input.partnerId,
        sub: input.subject,
        jti: randomBytes(16).toString('base64url'),
        iat,
        exp: iat + ttl,
        ent: input.entitlementId,
        ben: input.benefitCode,
        ...(input.status ? { status: input.status } : {}),
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: ENTITLEMENT_TOKEN_TYPE })
        .sign(key.privateKey);
    },
    s,
  );
}

/**
 * The partner verifier kit against raw jose, over `tokens` (issued by the gateway to
 * `audience`, unexpired). The kit fetches the JWKS and the status lists from the gateway at
 * `gatewayUrl` (tokens name `issuer`, the PUBLIC_URL, which is rewritten to it) and caches them,
 * as a partner's process would; raw jose verifies with the same public key, imported once.
 */
export async function measureVerifying(issuer: string, audience: string, gatewayUrl: string, tokens: string[], s: CryptoSettings): Promise<CryptoPair> {
  const gateway = new URL(gatewayUrl).origin;
  const publicOrigin = new URL(issuer).origin;
  const rewrite: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    return fetch(url.startsWith(publicOrigin) ? gateway + url.slice(publicOrigin.length) : url, init);
  };
  const kit = createEntitlementVerifier({ issuer, audience, jwksUri: `${gateway}/.well-known/jwks.json`, fetch: rewrite });
  const jwks = (await (await fetch(`${gateway}/.well-known/jwks.json`)).json()) as { keys: Array<JWK & { kid: string }> };
  const kid = decodeProtectedHeader(tokens[0]!).kid;
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error(`the gateway's JWKS has no key ${kid}`);
  const publicKey = await importJWK(jwk, 'EdDSA');
  // Both must accept every token before they are timed.
  for (const token of tokens.slice(0, 5)) {
    await kit.verify(token);
    await jwtVerify(token, publicKey, { issuer, audience, algorithms: ['EdDSA'] });
  }
  return pair(
    'verifying (verifier kit vs raw jose jwtVerify)',
    (i) => kit.verify(tokens[i % tokens.length]!),
    (i) => jwtVerify(tokens[i % tokens.length]!, publicKey, { issuer, audience, algorithms: ['EdDSA'] }),
    s,
  );
}
