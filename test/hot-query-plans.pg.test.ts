// Every statement the hot paths send (the member page with tier and points, a token issued,
// checked and redeemed at the till, a voucher claimed) is planned by PostgreSQL on a database of
// 20,000 more members plus a generated program history of 5,000 (bench/program-history.ts: their
// lots, ledger, tier months, claimed vouchers), and none may read a member-scoped table (one with
// a member or entitlement column, the member table, the audit log) from end to end. The statements are the ones the code sent, captured with their
// parameters, so a query that loses its index fails here whatever the code looks like.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedProgramHistory } from '../bench/program-history.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

const SEEDED_MEMBERS = 20_000;
const HISTORY_MEMBERS = 5_000;
const ME =
  '{ me { membership { status plan { code name } } entitlements { id status remaining validUntil benefit { code name kind partner { id name } } } ' +
  'tier { code name } points { balance lots { earned remaining expiresAt } } } }';
const CLAIM = 'mutation($id: ID!) { claimVoucher(entitlementId: $id) { code } }';
const ISSUE = 'mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }';
const CHECK = 'query($token: String!) { checkEntitlementToken(token: $token) { valid problem entitlement { id remaining } } }';
const REDEEM = 'mutation($token: String!, $key: String!) { redeemEntitlement(token: $token, idempotencyKey: $key, units: 1) { id entitlement { id remaining } } }';

let t: TestApp;
const sent: string[] = [];
let capturing = false;
let member: SubscribedMember;
let partnerKey: string;

