// Member and admin JWTs from a real identity provider (a JWKS server on loopback), and
// the admin operations on partner API keys.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberDirectory } from '../src/modules/member/index.js';
import { MeDocument } from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';

const ISSUER = 'https://idp.example.test';
const ROLE_CLAIM = 'https://coalition.example/roles';
let idp: http.Server;
let signingKey: CryptoKey;
let t: TestApp;

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  signingKey = privateKey;
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' }] });
  idp = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  const { port } = idp.address() as AddressInfo;
  t = await startTestApp({
    env: {
      AUTH_ISSUER: ISSUER,
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
      AUTH_AUDIENCE: 'coalition-api',
      AUTH_ROLE_CLAIM: ROLE_CLAIM,
      AUTH_ADMIN_ROLE: 'program-admin',
      AUTH_SUPPORT_ROLE: 'cs-agent',
      AUTH_ANALYST_ROLE: 'bi-reader',
    },
  });
});
afterAll(async () => {
  await t?.close();
  await new Promise((resolve) => idp?.close(resolve));
});

function idpToken(subject: string, options: { roles?: string[]; audience?: string; expiresIn?: string } = {}): Promise<string> {
  return new SignJWT({ [ROLE_CLAIM]: options.roles ?? [] })
    .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
    .setIssuer(ISSUER)
    .setSubject(subject)
    .setAudience(options.audience ?? 'coalition-api')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(signingKey);
}

const CREATE_KEY = `mutation($p: ID!) { createPartnerApiKey(partnerId: $p) { id partnerId key prefix } }`;
const REDEEM = `mutation { redeemEntitlement(token: "x", idempotencyKey: "y") { id } }`;

