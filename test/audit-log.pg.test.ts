import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { hashApiKey } from '../src/modules/auth/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

const REDEEM = `mutation($token: String!, $key: String!, $units: Int) {
  redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id }
}`;
const ISSUE = `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const VOID = `mutation($id: ID!, $reason: String!) { voidRedemption(redemptionId: $id, reason: $reason) { id } }`;
const CREATE_KEY = `mutation($p: ID!) { createPartnerApiKey(partnerId: $p) { id key prefix } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokePartnerApiKey(id: $id) }`;
const REFUND = `mutation($id: ID!) { refundMembership(membershipId: $id) { status } }`;

interface AuditRow {
  seq: string;
  actor: string;
  action: string;
  subject: string;
  before: any;
  after: any;
  request_id: string | null;
}

let t: TestApp;
let orm: MikroORM;
let sparkwash: string;
let admin: string;
let adminId: string;

beforeAll(async () => {
  t = await startTestApp();
  orm = await connectOrm({ databaseUrl: t.db.url, entities: [], poolSize: 2 });
  sparkwash = await t.partnerKey('sparkwash');
  admin = await t.adminToken(`admin-${randomUUID()}`);
  adminId = (await t.graphql(`{ me { id } }`, {}, { bearer: admin })).data.me.id;
});
afterAll(async () => {
  await orm?.close();
  await t?.close();
});

async function issue(member: SubscribedMember, code = 'CAR_WASH'): Promise<string> {
  const res = await t.graphql(ISSUE, { id: member.entitlementIds[code] }, { bearer: member.bearer });
  expect(res.errors).toBeUndefined();
  return res.data.issueEntitlementToken.token;
}

async function rowsFor(requestId: string): Promise<AuditRow[]> {
  return t.db.query<AuditRow>('select seq, actor, action, subject, before, after, request_id from audit_log where request_id = $1 order by seq', [requestId]);
}

async function redeem(member: SubscribedMember, units = 1, requestId: string = randomUUID()) {
  const token = await issue(member);
  return t.graphql(REDEEM, { token, key: randomUUID(), units }, { bearer: sparkwash, headers: { 'x-request-id': requestId } });
}

describe('the audit log', () => {
  it('records a redemption with the partner, the request id and the units taken', async () => {
    const member = await t.subscribedMember();
    const requestId = `req-${randomUUID()}`;
    const res = await redeem(member, 2, requestId);
    expect(res.errors).toBeUndefined();
    const rows = await rowsFor(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor: 'partner:sparkwash',
      action: 'redemption.create',
      subject: res.data.redeemEntitlement.id,
      before: { entitlement: { id: member.entitlementIds.CAR_WASH, used: 0 } },
      after: { redemption: { id: res.data.redeemEntitlement.id, partnerId: 'sparkwash', units: 2 }, entitlement: { used: 2 } },
    });
  });

  it('records a void with the units given back', async () => {
    const member = await t.subscribedMember();
    const redeemed = await redeem(member, 3);
    const requestId = `req-${randomUUID()}`;
    const res = await t.graphql(VOID, { id: redeemed.data.redeemEntitlement.id, reason: 'wrong car' }, { bearer: sparkwash, headers: { 'x-request-id': requestId } });
    expect(res.errors).toBeUndefined();
    const rows = await rowsFor(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor: 'partner:sparkwash',
      action: 'redemption.void',
      subject: redeemed.data.redeemEntitlement.id,
      before: { redemption: { voided: false }, entitlement: { used: 3 } },
      after: { redemption: { voided: true, reason: 'wrong car' }, entitlement: { used: 0 } },
    });
  });

  it('records an admin creating and revoking a partner key, with its id and prefix but never the key', async () => {
    const createId = `req-${randomUUID()}`;
    const created = await t.graphql(CREATE_KEY, { p: 'brewbar' }, { bearer: admin, headers: { 'x-request-id': createId } });
    expect(created.errors).toBeUndefined();
    const { id, key, prefix } = created.data.createPartnerApiKey;
    const revokeId = `req-${randomUUID()}`;
    const revoked = await t.graphql(REVOKE_KEY, { id }, { bearer: admin, headers: { 'x-request-id': revokeId } });
    expect(revoked.data.revokePartnerApiKey).toBe(true);

    const [create] = await rowsFor(createId);
    expect(create).toMatchObject({ actor: `admin:${adminId}`, action: 'partner_api_key.create', subject: id, before: null, after: { id, partnerId: 'brewbar', prefix, revokedAt: null } });
    const [revoke] = await rowsFor(revokeId);
    expect(revoke).toMatchObject({ actor: `admin:${adminId}`, action: 'partner_api_key.revoke', subject: id, before: { id, prefix, revokedAt: null } });
    expect(revoke!.after.revokedAt).toEqual(expect.any(String));

    // A second revoke changes nothing and records nothing.
    const againId = `req-${randomUUID()}`;
    await t.graphql(REVOKE_KEY, { id }, { bearer: admin, headers: { 'x-request-id': againId } });
    expect(await rowsFor(againId)).toEqual([]);

    const leaks = await t.db.query(`select seq from audit_log where audit_log::text like '%' || $1 || '%' or audit_log::text like '%' || $2 || '%'`, [key, hashApiKey(key)]);
    expect(leaks).toEqual([]);
  });

  it('records a refund with the membership and payment before and after', async () => {
    const member = await t.subscribedMember();
    const requestId = `req-${randomUUID()}`;
    const res = await t.graphql(REFUND, { id: member.membershipId }, { bearer: admin, headers: { 'x-request-id': requestId } });
    expect(res.errors).toBeUndefined();
    const rows = await rowsFor(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor: `admin:${adminId}`,
      action: 'membership.refund',
      subject: member.membershipId,
      before: { membership: { status: 'ACTIVE' }, payment: { status: 'SUCCEEDED' } },
      after: { membership: { status: 'CANCELED' }, payment: { status: 'REFUNDED' } },
    });
  });

  it('writes no row for a redemption refused because the quota is exhausted', async () => {
    const member = await t.subscribedMember();
    const [first, second] = [await issue(member), await issue(member)];
    expect((await t.graphql(REDEEM, { token: first, key: randomUUID(), units: 4 }, { bearer: sparkwash })).errors).toBeUndefined();
    const requestId = `req-${randomUUID()}`;
    const res = await t.graphql(REDEEM, { token: second, key: randomUUID(), units: 1 }, { bearer: sparkwash, headers: { 'x-request-id': requestId } });
    expect(res.errors?.[0]?.extensions?.code).toBe('QUOTA_EXHAUSTED');
    expect(await rowsFor(requestId)).toEqual([]);
  });

  it('is refused UPDATE and DELETE by the database', async () => {
    await expect(t.db.query(`update audit_log set actor = 'someone else' where seq = 1`)).rejects.toThrow(/audit_log is append-only/);
    await expect(t.db.query('delete from audit_log where seq = 1')).rejects.toThrow(/audit_log is append-only/);
  });

  it('keeps an intact chain through 20 concurrent redemptions', async () => {
    const members = await Promise.all(Array.from({ length: 5 }, () => t.subscribedMember()));
    const tokens = await Promise.all(members.flatMap((m) => Array.from({ length: 4 }, () => issue(m))));
    const before = (await t.db.query<{ n: number }>('select count(*)::int as n from audit_log'))[0]!.n;
    const results = await Promise.all(tokens.map((token) => t.graphql(REDEEM, { token, key: randomUUID(), units: 1 }, { bearer: sparkwash })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    const report = await verifyAuditChain(orm.em.fork());
    expect(report).toEqual({ intact: true, entries: before + 20 });
    const seqs = await t.db.query<{ seq: string }>('select seq from audit_log order by seq');
    expect(seqs.map((r) => Number(r.seq))).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });

  // Last: it leaves the chain broken.
  it('detects a tampered row and reports its seq', async () => {
    const [victim] = await t.db.query<{ seq: string }>(`select seq from audit_log where action = 'redemption.create' order by seq limit 1`);
    await t.db.query('alter table audit_log disable trigger all');
    try {
      await t.db.query(`update audit_log set after = jsonb_set(after, '{redemption,units}', '1') where seq = $1`, [victim!.seq]);
    } finally {
      await t.db.query('alter table audit_log enable trigger all');
    }
    const report = await verifyAuditChain(orm.em.fork());
    expect(report).toMatchObject({ intact: false, brokenSeq: Number(victim!.seq), entries: Number(victim!.seq) - 1 });
  });
});
