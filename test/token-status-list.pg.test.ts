// Revocation at scale (IETF Token Status List): every token names a random entry of its
// partner's signed, compressed list; cancelling a right flips its live tokens' entries.
// Read from the partner's side: HTTP, jose and zlib only, never the issuing code.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEntitlementVerifier, EntitlementVerificationError } from '../partners/verifier-kit/index.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

const ISSUER = 'http://issuer.test';

interface StatusReference {
  idx: number;
  uri: string;
}

function statusOf(token: string): StatusReference {
  const claims = decodeJwt(token) as { status?: { status_list?: StatusReference } };
  expect(claims.status?.status_list).toEqual({ idx: expect.any(Number), uri: expect.any(String) });
  return claims.status!.status_list!;
}

/** The list at `uri`, fetched from the bound port and verified as a partner would. */
async function fetchList(t: TestApp, uri: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.app.url}${new URL(uri).pathname}`, { headers });
  if (response.status !== 200) return { response, bits: undefined as never, claims: undefined as never };
  const jwks = createRemoteJWKSet(new URL(`${t.app.url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(await response.text(), jwks, {
    issuer: ISSUER,
    subject: uri,
    typ: 'statuslist+jwt',
    algorithms: ['EdDSA'],
  });
  expect(protectedHeader.typ).toBe('statuslist+jwt');
  const list = payload.status_list as { bits: number; lst: string; aggregation_uri?: string };
  expect(list.bits).toBe(1);
  const bits = inflateSync(Buffer.from(list.lst, 'base64url'));
  return { response, bits, claims: payload };
}

function entry(bits: Buffer, idx: number): number {
  return (bits[idx >> 3]! >> (idx & 7)) & 1;
}

async function issue(t: TestApp, member: SubscribedMember, code: string): Promise<string> {
  const issued = await t.graphql(
    `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`,
    { id: member.entitlementIds[code] },
    { bearer: member.bearer },
  );
  expect(issued.errors).toBeUndefined();
  return issued.data.issueEntitlementToken.token;
}

/** The server checks a list for flips at most once a second: wait that out. */
function pastRevisionCheck(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1100));
}

async function entryOf(t: TestApp, token: string): Promise<number> {
  const status = statusOf(token);
  const { bits } = await fetchList(t, status.uri);
  return entry(bits, status.idx);
}

