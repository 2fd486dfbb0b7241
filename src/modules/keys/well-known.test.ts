import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSigningKeyStore } from './signing-key-store.js';
import { issuerMetadata, jwksCacheControl, jwksDocument } from './well-known.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'well-known-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('well-known documents', () => {
  it('serves the JWKS as the store\'s public keys only', async () => {
    const store = await FileSigningKeyStore.open(dir);
    const { kid } = await store.signingKey();
    const doc = await jwksDocument(store);

    expect(doc.keys.map((k) => k.kid)).toEqual([kid]);
    expect(JSON.stringify(doc)).not.toContain('"d"');
  });

  it('describes the issuer with its JWKS, algorithm, status list and redemption locations', () => {
    expect(issuerMetadata('https://gateway.example', { tokenTtlSeconds: 600 })).toStrictEqual({
      issuer: 'https://gateway.example',
      jwks_uri: 'https://gateway.example/.well-known/jwks.json',
      token_type: 'entitlement+jwt',
      signing_alg_values_supported: ['EdDSA'],
      status_list_uri: 'https://gateway.example/.well-known/status-lists',
      redemption_endpoint: 'https://gateway.example/graphql',
      token_ttl_seconds: 600,
    });
  });

  it('keeps the issuer as given but derives URLs without a double slash', () => {
    const metadata = issuerMetadata('http://localhost:4000/');

    expect(metadata.issuer).toBe('http://localhost:4000/');
    expect(metadata.jwks_uri).toBe('http://localhost:4000/.well-known/jwks.json');
    expect(metadata).not.toHaveProperty('token_ttl_seconds');
  });

  it('lets partners cache the JWKS five minutes when the rotation lead time is long', () => {
    expect(jwksCacheControl(86_400)).toBe('public, max-age=300, stale-while-revalidate=60');
  });

  it('keeps a cached JWKS younger than half a short rotation lead time, so new keys arrive before they sign', () => {
    expect(jwksCacheControl(600)).toBe('public, max-age=150, stale-while-revalidate=60');
    expect(jwksCacheControl(120)).toBe('public, max-age=30, stale-while-revalidate=30');
    expect(jwksCacheControl(0)).toBe('public, max-age=0, must-revalidate');
  });
});