describe("the identity provider's JWTs", () => {
  it('creates the member on first use, keyed by issuer and subject, and finds the same member again', async () => {
    const token = await idpToken('user-42');
    const first = await t.graphql(MeDocument, {}, { bearer: token });
    const again = await t.graphql(MeDocument, {}, { bearer: await idpToken('user-42') });
    expect(first.data.me.id).toBe(again.data.me.id);
    const rows = await t.db.query(`select issuer, subject from member where id = $1`, [first.data.me.id]);
    expect(rows).toEqual([{ issuer: ISSUER, subject: 'user-42' }]);
    // The same subject at the dev issuer is another person.
    const dev = await t.graphql(MeDocument, {}, { bearer: await t.memberToken('user-42') });
    expect(dev.data.me.id).not.toBe(first.data.me.id);
  });

  it('creates one member for a first sign-in sent 20 times at once, and writes nothing for later ones', async () => {
    const token = await idpToken('user-concurrent');
    const answers = await Promise.all(Array.from({ length: 20 }, () => t.graphql(MeDocument, {}, { bearer: token })));
    const ids = new Set(answers.map((a) => a.data.me.id));
    expect(ids.size).toBe(1);
    expect(await t.db.query(`select count(*)::int as n from member where subject = 'user-concurrent'`)).toEqual([{ n: 1 }]);
    // A known member is read, not upserted: its row version stays the same.
    const [before] = await t.db.query(`select xmin::text as v from member where subject = 'user-concurrent'`);
    const directory = new MemberDirectory(() => t.app.orm.em.fork(), { cacheTtlMs: 0 });
    expect(await directory.memberIdFor(ISSUER, 'user-concurrent')).toBe([...ids][0]);
    expect(await t.db.query(`select xmin::text as v from member where subject = 'user-concurrent'`)).toEqual([before]);
  });

  it('refuses a JWT for another audience and an expired one', async () => {
    const wrongAudience = await t.graphql(MeDocument, {}, { bearer: await idpToken('user-43', { audience: 'someone-else' }) });
    expect(wrongAudience.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const expired = await t.graphql(MeDocument, {}, { bearer: await idpToken('user-43', { expiresIn: '-2m' }) });
    expect(expired.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(expired.errors?.[0]?.message).toMatch(/expired/);
    const members = await t.db.query(`select 1 from member where subject = 'user-43'`);
    expect(members).toEqual([]);
  });
});

describe('admin operations on partner API keys', () => {
  it('lets an admin (role in the configured claim) create a key that works at once and revoke it', async () => {
    const admin = await idpToken('ops-1', { roles: ['program-admin'] });
    const created = await t.graphql(CREATE_KEY, { p: 'sparkwash' }, { bearer: admin });
    expect(created.errors).toBeUndefined();
    const { id, key, prefix, partnerId } = created.data.createPartnerApiKey;
    expect(partnerId).toBe('sparkwash');
    expect(key.startsWith(prefix)).toBe(true);
    const [stored] = await t.db.query(`select key_hash from partner_api_key where id = $1`, [id]);
    expect(stored.key_hash).not.toContain(key.slice(prefix.length));

    // Authenticated as the partner: the junk token is judged, not the caller.
    const asPartner = await t.graphql(REDEEM, {}, { bearer: key });
    expect(asPartner.errors?.[0]?.extensions?.code).toBe('TOKEN_INVALID');

    const revoked = await t.graphql(`mutation($id: ID!) { revokePartnerApiKey(id: $id) }`, { id }, { bearer: admin });
    expect(revoked.data.revokePartnerApiKey).toBe(true);
    const afterRevoke = await t.graphql(REDEEM, {}, { bearer: key });
    expect(afterRevoke.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('forbids members and partners from creating keys, and asks anonymous callers to authenticate', async () => {
    const before = await t.db.query(`select count(*)::int as n from partner_api_key`);
    const member = await t.graphql(CREATE_KEY, { p: 'sparkwash' }, { bearer: await idpToken('user-44') });
    expect(member.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const partner = await t.graphql(CREATE_KEY, { p: 'sparkwash' }, { bearer: await t.partnerKey('brewbar') });
    expect(partner.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.graphql(CREATE_KEY, { p: 'sparkwash' });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const after = await t.db.query(`select count(*)::int as n from partner_api_key`);
    expect(after[0].n).toBe(before[0].n + 1); // the brewbar key this test made, nothing else
  });

  it('answers NOT_FOUND for a key for an unknown partner', async () => {
    const admin = await idpToken('ops-1', { roles: ['program-admin'] });
    const res = await t.graphql(CREATE_KEY, { p: 'nobody' }, { bearer: admin });
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe("staff roles from the identity provider's claim", () => {
  const TIMELINE = `query($id: ID!) { membershipTimeline(membershipId: $id) { type } }`;
  const LIABILITY = `{ pointsLiability { outstanding } }`;

  it('gives a caller the roles whose configured values the claim holds, as an array or one string', async () => {
    const member = await t.subscribedMember();
    const support = await idpToken('cs-1', { roles: ['cs-agent'] });
    const timeline = await t.graphql(TIMELINE, { id: member.membershipId }, { bearer: support });
    expect(timeline.errors).toBeUndefined();
    expect(timeline.data.membershipTimeline.map((e: { type: string }) => e.type)).toContain('SUBSCRIBED');
    const refused = await t.graphql(LIABILITY, {}, { bearer: support });
    expect(refused.errors?.[0]).toMatchObject({ message: 'A support agent may not call pointsLiability', extensions: { code: 'FORBIDDEN' } });

    // The claim as one string of names: support and analyst together.
    const both = new SignJWT({ [ROLE_CLAIM]: 'cs-agent bi-reader' })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
      .setIssuer(ISSUER)
      .setSubject('cs-2')
      .setAudience('coalition-api')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signingKey);
    const token = await both;
    expect((await t.graphql(TIMELINE, { id: member.membershipId }, { bearer: token })).errors).toBeUndefined();
    expect((await t.graphql(LIABILITY, {}, { bearer: token })).errors).toBeUndefined();
  });

  it('ignores the default role names once others are configured, and values it does not know', async () => {
    // `support` and `analyst` are the defaults, replaced here by cs-agent and bi-reader.
    const token = await idpToken('cs-3', { roles: ['support', 'analyst', 'superuser'] });
    const refused = await t.graphql(LIABILITY, {}, { bearer: token });
    expect(refused.errors?.[0]).toMatchObject({ message: 'A member may not call pointsLiability', extensions: { code: 'FORBIDDEN' } });
    // A product manager keeps the default value `pm`, which this deployment did not change.
    const pm = await idpToken('pm-1', { roles: ['pm'] });
    expect((await t.graphql(`{ segments { code } }`, {}, { bearer: pm })).errors).toBeUndefined();
  });
});