describe('token status lists (default capacity)', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken('ops');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('gives every token a random, distinct entry of its partner list', async () => {
    const members = await Promise.all(Array.from({ length: 6 }, () => t.subscribedMember()));
    const tokens: string[] = [];
    for (const member of members) for (let i = 0; i < 10; i++) tokens.push(await issue(t, member, 'CAR_WASH'));
    const refs = tokens.map(statusOf);
    expect(new Set(refs.map((r) => r.uri))).toEqual(new Set([`${ISSUER}/.well-known/status-lists/sparkwash/1`]));
    const indices = refs.map((r) => r.idx);
    expect(new Set(indices).size).toBe(60);
    for (const idx of indices) expect(idx >= 0 && idx < 1 << 20 && Number.isInteger(idx)).toBe(true);
    // Random, not handed out in order: issuance order says nothing about the entries.
    const ascending = indices.slice(1).filter((idx, i) => idx > indices[i]!).length;
    expect(ascending).toBeGreaterThan(10);
    expect(ascending).toBeLessThan(50);
    expect(Math.max(...indices) - Math.min(...indices)).toBeGreaterThan(1 << 18);
    const rows = await t.db.query<{ n: string }>(`select count(*)::text as n from issued_token where partner_id = 'sparkwash' and status_list_ordinal = 1`);
    expect(rows[0]!.n).toBe('60');
  });

  it('serves each list as a signed statuslist+jwt with its ttl, cache headers and ETag', async () => {
    const member = await t.subscribedMember();
    const token = await issue(t, member, 'CAR_WASH');
    const status = statusOf(token);
    const { response, bits, claims } = await fetchList(t, status.uri);
    expect(response.headers.get('content-type')).toBe('application/statuslist+jwt');
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=([1-5]?[0-9]|60)$/);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(claims).toMatchObject({ iss: ISSUER, sub: status.uri, ttl: 60 });
    expect(claims.exp! - claims.iat!).toBeGreaterThanOrEqual(3600);
    expect((claims.status_list as { aggregation_uri: string }).aggregation_uri).toBe(`${ISSUER}/.well-known/status-lists/sparkwash`);
    expect(bits.length).toBe((1 << 20) / 8);
    expect(entry(bits, status.idx)).toBe(0);

    const etag = response.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    const again = await fetch(`${t.app.url}${new URL(status.uri).pathname}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);

    // gzip for clients that take it (the JWT is base64url inside base64url), the same list either way.
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      http.get(`${t.app.url}${new URL(status.uri).pathname}`, { headers: { 'accept-encoding': 'br;q=1, gzip;q=0.5' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(raw.encoding).toBe('gzip');
    const identity = await new Promise<{ encoding: string | undefined; body: string }>((resolve, reject) => {
      http.get(`${t.app.url}${new URL(status.uri).pathname}`, { headers: { 'accept-encoding': 'gzip;q=0' } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body }));
      }).on('error', reject);
    });
    expect(identity.encoding).toBeUndefined();
    expect(gunzipSync(raw.body).toString()).toBe(identity.body);
    expect(raw.body.length).toBeLessThan(identity.body.length);
  });

  it('flips the entries of every live token of a refunded membership at once, and no others', async () => {
    const refunded = await t.subscribedMember();
    const bystander = await t.subscribedMember();
    const wash = [await issue(t, refunded, 'CAR_WASH'), await issue(t, refunded, 'CAR_WASH')];
    const coffee = await issue(t, refunded, 'COFFEE');
    const other = await issue(t, bystander, 'CAR_WASH');
    const before = await fetchList(t, statusOf(other).uri);
    for (const token of [...wash, coffee, other]) expect(await entryOf(t, token)).toBe(0);

    const refund = await t.graphql(
      `mutation($id: ID!) { refundMembership(membershipId: $id) { status } }`,
      { id: refunded.membershipId },
      { bearer: admin },
    );
    expect(refund.errors).toBeUndefined();

    // Served within a second (the list's count of revoked entries moved), not after the cached copy's ttl.
    const started = Date.now();
    await expect
      .poll(
        async () =>
          (await fetch(`${t.app.url}${new URL(statusOf(other).uri).pathname}`, { headers: { 'if-none-match': before.response.headers.get('etag')! } }))
            .status,
        { timeout: 3000, interval: 100 },
      )
      .toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const token of [...wash, coffee]) await expect.poll(() => entryOf(t, token), { timeout: 3000, interval: 100 }).toBe(1);
    expect(await entryOf(t, other)).toBe(0);
    const brewbarList = await fetchList(t, statusOf(coffee).uri);
    expect(statusOf(coffee).uri).toBe(`${ISSUER}/.well-known/status-lists/brewbar/1`);
    expect(brewbarList.bits.length).toBe((1 << 20) / 8);
  });

  it('revokes one right for fraud: its tokens flip, its partner is told, the audit log records who and why', async () => {
    const member = await t.subscribedMember();
    const suspect = await issue(t, member, 'CAR_WASH');
    const untouched = await issue(t, member, 'COFFEE');
    const entitlementId = member.entitlementIds.CAR_WASH!;
    const revoke = `mutation($id: ID!, $reason: String!) { revokeEntitlement(entitlementId: $id, reason: $reason) { id status remaining } }`;

    const asMember = await t.graphql(revoke, { id: entitlementId, reason: 'x' }, { bearer: member.bearer });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const noReason = await t.graphql(revoke, { id: entitlementId, reason: '  ' }, { bearer: admin });
    expect(noReason.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await t.graphql(revoke, { id: randomUUID(), reason: 'card fraud' }, { bearer: admin });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await entryOf(t, suspect)).toBe(0);

    const revoked = await t.graphql(revoke, { id: entitlementId, reason: 'card fraud ticket 4711' }, { bearer: admin });
    expect(revoked.errors).toBeUndefined();
    expect(revoked.data.revokeEntitlement).toMatchObject({ id: entitlementId, status: 'REVOKED' });
    await expect.poll(() => entryOf(t, suspect), { timeout: 3000, interval: 100 }).toBe(1);
    expect(await entryOf(t, untouched)).toBe(0);

    const repeat = await t.graphql(revoke, { id: entitlementId, reason: 'again' }, { bearer: admin });
    expect(repeat.data.revokeEntitlement.status).toBe('REVOKED');
    const audit = await t.db.query<{ actor: string; after: { reason: string } }>(
      `select actor, after from audit_log where action = 'entitlement.revoke' and subject = $1`,
      [entitlementId],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.after.reason).toBe('card fraud ticket 4711');
    expect(audit[0]!.actor).toMatch(/^admin:/);
    const events = await t.db.query(`select 1 from outbox_event where entitlement_id = $1 and type = 'right.revoke' and partner_id = 'sparkwash'`, [
      entitlementId,
    ]);
    expect(events).toHaveLength(1);

    const partner = await t.partnerKey('sparkwash');
    const redeem = await t.graphql(
      `mutation($token: String!) { redeemEntitlement(token: $token, idempotencyKey: "fraud-1") { id } }`,
      { token: suspect },
      { bearer: partner },
    );
    expect(redeem.errors?.[0]?.extensions?.code).toBe('ENTITLEMENT_INACTIVE');
    const fresh = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: entitlementId }, { bearer: member.bearer });
    expect(fresh.errors?.[0]?.extensions?.code).toBe('ENTITLEMENT_INACTIVE');
  });

  it("lets the partner's verifier kit see a revocation offline once its cached list's ttl has passed", async () => {
    const member = await t.subscribedMember();
    const token = await issue(t, member, 'CAR_WASH');
    let now = Date.now();
    // The issuer's name does not resolve here: requests go to the bound port instead.
    const requests: string[] = [];
    const toApp: typeof fetch = (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      requests.push(url.pathname);
      return fetch(`${t.app.url}${url.pathname}`, init);
    };
    const verifier = createEntitlementVerifier({ issuer: ISSUER, audience: 'sparkwash', fetch: toApp, now: () => new Date(now) });
    const first = await verifier.verify(token);
    expect(first.status).toMatchObject({ state: 'VALID', uri: statusOf(token).uri, idx: statusOf(token).idx });

    const revoke = await t.graphql(
      `mutation($id: ID!) { revokeEntitlement(entitlementId: $id, reason: "chargeback") { status } }`,
      { id: member.entitlementIds.CAR_WASH },
      { bearer: admin },
    );
    expect(revoke.errors).toBeUndefined();
    // Within the ttl the kit answers from its cached list, without asking us...
    const listFetches = () => requests.filter((p) => p.startsWith('/.well-known/status-lists/')).length;
    const fetchesBefore = listFetches();
    expect((await verifier.verify(token)).status).toMatchObject({ state: 'VALID' });
    expect(listFetches()).toBe(fetchesBefore);
    // ...and once the ttl (60 s) is over it fetches the list again and sees the flip.
    await pastRevisionCheck();
    now += 61_000;
    const refused = await verifier.verify(token).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EntitlementVerificationError);
    expect((refused as EntitlementVerificationError).reason).toBe('REVOKED');
    expect(listFetches()).toBe(fetchesBefore + 1);
  });

  it("flips a cancelled membership's live tokens when its paid year ends, not before", async () => {
    const member = await t.subscribedMember();
    const token = await issue(t, member, 'CAR_WASH');
    const cancel = await t.graphql(
      `mutation($id: ID!) { cancelMembership(membershipId: $id) { cancelAtPeriodEnd currentPeriodEnd } }`,
      { id: member.membershipId },
      { bearer: member.bearer },
    );
    expect(cancel.data.cancelMembership.cancelAtPeriodEnd).toBe(true);
    // Cancelling keeps the rights (and their tokens) until the end of the paid year...
    expect(await entryOf(t, token)).toBe(0);
    // ...when the membership's due work at the period's end ends it and its rights.
    const end = new Date(cancel.data.cancelMembership.currentPeriodEnd);
    const sweep = (now: Date) => t.app.deps.dueWork!.runDue(null, now);
    await sweep(new Date(end.getTime() - 60_000));
    await pastRevisionCheck();
    expect(await entryOf(t, token)).toBe(0);
    await sweep(new Date(end.getTime() + 1000));
    await expect.poll(() => entryOf(t, token), { timeout: 3000, interval: 100 }).toBe(1);
  });

  it('never leaves a token issued during a revocation VALID: issuance and revocation are ordered', async () => {
    const revoke = `mutation($id: ID!) { revokeEntitlement(entitlementId: $id, reason: "race") { status } }`;
    const outcomes: string[] = [];
    for (let trial = 0; trial < 15; trial++) {
      const member = await t.subscribedMember();
      const id = member.entitlementIds.CAR_WASH!;
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () =>
          t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id }, { bearer: member.bearer }),
        ),
        t.graphql(revoke, { id }, { bearer: admin }),
      ]);
      for (const result of results.slice(0, 4)) outcomes.push(String(result.errors?.[0]?.extensions?.code ?? 'ISSUED'));
      const valid = await t.db.query(`select jti from issued_token where entitlement_id = $1 and status = 0`, [id]);
      expect(valid, `trial ${trial}`).toEqual([]);
    }
    expect(outcomes).toContain('ISSUED');
    expect(new Set(outcomes)).toEqual(new Set(outcomes.filter((o) => o === 'ISSUED' || o === 'ENTITLEMENT_INACTIVE')));
  });

  it('keeps refusing a token invalidated by a suspension after the suspension is lifted (TOKEN_REVOKED)', async () => {
    const member = await t.subscribedMember();
    const entitlementId = member.entitlementIds.CAR_WASH!;
    const old = await issue(t, member, 'CAR_WASH');
    await t.db.query(`update entitlement set status = 'SUSPENDED' where id = $1`, [entitlementId]);
    await expect.poll(() => entryOf(t, old), { timeout: 3000, interval: 100 }).toBe(1);
    await t.db.query(`update entitlement set status = 'ACTIVE' where id = $1`, [entitlementId]);
    await expect.poll(() => entryOf(t, old), { timeout: 3000, interval: 100 }).toBe(1);

    const partner = await t.partnerKey('sparkwash');
    const redeem = `mutation($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key) { entitlement { remaining } } }`;
    const refused = await t.graphql(redeem, { token: old, key: randomUUID() }, { bearer: partner });
    expect(refused.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED');
    const check = await t.graphql(`query($token: String!) { checkEntitlementToken(token: $token) { valid } }`, { token: old }, { bearer: partner });
    expect(check.errors?.[0]?.extensions?.code).toBe('TOKEN_REVOKED');
    const accepted = await t.graphql(redeem, { token: await issue(t, member, 'CAR_WASH'), key: randomUUID() }, { bearer: partner });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.redeemEntitlement.entitlement.remaining).toBe(3);
  });

  it('lists every list and each partner list, and answers 404 for what does not exist', async () => {
    const member = await t.subscribedMember();
    await issue(t, member, 'COFFEE');
    const index = await (await fetch(`${t.app.url}/.well-known/status-lists`)).json();
    expect(index.status_lists).toEqual(
      expect.arrayContaining([`${ISSUER}/.well-known/status-lists/sparkwash/1`, `${ISSUER}/.well-known/status-lists/brewbar/1`]),
    );
    const sparkwash = await (await fetch(`${t.app.url}/.well-known/status-lists/sparkwash`)).json();
    expect(sparkwash).toEqual({ status_lists: [`${ISSUER}/.well-known/status-lists/sparkwash/1`] });
    for (const path of ['sparkwash/2', 'sparkwash/0', 'nobody', 'nobody/1', 'sparkwash/1/x', 'Sparkwash/1', 'sparkwash/01']) {
      expect((await fetch(`${t.app.url}/.well-known/status-lists/${path}`)).status, path).toBe(404);
    }
    const post = await fetch(`${t.app.url}/.well-known/status-lists/sparkwash/1`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('token status lists that fill up', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { STATUS_LIST_CAPACITY: '16' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('seals a list about half full and opens the next; no entry is ever given twice, even concurrently', async () => {
    const members = await Promise.all(Array.from({ length: 4 }, () => t.subscribedMember()));
    const tokens = await Promise.all(Array.from({ length: 60 }, (_, i) => issue(t, members[i % 4]!, 'CAR_WASH')));
    const refs = tokens.map(statusOf);
    expect(new Set(refs.map((r) => `${r.uri}#${r.idx}`)).size).toBe(60);
    const rows = await t.db.query<{ ordinal: number; state: string; used: number }>(
      `select s.ordinal, s.state, count(i.jti)::int as used from status_list s
       left join issued_token i on i.partner_id = s.partner_id and i.status_list_ordinal = s.ordinal
       where s.partner_id = 'sparkwash' group by s.ordinal, s.state order by s.ordinal`,
    );
    // 60 tokens in lists of 16 entries: at least 4 lists, one open, each sealed only once it kept refusing draws.
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows.filter((r) => r.state === 'OPEN')).toHaveLength(1);
    expect(rows.at(-1)!.state).toBe('OPEN');
    for (const row of rows) expect(row.used).toBeLessThanOrEqual(16);
    for (const row of rows.filter((r) => r.state === 'SEALED')) expect(row.used).toBeGreaterThanOrEqual(4);
    expect(rows.reduce((sum, r) => sum + r.used, 0)).toBe(60);

    const aggregation = await (await fetch(`${t.app.url}/.well-known/status-lists/sparkwash`)).json();
    expect(aggregation.status_lists).toEqual(rows.map((r) => `${ISSUER}/.well-known/status-lists/sparkwash/${r.ordinal}`).reverse());
    for (const ref of refs.slice(0, 5)) {
      const { bits } = await fetchList(t, ref.uri);
      expect(bits.length).toBe(2);
      expect(entry(bits, ref.idx)).toBe(0);
    }
  });
});
