import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

const ME = `{ me { membership { status plan { code name } } entitlements { id status remaining validUntil benefit { code name kind partner { id name } } } } }`;

let t: TestApp;
const statements: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ onQuery: (message) => statements.push(message) });
  // A plan whose bundle grants 50 benefits across the three demo partners.
  await t.db.query(`
    with b as (insert into bundle (id, code) values (gen_random_uuid(), 'BIG_BUNDLE') returning id),
         v as (insert into bundle_version (id, bundle_id, version, effective_from)
               select gen_random_uuid(), b.id, 1, now() - interval '1 day' from b returning id),
         ben as (insert into benefit (id, code, partner_id, kind, name, description)
                 select gen_random_uuid(), 'PERK_' || i, (array['streamflix','sparkwash','brewbar'])[1 + i % 3], 'QUOTA',
                        jsonb_build_object('en', 'Perk ' || i, 'zh-CN', '权益 ' || i), '{"en":"","zh-CN":""}'
                 from generate_series(1, 50) i returning id, code),
         bb as (insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position)
                select gen_random_uuid(), v.id, ben.id, 3, 'MEMBERSHIP_TERM', 0 from v, ben returning id)
    insert into plan (id, code, name, price_amount, currency, billing_period, bundle_id, active)
    select gen_random_uuid(), 'BIG', '{"en":"Big","zh-CN":"大"}', 100, 'CNY', 'YEAR', b.id, true from b`);
});
afterAll(async () => {
  await t?.close();
});

/** Statements of the member page: the first time (the catalog read into the process's cache) and once more (the catalog kept). */
async function statementsFor(planCode: string): Promise<{ first: number; count: number; entitlements: number }> {
  const bearer = await t.memberToken(`member-${randomUUID()}`);
  const sub = await t.graphql(`mutation($p: String!) { subscribe(planCode: $p, idempotencyKey: "k") { id } }`, { p: planCode }, { bearer });
  expect(sub.errors).toBeUndefined();
  const counted = async () => {
    statements.length = 0;
    const res = await t.graphql(ME, {}, { bearer });
    expect(res.errors).toBeUndefined();
    // The ORM logs each statement as one `[query] …` line (coloured: strip the escapes).
    const sql = statements.map((s) => s.replace(/\x1b\[[0-9;]*m/g, '')).filter((s) => s.startsWith('[query]'));
    return { count: sql.length, entitlements: res.data.me.entitlements.length as number };
  };
  const first = await counted();
  const again = await counted();
  return { first: first.count, count: again.count, entitlements: again.entitlements };
}

describe('no N+1 on the member page', () => {
  it('runs the same bounded number of SQL statements for 50 entitlements as for 4', async () => {
    const small = await statementsFor('PLUS');
    const big = await statementsFor('BIG');
    expect(small.entitlements).toBe(4);
    expect(big.entitlements).toBe(50);
    expect(big.count).toBe(small.count);
    // Entitlements, membership and the catalog's version; the benefits, partners and plan come from the process's catalog cache.
    expect(big.count).toBe(3);
    // The first time, the benefits, partners and plan not yet kept: one batched statement each, whatever their number.
    expect(small.first).toBeLessThanOrEqual(6);
    expect(big.first).toBeLessThanOrEqual(6);
  });
});
