// Which hot statements would be Citus router queries (docs/citus.md): the SQL that `me` and
// `redeemEntitlement` run, captured from the ORM's log (a statement logged with `?` placeholders
// is EXPLAINed as a prepared statement's generic plan), EXPLAINed on a database seeded with
// 5,000 subscribed members, each scan of a member-sharded table checked for a condition on the
// member. `me` must stay routable after finding the member; redeeming a token finds its member
// by the token's jti (the one statement sent to every shard), then names the member in every
// statement after it (docs/citus.md).
// CITUS_EXPLAIN_OUT=<file> writes the plans and verdicts there (the figures in docs/citus.md).
import fs from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citusTables } from '../scripts/citus-shape.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

const ME = `{ me { id membership { status plan { code name } } entitlements { id status remaining validUntil benefit { code name kind partner { id name } } } } }`;
const ISSUE = `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const REDEEM = `mutation($t: String!, $k: String!) { redeemEntitlement(token: $t, idempotencyKey: $k) { id units entitlement { id remaining } } }`;
const MEMBERS = 5_000;

/** The rights with their membership: `from entitlement <e> left join membership <m> on <condition> where`. */
const ENTITLEMENTS_JOIN = /from "?entitlement"? (?:as )?"?(\w+)"? left join "?membership"? (?:as )?"?(\w+)"? on (.*?) where /;

/**
 * The one statement of `redeemEntitlement` known not to route to one member's shard: the token
 * names no member (partners must not learn it), so it is found by its jti on every shard; it
 * joins its right on the member, and every statement after it names the member (docs/citus.md).
 */
const TOKEN_LOOKUP = /from issued_token t join entitlement e on e\.member_id = t\.member_id and e\.id = t\.entitlement_id where t\.jti = /;

/** Statements of `me` known not to route to one member's shard yet, and what routes them (docs/citus.md). */
const ME_NOT_ROUTER_YET = [
  // Finding the member by the credential's (issuer, subject) (member_issuer_subject_unique) when it is not cached.
  { statement: /"?issuer"? = \?/ },
];

let t: TestApp;
let client: pg.Client;
let member: SubscribedMember;
const log: string[] = [];
const report: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ onQuery: (message) => log.push(message) });
  member = await t.subscribedMember();
  // 5,000 more members like this one (membership and rights copied), so the planner sees real tables.
  await t.db.query(`
    with template as (select * from member where id = $1),
    members as (
      insert into member select (jsonb_populate_record(null::member, to_jsonb(template) || jsonb_build_object('id', gen_random_uuid(), 'subject', 'seed-' || i))).*
        from template, generate_series(1, ${MEMBERS}) i returning id),
    memberships as (
      insert into membership select (jsonb_populate_record(null::membership, to_jsonb(ms) || jsonb_build_object('id', gen_random_uuid(), 'member_id', members.id))).*
        from membership ms, members where ms.member_id = $1 returning id, member_id)
    insert into entitlement select (jsonb_populate_record(null::entitlement, to_jsonb(e) || jsonb_build_object('id', gen_random_uuid(), 'member_id', memberships.member_id, 'membership_id', memberships.id))).*
      from entitlement e, memberships where e.member_id = $1`, [member.memberId]);
  await t.db.query('analyze');
  client = new pg.Client({ connectionString: t.db.url });
  await client.connect();
  // The plan a prepared statement gets for any parameters: conditions show as $1, $2, …
  await client.query('set plan_cache_mode = force_generic_plan');
});

afterAll(async () => {
  if (process.env.CITUS_EXPLAIN_OUT) await fs.writeFile(process.env.CITUS_EXPLAIN_OUT, report.join('\n'));
  await client?.end();
  await t?.close();
});

interface Scan { table: string; condition: string; verdict: 'member constant' | 'joined on member' | 'no member condition' }
interface Explained { sql: string; scans: Scan[]; router: boolean; error?: string }

/** Runs an operation, returning the SQL statements it sent (parameters inlined by the ORM's log). */
async function statementsOf(run: () => Promise<unknown>): Promise<string[]> {
  log.length = 0;
  await run();
  return log
    .map((line) => line.replace(/\x1b\[[0-9;]*m/g, ''))
    .filter((line) => line.startsWith('[query] '))
    .map((line) => line.slice('[query] '.length).replace(/ \[took [^\]]*\]$/, ''))
    .filter((sql) => !/^(begin|commit|rollback|savepoint|release savepoint|set |select set_config)/i.test(sql));
}

/** EXPLAINs a statement and judges each scan of a member-sharded table by its conditions. */
async function explain(sql: string): Promise<Explained> {
  let plan: any;
  let n = 0;
  const prepared = sql.replace(/\?/g, () => `$${++n}`);
  try {
    await client.query(`prepare hot as ${prepared}`);
    const params = Array.from({ length: n }, () => 'null').join(', ');
    const { rows } = await client.query(`explain (format json) execute hot${n > 0 ? `(${params})` : ''}`);
    plan = rows[0]['QUERY PLAN'][0].Plan;
  } catch (error) {
    return { sql, scans: [], router: false, error: (error as Error).message };
  } finally {
    await client.query('deallocate all');
  }
  const scans: Scan[] = [];
  const walk = (node: any) => {
    const table = node['Relation Name'];
    const modify = node['Node Type'] === 'ModifyTable';
    if (modify && node.Operation === 'Insert' && citusTables[table]?.kind === 'distributed') {
      // An INSERT routes by the row's member: it must set the distribution column.
      const key = table === 'member' ? 'id' : 'member_id';
      const columns = /^insert into "?\w+"? \(([^)]*)\)/i.exec(sql)?.[1] ?? '';
      const named = columns.split(',').some((c) => c.trim().replace(/"/g, '') === key);
      scans.push({ table, condition: `insert (${columns})`, verdict: named ? 'member constant' : 'no member condition' });
    } else if (table && !modify && citusTables[table]?.kind === 'distributed') {
      const condition = [node['Index Cond'], node['Recheck Cond'], node['Filter']].filter(Boolean).join(' and ');
      const key = table === 'member' ? 'id' : 'member_id';
      const constant = new RegExp(`\\b${key} = ('[0-9a-f-]{36}'|\\$\\d+|ANY)`).test(condition);
      const joined = new RegExp(`\\b${key} = \\w+\\.(member_id|id)\\b|\\w+\\.member_id = (\\w+\\.)?${key}\\b`).test(condition);
      scans.push({ table, condition, verdict: constant ? 'member constant' : joined ? 'joined on member' : 'no member condition' });
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan);
  const router = scans.length === 0 || (scans.some((s) => s.verdict === 'member constant') && scans.every((s) => s.verdict !== 'no member condition'));
  return { sql, scans, router };
}

function record(title: string, explained: Explained[]) {
  report.push(`## ${title}`, '');
  for (const e of explained) {
    report.push('```sql', e.sql.length > 600 ? `${e.sql.slice(0, 600)} …` : e.sql, '```');
    if (e.error) report.push(`- not explained: ${e.error}`);
    for (const s of e.scans) report.push(`- ${s.table}: ${s.verdict} (${s.condition || 'no condition'})`);
    report.push(`- ${e.scans.length === 0 ? 'reference or local tables only' : e.router ? 'router: names the member' : 'NOT router'}`, '');
  }
}

