import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  AuditKeyring,
  AuditLog,
  auditHash,
  auditHmac,
  auditKeyId,
  configureAuditLog,
  GENESIS_HASH,
  SYSTEM_AUDIT,
  verifyAuditChain,
  type AuditKey,
} from '../src/modules/audit/index.js';
import { hashApiKey } from '../src/modules/auth/index.js';
import { connectOrm, migrateUp } from '../src/platform/db/orm.js';
import { StaffRole } from '../src/platform/principal.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';
import { TEST_AUDIT_HMAC_KEY } from './support/audit-key.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

const REDEEM = `mutation($token: String!, $key: String!, $units: Int) {
  redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id }
}`;
const ISSUE = `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const VOID = `mutation($id: ID!, $reason: String!) { voidRedemption(redemptionId: $id, reason: $reason) { id } }`;
const CREATE_KEY = `mutation($p: ID!) { createPartnerApiKey(partnerId: $p) { id key prefix } }`;
const REVOKE_KEY = `mutation($id: ID!) { revokePartnerApiKey(id: $id) }`;
const REFUND = `mutation($id: ID!) { refundMembership(membershipId: $id, policy: FULL) { status } }`;

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
      before: { membership: { status: 'ACTIVE' }, payments: [{ kind: 'INITIAL', status: 'SUCCEEDED', amount: 19_800, refunded: 0 }], refund: { policy: 'FULL', amount: { amount: 19_800 } } },
      after: { membership: { status: 'CANCELED' }, payments: [{ kind: 'INITIAL', status: 'REFUNDED', amount: 19_800, refunded: 19_800 }] },
    });
  });

  it('names support by its role, and a caller with several staff roles by all of them, admin above the rest', async () => {
    const asStaff = async (...roles: StaffRole[]) => {
      const bearer = await t.staffToken(`staff-${randomUUID()}`, ...roles);
      return { bearer, id: (await t.graphql(`{ me { id } }`, {}, { bearer })).data.me.id as string };
    };
    const [support, supportAndFinance, adminAndSupport] = await Promise.all([
      asStaff(StaffRole.SUPPORT),
      asStaff(StaffRole.FINANCE, StaffRole.SUPPORT),
      asStaff(StaffRole.SUPPORT, StaffRole.ADMIN),
    ]);
    for (const [caller, actor] of [
      [support, `support:${support.id}`],
      [supportAndFinance, `support+finance:${supportAndFinance.id}`],
      [adminAndSupport, `admin:${adminAndSupport.id}`],
    ] as const) {
      const member = await t.subscribedMember();
      const requestId = `req-${randomUUID()}`;
      const res = await t.graphql(REFUND, { id: member.membershipId }, { bearer: caller.bearer, headers: { 'x-request-id': requestId } });
      expect(res.errors).toBeUndefined();
      expect(await rowsFor(requestId)).toMatchObject([{ actor, action: 'membership.refund', subject: member.membershipId }]);
    }
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

  it('keeps every chain intact and gapless through 20 concurrent redemptions', async () => {
    const members = await Promise.all(Array.from({ length: 5 }, () => t.subscribedMember()));
    const tokens = await Promise.all(members.flatMap((m) => Array.from({ length: 4 }, () => issue(m))));
    const before = (await t.db.query<{ n: number }>('select count(*)::int as n from audit_log'))[0]!.n;
    const results = await Promise.all(tokens.map((token) => t.graphql(REDEEM, { token, key: randomUUID(), units: 1 }, { bearer: sparkwash })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    const report = await verifyAuditChain(orm.em.fork());
    expect(report).toMatchObject({ intact: true, entries: before + 20, breaks: [] });
    expect(await chainGaps(t.db)).toEqual([]);
    // Every row of the app is keyed, under the test key.
    expect(await t.db.query(`select distinct key_id from audit_log`)).toEqual([{ key_id: auditKeyId(Buffer.from(TEST_AUDIT_HMAC_KEY)) }]);
  });
});

// --- Tampering, locking and legacy rows, each on a database of its own (so a broken chain
// stays in its test). Rows are appended by AuditLog.append under the key the app configured.

interface StoredRow {
  id: string;
  chain: number;
  seq: string;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  request_id: string | null;
  prev_hash: string;
  key_id: string | null;
  hash: string;
}

interface Scratch {
  db: TestDatabase;
  orm: MikroORM;
  close(): Promise<void>;
}

async function scratchDatabase(poolSize = 4): Promise<Scratch> {
  const db = await createTestDatabase();
  const scratchOrm = await connectOrm({ databaseUrl: db.url, entities: [], poolSize });
  return {
    db,
    orm: scratchOrm,
    close: async () => {
      await scratchOrm.close();
      await db.drop();
    },
  };
}

/** Appends `count` rows (each its own transaction) to `chain`, or to each transaction's own chain. */
async function appendRows(on: MikroORM, count: number, chain?: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await on.em.fork().transactional((tx) =>
      AuditLog.append(tx, SYSTEM_AUDIT, { action: 'test.write', subject: `row-${i}`, after: { i, units: 2 } }, chain === undefined ? {} : { chain }),
    );
  }
}

/** A superuser session that bypasses the append-only trigger (what an attacker with database access has). */
async function asSuperuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('set session_replication_role = replica');
    return await work(client);
  } finally {
    await client.end();
  }
}

const fieldsOf = (row: StoredRow) => ({
  seq: Number(row.seq),
  at: row.at,
  actor: row.actor,
  action: row.action,
  subject: row.subject,
  before: row.before,
  after: row.after,
  requestId: row.request_id,
  prevHash: row.prev_hash,
});

/** What anyone can compute: the plain SHA-256 of the legacy format. */
const plainSha256 = (row: StoredRow) => auditHash(fieldsOf(row));

/** An HMAC under `key`, the row keeping the key id it names. */
const hmacUnder = (key: AuditKey) => (row: StoredRow) => auditHmac({ ...key, id: row.key_id! }, { ...fieldsOf(row), chain: row.chain, keyId: row.key_id! });

/**
 * Rewrites row `seq` of `chain` with `change`, then recomputes its hash with `rehash` and
 * relinks and rehashes every later row of the chain (through `throughSeq`) the same way: a
 * consistent chain, for anyone who only recomputes.
 */
async function rewriteChain(
  client: pg.Client,
  chain: number,
  seq: number,
  change: (row: StoredRow) => void,
  rehash: (row: StoredRow) => string,
  throughSeq = Number.MAX_SAFE_INTEGER,
): Promise<void> {
  const { rows } = await client.query<StoredRow>('select * from audit_log where chain = $1 order by seq', [chain]);
  let prev = rows.find((r) => Number(r.seq) === seq - 1)?.hash ?? GENESIS_HASH;
  for (const row of rows.filter((r) => Number(r.seq) >= seq && Number(r.seq) <= throughSeq)) {
    if (Number(row.seq) === seq) change(row);
    row.prev_hash = prev;
    row.hash = rehash(row);
    await client.query('update audit_log set after = $2, key_id = $3, prev_hash = $4, hash = $5 where id = $1', [row.id, JSON.stringify(row.after), row.key_id, row.prev_hash, row.hash]);
    prev = row.hash;
  }
}

/** Chains whose seq is not exactly 1..n. */
async function chainGaps(db: TestDatabase): Promise<unknown[]> {
  return db.query(`select chain, count(*)::int as n, min(seq)::int as first, max(seq)::int as last from audit_log group by chain having min(seq) <> 1 or max(seq) <> count(*)`);
}

const moreUnits = (row: StoredRow) => {
  row.after = { ...(row.after as object), units: 1 };
};

describe('the audit chain against tampering', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratchDatabase();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('detects a row rewritten with a consistently recomputed plain SHA-256 chain', async () => {
    await appendRows(s.orm, 5, 3);
    await appendRows(s.orm, 3, 4);
    expect(await verifyAuditChain(s.orm.em.fork())).toMatchObject({ intact: true, entries: 8 });

    await asSuperuser(s.db.url, (client) => rewriteChain(client, 3, 2, moreUnits, plainSha256));

    const report = await verifyAuditChain(s.orm.em.fork());
    expect(report.breaks).toEqual([{ chain: 3, seq: 2, reason: 'HMAC does not match the row' }]);
    expect(report.chains.find((c) => c.chain === 3)).toMatchObject({ entries: 1, broken: { seq: 2 } });
    expect(report.chains.find((c) => c.chain === 4)).toMatchObject({ entries: 3, keyed: 3 });
    expect(report).toMatchObject({ intact: false, entries: 4 });
  });

  it('detects a rewritten chain passed off as legacy plain SHA-256 rows (key id removed)', async () => {
    await appendRows(s.orm, 3, 5);
    await asSuperuser(s.db.url, (client) =>
      rewriteChain(client, 5, 2, (row) => ((row.key_id = null), moreUnits(row)), (row) => ((row.key_id = null), plainSha256(row))),
    );
    const report = await verifyAuditChain(s.orm.em.fork());
    expect(report.breaks).toContainEqual({ chain: 5, seq: 2, reason: 'unkeyed (plain SHA-256) row outside the legacy chain 0' });
  });

  it('detects a row rewritten with an HMAC under the wrong key, whichever key id it names', async () => {
    await appendRows(s.orm, 4, 6);
    await appendRows(s.orm, 4, 7);
    const wrong = AuditKeyring.of(randomBytes(32).toString('base64url')).current!;
    // Keeps the real key id: the HMAC does not match.
    await asSuperuser(s.db.url, (client) => rewriteChain(client, 6, 3, moreUnits, hmacUnder(wrong)));
    // Names its own key: the verifier does not know it.
    await asSuperuser(s.db.url, (client) => rewriteChain(client, 7, 3, (row) => ((row.key_id = wrong.id), moreUnits(row)), hmacUnder(wrong)));
    const report = await verifyAuditChain(s.orm.em.fork());
    expect(report.breaks).toContainEqual({ chain: 6, seq: 3, reason: 'HMAC does not match the row' });
    expect(report.breaks).toContainEqual({ chain: 7, seq: 3, reason: `row names audit key ${wrong.id}, which is not in the keyring` });
  });

  it('detects a row deleted from the middle of a chain, and one deleted with the chain relinked', async () => {
    await appendRows(s.orm, 5, 8);
    await appendRows(s.orm, 5, 9);
    await asSuperuser(s.db.url, async (client) => {
      await client.query('delete from audit_log where chain = 8 and seq = 3');
      // Row 3 gone, rows 4 and 5 renumbered and relinked: their HMAC covers seq and prev_hash.
      await client.query('delete from audit_log where chain = 9 and seq = 3');
      await client.query('update audit_log set seq = seq - 1 where chain = 9 and seq > 3');
      const [second] = (await client.query<{ hash: string }>('select hash from audit_log where chain = 9 and seq = 2')).rows;
      await client.query('update audit_log set prev_hash = $1 where chain = 9 and seq = 3', [second!.hash]);
    });
    const report = await verifyAuditChain(s.orm.em.fork());
    expect(report.breaks).toContainEqual({ chain: 8, seq: 3, reason: 'row 3 is missing' });
    expect(report.breaks).toContainEqual({ chain: 9, seq: 3, reason: 'HMAC does not match the row' });
  });

  it('verifies rows under a rotated-out key only while the keyring still holds it', async () => {
    const fresh = await scratchDatabase();
    try {
      await appendRows(fresh.orm, 3, 1);
      const newKey = randomBytes(32).toString('base64url');
      expect(await verifyAuditChain(fresh.orm.em.fork(), { keyring: AuditKeyring.of(newKey, [TEST_AUDIT_HMAC_KEY]) })).toMatchObject({ intact: true, entries: 3 });
      const withoutOld = await verifyAuditChain(fresh.orm.em.fork(), { keyring: AuditKeyring.of(newKey) });
      expect(withoutOld.breaks).toEqual([{ chain: 1, seq: 1, reason: `row names audit key ${auditKeyId(Buffer.from(TEST_AUDIT_HMAC_KEY))}, which is not in the keyring` }]);
    } finally {
      await fresh.close();
    }
  });

  it('refuses a second, different key in one process, and accepts the same one again', () => {
    expect(() => configureAuditLog({ keyring: AuditKeyring.of(randomBytes(32).toString('base64url')) })).toThrow(/already writes under key/);
    expect(() => configureAuditLog({ keyring: AuditKeyring.of(TEST_AUDIT_HMAC_KEY) })).not.toThrow();
  });
});

describe('the audit log without a global lock', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratchDatabase(24);
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Waits until `n` sessions of this database wait on an advisory lock. */
  async function advisoryWaiters(n: number): Promise<void> {
    for (let i = 0; i < 500; i++) {
      const [row] = await s.db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event = 'advisory'`);
      if (row!.n >= n) return;
      await delay(10);
    }
    throw new Error(`no session waited on an advisory lock within 5 s`);
  }

  it('lets an audited write on another chain commit while a transaction holds its chain open', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldChain!: (chain: number) => void;
    const chainOfA = new Promise<number>((resolve) => (heldChain = resolve));
    // A: appends on its own transaction's chain, then stays open (holding that chain's lock).
    const a = s.orm.em.fork().transactional(async (tx) => {
      await AuditLog.append(tx, SYSTEM_AUDIT, { action: 'test.held', subject: 'a' });
      const [row] = await tx.execute<{ chain: number }[]>(`select chain from audit_log where subject = 'a'`);
      heldChain(Number(row!.chain));
      await held;
    });
    const chainA = await chainOfA;
    try {
      // B: an audited write in a transaction whose own xid lands on another chain (a
      // transaction that would land on A's chain is ended empty and the next one tried).
      const b = (async () => {
        for (;;) {
          const done = await s.orm.em.fork().transactional(async (tx) => {
            const [own] = await tx.execute<{ chain: number }[]>(`select (hashtext(pg_current_xact_id()::text) & 31)::int as chain`);
            if (own!.chain === chainA) return undefined;
            await AuditLog.append(tx, SYSTEM_AUDIT, { action: 'test.meanwhile', subject: 'b' });
            return own!.chain;
          });
          if (done !== undefined) return done;
        }
      })();
      const outcome = await Promise.race([b.then((chain) => ({ committed: chain })), delay(5000).then(() => ({ committed: 'no: still waiting after 5 s' }))]);
      expect(outcome.committed).not.toBe(chainA);
      expect(outcome.committed).toEqual(expect.any(Number));
      expect(await s.db.query(`select chain, seq::int from audit_log where subject = 'b'`)).toEqual([{ chain: outcome.committed, seq: 1 }]);

      // C, on A's chain, does wait for A: the chain lock is real.
      let cDone = false;
      const c = s.orm.em
        .fork()
        .transactional((tx) => AuditLog.append(tx, SYSTEM_AUDIT, { action: 'test.after', subject: 'c' }, { chain: chainA }))
        .then(() => (cDone = true));
      await advisoryWaiters(1);
      expect(cDone).toBe(false);
      release();
      await Promise.all([a, c]);
      expect(await s.db.query(`select subject, seq::int from audit_log where chain = $1 order by seq`, [chainA])).toEqual([
        { subject: 'a', seq: 1 },
        { subject: 'c', seq: 2 },
      ]);
    } finally {
      release();
      await a;
    }
    expect(await verifyAuditChain(s.orm.em.fork())).toMatchObject({ intact: true });
  });

  it('keeps every chain gapless and in order through 200 concurrent appends', async () => {
    const before = (await s.db.query<{ n: number }>('select count(*)::int as n from audit_log'))[0]!.n;
    // 150 on their transactions' own chains, 50 fighting over one chain.
    const appends = Array.from({ length: 200 }, (_, i) =>
      s.orm.em.fork().transactional((tx) =>
        AuditLog.append(tx, SYSTEM_AUDIT, { action: 'test.concurrent', subject: `c-${i}`, after: { i } }, i % 4 === 0 ? { chain: 7 } : {}),
      ),
    );
    const settled = await Promise.allSettled(appends);
    expect(settled.filter((r) => r.status === 'rejected')).toEqual([]);
    const report = await verifyAuditChain(s.orm.em.fork());
    expect(report).toMatchObject({ intact: true, entries: before + 200, breaks: [] });
    expect(report.chains.length).toBeGreaterThan(8);
    expect(await chainGaps(s.db)).toEqual([]);
    // Within a chain, seq order is commit order: the time each row was written never goes back.
    expect(await s.db.query(`select chain, seq from (select chain, seq, at < lag(at) over (partition by chain order by seq) as back from audit_log) x where back`)).toEqual([]);
    expect((await s.db.query<{ n: number }>(`select count(*)::int as n from audit_log where chain = 7 and action = 'test.concurrent'`))[0]!.n).toBeGreaterThanOrEqual(50);
  });
});

