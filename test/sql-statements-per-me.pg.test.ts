// The member page costs the same number of SQL statements however many rights the member
// holds: counted with the counter the benchmark reads from each process (sqlStatementsSent,
// `db_statements_total`), around one `me` with entitlements, benefit, partner, tier and points.
// Seen failing with each entitlement's benefit loaded on its own instead of through the
// dataloader (21 statements for 10 entitlements against 10 for one), and, since the catalog is
// kept in the process, with each right read again on its own in the benefit resolver (18 against 9).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlStatementsSent } from '../src/platform/db/sql-statements.js';
import { startTestApp, type TestApp } from './support/app.js';

const ME =
  'query Me { me { membership { status plan { code } } entitlements { id status remaining validUntil benefit { code name partner { id name } } } ' +
  'tier { code name } points { balance } } }';
const SUBSCRIBE = 'mutation($p: String!, $k: String!) { subscribe(planCode: $p, idempotencyKey: $k) { id status } }';
const RECORD = 'mutation($input: ActivityInput!) { recordActivity(input: $input) { id } }';

let t: TestApp;

/** A plan whose bundle grants `benefits` QUOTA benefits across the three demo partners. */
async function planWith(code: string, benefits: number): Promise<void> {
  await t.db.query(`
    with b as (insert into bundle (id, code) values (gen_random_uuid(), '${code}_BUNDLE') returning id),
         v as (insert into bundle_version (id, bundle_id, version, effective_from)
               select gen_random_uuid(), b.id, 1, now() - interval '1 day' from b returning id),
         ben as (insert into benefit (id, code, partner_id, kind, name, description)
                 select gen_random_uuid(), '${code}_PERK_' || i, (array['streamflix','sparkwash','brewbar'])[1 + i % 3], 'QUOTA',
                        jsonb_build_object('en', 'Perk ' || i, 'zh-CN', '权益 ' || i), '{"en":"","zh-CN":""}'
                 from generate_series(1, ${benefits}) i returning id),
         bb as (insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position)
                select gen_random_uuid(), v.id, ben.id, 3, 'MEMBERSHIP_TERM', 0 from v, ben returning id)
    insert into plan (id, code, name, price_amount, currency, billing_period, bundle_id, active)
    select gen_random_uuid(), '${code}', '{"en":"${code}","zh-CN":"${code}"}', 100, 'CNY', 'YEAR', b.id, true from b`);
}

/** A member of `planCode` with a purchase (points, qualifying spend): the statements of one `me`, after a first one. */
async function statementsOfMe(planCode: string): Promise<{ statements: number; entitlements: number }> {
  const bearer = await t.memberToken(`member-${randomUUID()}`);
  const sub = await t.graphql(SUBSCRIBE, { p: planCode, k: randomUUID() }, { bearer });
  expect(sub.errors).toBeUndefined();
  const first = await t.graphql(ME, {}, { bearer });
  expect(first.errors).toBeUndefined();
  const admin = await t.adminToken('admin');
  const purchase = await t.graphql(
    RECORD,
    { input: { memberId: (await t.graphql('{ me { id } }', {}, { bearer })).data.me.id, type: 'PURCHASE', channel: 'app', externalId: randomUUID(), amount: { amount: 150_000, currency: 'CNY' } } },
    { bearer: admin },
  );
  expect(purchase.errors).toBeUndefined();
  // Once before counting: what a process caches on first use (the program) is not the member's cost.
  await t.graphql(ME, {}, { bearer });
  const before = sqlStatementsSent();
  const res = await t.graphql(ME, {}, { bearer });
  const statements = sqlStatementsSent() - before;
  expect(res.errors).toBeUndefined();
  expect(res.data.me.points.balance).toBeGreaterThan(0);
  return { statements, entitlements: res.data.me.entitlements.length };
}

beforeAll(async () => {
  t = await startTestApp();
  await planWith('ONE', 1);
  await planWith('TEN', 10);
});
afterAll(async () => {
  await t?.close();
});

describe('SQL statements of the member page', () => {
  it('sends as many statements for a member with 10 entitlements as for one with 1', async () => {
    const one = await statementsOfMe('ONE');
    const ten = await statementsOfMe('TEN');
    expect(one.entitlements).toBe(1);
    expect(ten.entitlements).toBe(10);
    expect(one.statements).toBeGreaterThan(0);
    expect(ten.statements).toBe(one.statements);
  });
});