describe('hot queries on a member-sharded schema', () => {
  it('me: after the member is found by (issuer, subject), every statement names the member', async () => {
    const sql = await statementsOf(async () => {
      const res = await t.graphql(ME, {}, { bearer: member.bearer });
      expect(res.errors).toBeUndefined();
      expect(res.data.me.entitlements.length).toBeGreaterThan(0);
    });
    const explained: Explained[] = [];
    for (const statement of sql) explained.push(await explain(statement));
    record(`me (${MEMBERS + 1} members seeded)`, explained);
    expect(explained.filter((e) => e.error)).toEqual([]);
    const notRouter = explained.filter((e) => !e.router && !ME_NOT_ROUTER_YET.some((known) => known.statement.test(e.sql)));
    expect(notRouter.map((e) => e.sql)).toEqual([]);

    // The rights join their membership on the member as well as its id: both scans name the member.
    const entitlements = explained.find((e) => ENTITLEMENTS_JOIN.test(e.sql));
    expect(entitlements).toBeDefined();
    expect(entitlements!.scans.map((scan) => scan.verdict)).toEqual(['member constant', 'member constant']);
  });

  it('redeemEntitlement: after the token is found by its jti, every statement names the member', async () => {
    const issued = await t.graphql(ISSUE, { id: member.entitlementIds.CAR_WASH }, { bearer: member.bearer });
    expect(issued.errors).toBeUndefined();
    const partner = await t.partnerKey('sparkwash');
    const sql = await statementsOf(async () => {
      const res = await t.graphql(REDEEM, { t: issued.data.issueEntitlementToken.token, k: 'citus-1' }, { bearer: partner });
      expect(res.errors).toBeUndefined();
    });
    const explained: Explained[] = [];
    for (const statement of sql) explained.push(await explain(statement));
    record('redeemEntitlement', explained);
    expect(explained.filter((e) => e.error)).toEqual([]);
    // The token's lookup by jti, then its redemption, its use and the quota on the member's shard.
    const lookup = explained.filter((e) => TOKEN_LOOKUP.test(e.sql));
    expect(lookup).toHaveLength(1);
    expect(lookup[0]!.scans.map((scan) => [scan.table, scan.verdict])).toEqual([['issued_token', 'no member condition'], ['entitlement', 'joined on member']]);
    const notRouter = explained.filter((e) => !e.router && !TOKEN_LOOKUP.test(e.sql));
    expect(notRouter.map((e) => e.sql)).toEqual([]);
    const writes = explained.filter((e) => /^(insert into redemption|update issued_token|update entitlement)\b/.test(e.sql));
    expect(writes).toHaveLength(3);
    // The answer's right (entitlement { id remaining }) is the row the quota UPDATE returned: no read after it.
    expect(explained.filter((e) => /from entitlement e where /.test(e.sql)).map((e) => e.sql)).toEqual([]);
  });
});