describe('legacy rows (one global chain of plain SHA-256, before the migration)', () => {
  const CHAINS_MIGRATION = 'Migration20261207004042';

  /** A database migrated up to the legacy schema, with `count` rows chained as the old code did. */
  async function legacyDatabase(count: number): Promise<{ url: string; orm: MikroORM; drop(): Promise<void> }> {
    const adminUrl = inject('pgAdminUrl');
    const name = `test_legacy_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const legacyOrm = await connectOrm({ databaseUrl: url.toString(), entities: [], poolSize: 2 });
    const pending = (await legacyOrm.migrator.getPending()).map((m) => m.name);
    await legacyOrm.migrator.up({ to: pending[pending.indexOf(CHAINS_MIGRATION) - 1]! });
    let prevHash = GENESIS_HASH;
    for (let seq = 1; seq <= count; seq++) {
      const fields = { seq, at: new Date(Date.UTC(2026, 10, 1, 0, seq)), actor: 'system', action: 'legacy.write', subject: `legacy-${seq}`, before: null, after: { seq }, requestId: null, prevHash };
      const hash = auditHash(fields);
      await legacyOrm.em.fork().execute(
        `insert into audit_log (id, seq, at, actor, action, subject, before, after, request_id, prev_hash, hash) values (gen_random_uuid(), ?, ?, ?, ?, ?, null, ?::jsonb, null, ?, ?)`,
        [seq, fields.at, fields.actor, fields.action, fields.subject, JSON.stringify(fields.after), prevHash, hash],
      );
      prevHash = hash;
    }
    await migrateUp(legacyOrm);
    return {
      url: url.toString(),
      orm: legacyOrm,
      drop: async () => {
        await legacyOrm.close();
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }

  it('keeps legacy rows verifiable as chain 0, continued by keyed rows that cover the legacy tail', async () => {
    const legacy = await legacyDatabase(3);
    try {
      expect(await verifyAuditChain(legacy.orm.em.fork())).toMatchObject({ intact: true, entries: 3, chains: [{ chain: 0, legacy: 3, keyed: 0 }] });
      await appendRows(legacy.orm, 2, 0);
      await appendRows(legacy.orm, 1, 5);
      const report = await verifyAuditChain(legacy.orm.em.fork());
      expect(report).toMatchObject({ intact: true, entries: 6 });
      expect(report.chains).toMatchObject([
        { chain: 0, entries: 5, legacy: 3, keyed: 2, head: { seq: 5 } },
        { chain: 5, entries: 1, legacy: 0, keyed: 1, head: { seq: 1 } },
      ]);

      // A legacy row rewritten, the legacy tail recomputed: the first keyed row still links to the old tail.
      await asSuperuser(legacy.url, (client) => rewriteChain(client, 0, 2, moreUnits, plainSha256, 3));
      expect((await verifyAuditChain(legacy.orm.em.fork())).breaks).toEqual([{ chain: 0, seq: 4, reason: 'prev_hash does not match the hash of row 3' }]);
    } finally {
      await legacy.drop();
    }
  });

  it('breaks a chain at an unkeyed row after a keyed one', async () => {
    const legacy = await legacyDatabase(2);
    try {
      await appendRows(legacy.orm, 1, 0);
      const [head] = await legacy.orm.em.fork().execute<{ hash: string }[]>('select hash from audit_log where chain = 0 and seq = 3');
      const fields = { seq: 4, at: new Date(), actor: 'system', action: 'forged.write', subject: 'forged', before: null, after: null, requestId: null, prevHash: head!.hash };
      // A plain INSERT needs no privilege beyond the app's: the trigger only refuses UPDATE and DELETE.
      await legacy.orm.em.fork().execute(
        `insert into audit_log (id, chain, seq, at, actor, action, subject, prev_hash, hash) values (gen_random_uuid(), 0, 4, ?, ?, ?, ?, ?, ?)`,
        [fields.at, fields.actor, fields.action, fields.subject, fields.prevHash, auditHash(fields)],
      );
      expect((await verifyAuditChain(legacy.orm.em.fork())).breaks).toEqual([{ chain: 0, seq: 4, reason: 'unkeyed (plain SHA-256) row after a keyed row' }]);
    } finally {
      await legacy.drop();
    }
  });
});

describe('npm run -s audit:verify', () => {
  const VERIFY = path.resolve('dist/scripts/audit-verify.js');

  function verify(databaseUrl: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return fs.mkdtemp(path.join(os.tmpdir(), 'audit-verify-')).then(
      (dataDir) =>
        new Promise((resolve) => {
          const { AUDIT_HMAC_KEY: _key, AUDIT_HMAC_KEYS_OLD: _old, ...inherited } = process.env;
          execFile(
            process.execPath,
            [VERIFY],
            { env: { ...inherited, DATABASE_URL: databaseUrl, DATA_DIR: dataDir, NODE_ENV: 'test', ...env } },
            (error, stdout, stderr) => {
              void fs.rm(dataDir, { recursive: true, force: true });
              resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
            },
          );
        }),
    );
  }

  it('prints each chain and exits 0 when intact, names the break and exits 1 when not, with the same configuration as the server', async () => {
    const s = await scratchDatabase();
    try {
      await appendRows(s.orm, 3, 2);
      await appendRows(s.orm, 2, 11);
      const intact = await verify(s.db.url, { AUDIT_HMAC_KEY: TEST_AUDIT_HMAC_KEY });
      expect(intact.stderr).toBe('');
      expect(intact.code).toBe(0);
      expect(intact.stdout).toContain(`audit keys: ${auditKeyId(Buffer.from(TEST_AUDIT_HMAC_KEY))} (current)`);
      expect(intact.stdout).toMatch(/chain {2}2: 3 entries intact {2}head 3 [0-9a-f]{64}/);
      expect(intact.stdout).toMatch(/chain 11: 2 entries intact {2}head 2 [0-9a-f]{64}/);
      expect(intact.stdout).toContain('audit log intact: 5 entries in 2 chains');

      // Without the key (none set, no key file under DATA_DIR, and the verifier never creates one).
      const keyless = await verify(s.db.url);
      expect(keyless.code).toBe(1);
      expect(keyless.stdout).toContain('audit keys: none');
      expect(keyless.stderr).toContain('audit log BROKEN: 2 of 2 chains broken');

      await asSuperuser(s.db.url, (client) => rewriteChain(client, 11, 2, moreUnits, plainSha256));
      const broken = await verify(s.db.url, { AUDIT_HMAC_KEY: TEST_AUDIT_HMAC_KEY });
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain('chain 11: 1 entry BROKEN at seq 2: HMAC does not match the row');
      expect(broken.stderr).toContain('audit log BROKEN: 1 of 2 chains broken (4 entries verify)');
    } finally {
      await s.close();
    }
  });
});
