// BrewBar's coffee vouchers: a pool the partner uploads, claimed by members one code per use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_VOUCHER_CODES, seedDemoCatalog } from '../src/seed/demo-catalog.js';
import { startTestApp, type TestApp } from './support/app.js';

const UPLOAD = `mutation($b: String!, $c: [String!]!) { uploadVoucherCodes(benefitCode: $b, codes: $c) { received accepted duplicates duplicateSamples available } }`;
const CLAIM = `mutation($id: ID!) { claimVoucher(entitlementId: $id) { code qrPayload claimedAt } }`;

let t: TestApp;
let brewbar: string;

beforeAll(async () => {
  t = await startTestApp();
  brewbar = await t.partnerKey('brewbar');
});
afterAll(async () => {
  await t?.close();
});

async function coffeeMember(): Promise<{ bearer: string; coffee: string }> {
  const { bearer, entitlementIds } = await t.subscribedMember();
  return { bearer, coffee: entitlementIds.COFFEE! };
}

const codes = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

async function pool(): Promise<{ available: number; claimed: number }> {
  const status = await t.graphql(`{ voucherPool(benefitCode: "COFFEE") { available claimed } }`, {}, { bearer: brewbar });
  return status.data.voucherPool;
}

describe('the demo voucher pool', () => {
  it('is seeded on a fresh start, so a member claims a coffee before any upload', async () => {
    expect(await pool()).toEqual({ available: DEMO_VOUCHER_CODES, claimed: 0 });
    const { bearer, coffee } = await coffeeMember();

    const res = await t.graphql(CLAIM, { id: coffee }, { bearer });

    expect(res.errors).toBeUndefined();
    expect(res.data.claimVoucher.code).toMatch(/^DEMO-COFFEE-\d{4}$/);
    expect(await pool()).toEqual({ available: DEMO_VOUCHER_CODES - 1, claimed: 1 });
  });

  it('is not added to by a restart', async () => {
    const before = await pool();

    const restart = await seedDemoCatalog(t.app.orm.em.fork());

    expect(restart.seeded).toBe(false);
    expect(restart.voucherPools).toEqual([{ partnerId: 'brewbar', benefitCode: 'COFFEE', seeded: 0, available: before.available }]);
    expect(await pool()).toEqual(before);
  });
});

describe('the voucher pool', () => {
  it('takes a bulk upload, refusing and reporting duplicates', async () => {
    const { available } = await pool();
    const first = await t.graphql(UPLOAD, { b: 'COFFEE', c: codes('A', 100) }, { bearer: brewbar });
    expect(first.data.uploadVoucherCodes).toMatchObject({ received: 100, accepted: 100, duplicates: 0, available: available + 100 });
    const overlap = [...codes('A', 10), 'B-00001', 'B-00001'];
    const second = await t.graphql(UPLOAD, { b: 'COFFEE', c: overlap }, { bearer: brewbar });
    expect(second.data.uploadVoucherCodes).toMatchObject({ received: 12, accepted: 1, duplicates: 11, available: available + 101 });
    expect(second.data.uploadVoucherCodes.duplicateSamples).toContain('A-00000');
    expect(second.data.uploadVoucherCodes.duplicateSamples).toContain('B-00001');
  });

  it('refuses malformed codes, an empty upload and another partner\'s benefit, storing nothing', async () => {
    const [before] = await t.db.query(`select count(*)::int as n from voucher_code`);
    const bad = await t.graphql(UPLOAD, { b: 'COFFEE', c: ['ok-1234', 'bad code!'] }, { bearer: brewbar });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const empty = await t.graphql(UPLOAD, { b: 'COFFEE', c: [] }, { bearer: brewbar });
    expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const foreign = await t.graphql(UPLOAD, { b: 'CAR_WASH', c: ['X-00001'] }, { bearer: brewbar });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const asMember = await t.graphql(UPLOAD, { b: 'COFFEE', c: ['X-00001'] }, { bearer: await t.memberToken('m') });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.db.query(`select count(*)::int as n from voucher_code`))[0]).toEqual(before);
  });

  it('gives a member a code per claim, shown on the entitlement with its QR payload', async () => {
    const { bearer, coffee } = await coffeeMember();
    const res = await t.graphql(CLAIM, { id: coffee }, { bearer });
    expect(res.errors).toBeUndefined();
    expect(res.data.claimVoucher.qrPayload).toBe(`coalition-voucher:brewbar:${res.data.claimVoucher.code}`);
    const me = await t.graphql(`{ me { entitlements { id remaining vouchers { code } coffee { voucher { code qrPayload scanned } } } } }`, {}, { bearer });
    expect(me.errors).toBeUndefined();
    const entitlement = me.data.me.entitlements.find((e: any) => e.id === coffee);
    const code = res.data.claimVoucher.code;
    expect(entitlement).toMatchObject({ remaining: 9, vouchers: [{ code }] });
    // brewbar's subgraph turns the newest code into what its baristas scan.
    expect(entitlement.coffee.voucher).toMatchObject({ code, qrPayload: `BREWBAR1:${code}`, scanned: false });
  });

  it('hands out 300 distinct codes to 500 concurrent claims on a pool of 300, and clear errors to the other 200', async () => {
    // Empty the pool, then fill it with exactly 300 codes.
    await t.db.query(`update voucher_code set claimed_at = now() where claimed_at is null`);
    await t.graphql(UPLOAD, { b: 'COFFEE', c: codes('P', 300) }, { bearer: brewbar });
    const members = [];
    for (let i = 0; i < 50; i++) members.push(await coffeeMember());
    const claims = members.flatMap((m) => Array.from({ length: 10 }, () => m));

    const results = await Promise.all(claims.map((m) => t.graphql(CLAIM, { id: m.coffee }, { bearer: m.bearer })));
    const issued = results.filter((r) => r.data?.claimVoucher).map((r) => r.data.claimVoucher.code as string);
    const refused = results.filter((r) => r.errors);
    expect(issued).toHaveLength(300);
    expect(new Set(issued).size).toBe(300);
    expect(refused).toHaveLength(200);
    expect(new Set(refused.map((r) => r.errors![0]!.extensions!.code))).toEqual(new Set(['VOUCHER_POOL_EMPTY']));
    expect(refused[0]!.errors![0]!.message).toMatch(/quota was not used/);

    // Quota taken exactly for the codes handed out; no code claimed twice.
    const [usage] = await t.db.query(
      `select sum(used)::int as used from entitlement where id = any($1::uuid[])`,
      [members.map((m) => m.coffee)],
    );
    expect(usage.used).toBe(300);
    const [dupes] = await t.db.query(`select count(*)::int as n from (select code from voucher_code group by partner_id, code having count(*) > 1) d`);
    expect(dupes.n).toBe(0);
    const status = await t.graphql(`{ voucherPool(benefitCode: "COFFEE") { available claimed low lowWatermark } }`, {}, { bearer: brewbar });
    expect(status.data.voucherPool).toMatchObject({ available: 0, low: true });

    // Emptied, the pool still gets no demo codes back on a restart: it is not untouched.
    const restart = await seedDemoCatalog(t.app.orm.em.fork());
    expect(restart.voucherPools).toEqual([{ partnerId: 'brewbar', benefitCode: 'COFFEE', seeded: 0, available: 0 }]);
  }, 120_000);
});
