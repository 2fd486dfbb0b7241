import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { FileSigningKeyStore, revokeSigningKey, rotateSigningKey } from '../src/modules/keys/index.js';
import { startTestApp, type TestApp } from './support/app.js';

const ISSUE = `mutation Issue($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const REDEEM = `mutation Redeem($token: String!, $key: String!) {
  redeemEntitlement(token: $token, idempotencyKey: $key) { id units }
}`;

// The app's clock: moved past the new key's activation. Real time drives only the store's re-reads.
let clock = new Date();
let t: TestApp;
let sparkwash: string;

beforeAll(async () => {
  t = await startTestApp({ now: () => clock });
  sparkwash = await t.partnerKey('sparkwash');
});
afterAll(async () => {
  await t?.close();
});

async function jwksKids(): Promise<string[]> {
  const response = await fetch(`${t.app.url}/.well-known/jwks.json`);
  return ((await response.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
}

describe('signing key rotation on a running server', () => {
  it('publishes a key rotated by another process, signs with it after the lead time and still redeems older tokens', async () => {
    const member = await t.subscribedMember();
    const issue = async () => {
      const res = await t.graphql(ISSUE, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer });
      expect(res.errors).toBeUndefined();
      return res.data.issueEntitlementToken.token as string;
    };
    const beforeRotation = await issue();
    const oldKid = decodeProtectedHeader(beforeRotation).kid!;

    // What `npm run -s keys -- rotate --lead 60` does, from a store of its own.
    const cli = await FileSigningKeyStore.open(t.keysDir, { now: () => clock });
    const operator = { actor: 'operator:ops', requestId: null };
    const next = await rotateSigningKey(t.app.orm.em.fork(), cli, { leadTimeSeconds: 60, tokenTtlSeconds: 600 }, operator);
    const [rotation] = await t.db.query<{ actor: string; before: any; after: any }>(
      `select actor, before, after from audit_log where action = 'signing_key.rotate' and subject = $1`,
      [next.kid],
    );
    expect(rotation!.actor).toBe('operator:ops');
    expect(rotation!.before.keys.map((k: { kid: string }) => k.kid)).toEqual([oldKid]);
    expect(rotation!.after.keys).toContainEqual(expect.objectContaining({ kid: next.kid, status: 'pending', revokedAt: null }));
    expect(JSON.stringify(rotation)).not.toMatch(/"d"|privateKey|PRIVATE/);

    await expect.poll(jwksKids, { timeout: 10_000, interval: 250 }).toEqual([oldKid, next.kid]);
    expect(decodeProtectedHeader(await issue()).kid).toBe(oldKid);

    clock = new Date(next.activatesAt.getTime() + 1000);
    const afterActivation = await issue();
    expect(decodeProtectedHeader(afterActivation).kid).toBe(next.kid);

    const redeemedOld = await t.graphql(REDEEM, { token: beforeRotation, key: 'before-rotation' }, { bearer: sparkwash });
    expect(redeemedOld.errors).toBeUndefined();
    expect(redeemedOld.data.redeemEntitlement.units).toBe(1);
    const redeemedNew = await t.graphql(REDEEM, { token: afterActivation, key: 'after-activation' }, { bearer: sparkwash });
    expect(redeemedNew.errors).toBeUndefined();
  });

  it('serves the JWKS with a bounded max-age and an ETag that revalidates to 304', async () => {
    const first = await fetch(`${t.app.url}/.well-known/jwks.json`);
    const etag = first.headers.get('etag');
    expect(first.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=60');
    expect(etag).toMatch(/^"[\w-]+"$/);

    const again = await fetch(`${t.app.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
  });

  it('records an emergency revocation in the audit log, naming the key that signs instead; a failed one records nothing', async () => {
    const cli = await FileSigningKeyStore.open(t.keysDir, { now: () => clock });
    const operator = { actor: 'operator:ops', requestId: null };
    const signing = (await cli.schedule()).find((k) => k.status === 'signing')!;
    const rowsBefore = await t.db.query(`select count(*)::int as n from audit_log`);
    await expect(revokeSigningKey(t.app.orm.em.fork(), cli, 'no-such-kid', {}, operator)).rejects.toThrow(/No signing key/);
    expect(await t.db.query(`select count(*)::int as n from audit_log`)).toEqual(rowsBefore);

    const { replacement } = await revokeSigningKey(t.app.orm.em.fork(), cli, signing.kid, { tokenTtlSeconds: 600 }, operator);
    const [row] = await t.db.query<{ before: any; after: any }>(
      `select before, after from audit_log where action = 'signing_key.revoke' and subject = $1`,
      [signing.kid],
    );
    expect(row!.after.replacement).toBe(replacement!.kid);
    expect(row!.before.keys).toContainEqual(expect.objectContaining({ kid: signing.kid, status: 'signing', revokedAt: null }));
    expect(row!.after.keys).toContainEqual(expect.objectContaining({ kid: signing.kid, status: 'revoked' }));
    expect(await verifyAuditChain(t.app.orm.em.fork())).toMatchObject({ intact: true });
  });
});