/** Inserts into `table` the rows of `from` (the table as `x`, joined to the seed), with `replace` giving some columns new values. */
async function cloneRows(table: string, from: string, replace: Record<string, string>): Promise<void> {
  const columns = (
    await t.db.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = 'public' and table_name = $1 and is_generated = 'NEVER' order by ordinal_position`,
      [table],
    )
  ).map((c) => c.column_name);
  await t.db.query(`insert into ${table} (${columns.join(', ')}) select ${columns.map((c) => replace[c] ?? `x.${c}`).join(', ')} from ${from}`);
}

beforeAll(async () => {
  t = await startTestApp({ onQuery: (message) => capturing && sent.push(message.replace(/\x1b\[[0-9;]*m/g, '')) });
  member = await t.subscribedMember();
  partnerKey = await t.partnerKey('sparkwash');
  await t.db.query(`update entitlement set status = 'ACTIVE' where member_id = $1`, [member.memberId]);
  const token = await t.graphql(ISSUE, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer });
  const redeemed = await t.graphql(REDEEM, { token: token.data.issueEntitlementToken.token, key: 'seed' }, { bearer: partnerKey });
  expect(redeemed.errors).toBeUndefined();
  // The member's rows copied for 20,000 more: each with a membership, its rights, a used token, its redemption and audit row.
  await t.db.query(`create table seed_map as select i, gen_random_uuid() as member_id, gen_random_uuid() as membership_id from generate_series(1, ${SEEDED_MEMBERS}) i`);
  await t.db.query(
    `create table seed_rights as select s.i, s.member_id, s.membership_id, e.id as template_id, gen_random_uuid() as id from seed_map s, entitlement e where e.member_id = $1`,
    [member.memberId],
  );
  const m = `'${member.memberId}'`;
  await cloneRows('member', `member x join seed_map s on true where x.id = ${m}`, { id: 's.member_id', subject: `x.subject || '-' || s.i` });
  await cloneRows('membership', `membership x join seed_map s on true where x.member_id = ${m}`, {
    id: 's.membership_id',
    member_id: 's.member_id',
    idempotency_key: `x.idempotency_key || '-' || s.i`,
  });
  await cloneRows('entitlement', 'entitlement x join seed_rights r on r.template_id = x.id', { id: 'r.id', member_id: 'r.member_id', membership_id: 'r.membership_id' });
  await cloneRows('issued_token', 'issued_token x join seed_rights r on r.template_id = x.entitlement_id', {
    jti: `x.jti || '-' || r.i`,
    entitlement_id: 'r.id',
    member_id: 'r.member_id',
    status_list_ordinal: 'null',
    status_idx: 'null',
  });
  await cloneRows('redemption', 'redemption x join seed_rights r on r.template_id = x.entitlement_id', {
    id: 'gen_random_uuid()',
    entitlement_id: 'r.id',
    member_id: 'r.member_id',
    token_jti: `x.token_jti || '-' || r.i`,
    idempotency_key: `x.idempotency_key || '-' || r.i`,
  });
  // Audit rows on one chain, as busy tills leave them; half the seeded members on a test clock.
  await cloneRows('audit_log', `audit_log x join seed_rights r on r.template_id = '${member.entitlementIds.CAR_WASH}' where x.action = 'redemption.create'`, {
    id: 'gen_random_uuid()',
    seq: '1000000 + r.i',
  });
  await t.db.query(`insert into test_clock (id, name, frozen_time) values (gen_random_uuid(), 'seeded', now())`);
  await t.db.query(`insert into test_clock_member (member_id, test_clock_id) select s.member_id, c.id from seed_map s, test_clock c where c.name = 'seeded' and s.i % 2 = 0`);
  await t.db.query('drop table seed_map, seed_rights');
  // Members with a history (points, tiers, claimed vouchers: every code of the pool's benefit claimed many times over).
  await seedProgramHistory(t.db.url, { members: HISTORY_MEMBERS, seed: 7, batch: HISTORY_MEMBERS });
  await t.db.query('analyze');
}, 300_000);
afterAll(async () => {
  await t?.close();
});

/** Tables a member's data lives in: those with a member or entitlement column, the member table and the audit log. */
async function memberScopedTables(): Promise<Set<string>> {
  const rows = await t.db.query<{ table_name: string }>(
    `select distinct table_name from information_schema.columns
      where table_schema = 'public' and (column_name in ('member_id', 'entitlement_id') or table_name in ('member', 'audit_log'))`,
  );
  return new Set(rows.map((r) => r.table_name));
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function seqScans(node: PlanNode, found: string[] = []): string[] {
  if (node['Node Type'] === 'Seq Scan' && node['Relation Name']) found.push(node['Relation Name']);
  for (const child of node.Plans ?? []) seqScans(child, found);
  return found;
}

/** The statements sent while `work` ran, as PostgreSQL received them (parameters inlined), reads and writes, no transaction control. */
async function statementsOf(work: () => Promise<void>): Promise<string[]> {
  sent.length = 0;
  capturing = true;
  try {
    await work();
  } finally {
    capturing = false;
  }
  return sent
    .filter((line) => line.startsWith('[query] '))
    .map((line) => line.slice('[query] '.length).replace(/ \[took \d+ ms(, [^\]]*)?\]$/, ''))
    .filter((sql) => /^(select|update|delete|insert|with)\b/i.test(sql));
}

describe('hot paths at 20,000 members', () => {
  it('plan every statement of the member page and the till without reading a member-scoped table whole', async () => {
    const scoped = await memberScopedTables();
    expect([...scoped]).toEqual(expect.arrayContaining(['member', 'membership', 'entitlement', 'issued_token', 'redemption', 'audit_log']));
    const statements = await statementsOf(async () => {
      const me = await t.graphql(ME, {}, { bearer: member.bearer });
      expect(me.errors).toBeUndefined();
      const issued = await t.graphql(ISSUE, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer });
      expect(issued.errors).toBeUndefined();
      const token = issued.data.issueEntitlementToken.token;
      expect((await t.graphql(CHECK, { token }, { bearer: partnerKey })).errors).toBeUndefined();
      expect((await t.graphql(REDEEM, { token, key: 'plans' }, { bearer: partnerKey })).errors).toBeUndefined();
      expect((await t.graphql(CLAIM, { id: member.entitlementIds.COFFEE }, { bearer: member.bearer })).errors).toBeUndefined();
    });
    expect(statements.length).toBeGreaterThan(10);
    const offenders: string[] = [];
    for (const sql of statements) {
      const [{ 'QUERY PLAN': plan }] = await t.db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (format json) ${sql}`);
      const scanned = seqScans(plan[0]!.Plan).filter((table) => scoped.has(table));
      if (scanned.length) offenders.push(`${scanned.join(', ')}: ${sql}`);
    }
    expect(offenders).toEqual([]);
  });
});
