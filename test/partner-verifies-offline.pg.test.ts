// A partner's view: verify a member's token with nothing but our JWKS URL. This file
// imports only jose and the test harness, never the issuing code.
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function tokenFor(benefitCode: string): Promise<{ token: string; entitlementId: string; expiresAt: string; bearer: string }> {
  const bearer = await t.memberToken(`member-${randomUUID()}`);
  await t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "k") { id } }`, {}, { bearer });
  const me = await t.graphql(`{ me { entitlements { id benefit { code } } } }`, {}, { bearer });
  const entitlementId = me.data.me.entitlements.find((e: any) => e.benefit.code === benefitCode).id;
  const issued = await t.graphql(
    `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token expiresAt } }`,
    { id: entitlementId },
    { bearer },
  );
  return { ...issued.data.issueEntitlementToken, entitlementId, bearer };
}

describe('a partner verifying a token offline', () => {
  it('finds the JWKS through the issuer metadata and verifies the token with jose alone', async () => {
    const metadata = await (await fetch(`${t.app.url}/.well-known/entitlement-issuer`)).json();
    expect(metadata).toMatchObject({
      issuer: 'http://issuer.test',
      jwks_uri: 'http://issuer.test/.well-known/jwks.json',
      signing_alg_values_supported: ['EdDSA'],
    });
    expect(typeof metadata.status_list_uri).toBe('string');

    const { token, entitlementId, expiresAt } = await tokenFor('CAR_WASH');
    // The test issuer name is not resolvable here, so fetch the same path from the bound port.
    const jwks = createRemoteJWKSet(new URL(`${t.app.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: 'http://issuer.test',
      audience: 'sparkwash',
      typ: 'entitlement+jwt',
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'entitlement+jwt' });
    expect(protectedHeader.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({ iss: 'http://issuer.test', aud: 'sparkwash', ent: entitlementId, ben: 'CAR_WASH' });
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(new Date(payload.exp! * 1000).toISOString()).toBe(expiresAt);
    expect(payload.jti).toEqual(expect.any(String));
    expect(payload.sub).toEqual(expect.any(String));
  });

  it('publishes only public key material, with kid, alg and use', async () => {
    const response = await fetch(`${t.app.url}/.well-known/jwks.json`);
    expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const { keys } = await response.json();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(key.kid).toEqual(expect.any(String));
      expect(key).not.toHaveProperty('d');
    }
  });

  it('rejects the token for any other audience', async () => {
    const { token } = await tokenFor('CAR_WASH');
    const jwks = createRemoteJWKSet(new URL(`${t.app.url}/.well-known/jwks.json`));
    await expect(jwtVerify(token, jwks, { issuer: 'http://issuer.test', audience: 'brewbar' })).rejects.toThrow(/aud/);
  });

  it('gives each partner its own stable pseudonym of the member, never the member id', async () => {
    const first = await tokenFor('CAR_WASH');
    const me = await t.graphql(`{ me { id entitlements { id benefit { code } } } }`, {}, { bearer: first.bearer });
    const issue = async (code: string) => {
      const id = me.data.me.entitlements.find((e: any) => e.benefit.code === code).id;
      const res = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id }, { bearer: first.bearer });
      return JSON.parse(Buffer.from(res.data.issueEntitlementToken.token.split('.')[1], 'base64url').toString());
    };
    const wash1 = JSON.parse(Buffer.from(first.token.split('.')[1]!, 'base64url').toString());
    const wash2 = await issue('CAR_WASH');
    const coffee = await issue('COFFEE');
    expect(wash2.sub).toBe(wash1.sub);
    expect(coffee.sub).not.toBe(wash1.sub);
    expect(wash1.sub).not.toContain(me.data.me.id);
    expect(wash2.jti).not.toBe(wash1.jti);
    expect(decodeProtectedHeader(first.token).kid).toBeDefined();
  });
});
