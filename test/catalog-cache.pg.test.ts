// The catalog (partners, benefits, plans) is kept in each process between requests
// (src/platform/catalog-cache.ts) while the catalog's version holds. What a change must never
// leave behind: a member page that shows the catalog as it was before a change committed,
// whether the change came through the admin API of this process or straight to the database
// (another process, a migration, an operator).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';

const ME = `{ me { membership { plan { code name } } entitlements { benefit { code name partner { id name } } } } }`;
const UPDATE_PARTNER = `mutation($id: ID!, $input: PartnerInput!) { updatePartner(partnerId: $id, input: $input) { id name } }`;

let t: TestApp;
let member: SubscribedMember;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  member = await t.subscribedMember();
  admin = await t.adminToken('catalog-cache-admin');
});
afterAll(async () => {
  await t?.close();
});

async function memberPage() {
  const res = await t.graphql(ME, {}, { bearer: member.bearer, headers: { 'accept-language': 'en' } });
  expect(res.errors).toBeUndefined();
  const carWash = res.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH').benefit;
  return { plan: res.data.me.membership.plan.name as string, benefit: carWash.name as string, partner: carWash.partner.name as string };
}

describe('the catalog kept between requests', () => {
  it('shows a change made straight in the database on the very next request', async () => {
    const before = await memberPage();
    // Twice: the second answer comes from what the process kept.
    expect(await memberPage()).toEqual(before);

    await t.db.query(`update benefit set name = jsonb_set(name, '{en}', '"Car wash, renamed"') where code = 'CAR_WASH'`);
    expect((await memberPage()).benefit).toBe('Car wash, renamed');

    await t.db.query(`update plan set name = jsonb_set(name, '{en}', '"PLUS, renamed"') where code = 'PLUS'`);
    expect((await memberPage()).plan).toBe('PLUS, renamed');
  });

  it("shows a partner's new name, changed through the admin API, on the next member request", async () => {
    await memberPage();
    const res = await t.graphql(UPDATE_PARTNER, { id: 'sparkwash', input: { name: { en: 'SparkWash Deluxe', zhCN: '闪亮洗车' } } }, { bearer: admin });
    expect(res.errors).toBeUndefined();
    expect((await memberPage()).partner).toBe('SparkWash Deluxe');
  });

  it('answers a request that changed the catalog with its own change', async () => {
    // One request's EntityManager: it reads a partner, renames it in a transaction, reads it again.
    const em = t.app.orm.em.fork();
    expect((await t.app.modules.createLoaders(em).partnerById.load('brewbar'))?.name.en).not.toBe('BrewBar, renamed');
    await em.transactional((tx) => tx.execute(`update partner set name = jsonb_set(name, '{en}', '"BrewBar, renamed"') where id = 'brewbar'`));
    expect((await t.app.modules.createLoaders(em).partnerById.load('brewbar'))?.name.en).toBe('BrewBar, renamed');
  });

  it('moves the version once per changing statement, and not for a failed one', async () => {
    const version = async () => Number((await t.db.query<{ version: string }>(`select version from catalog_version where id = 1`))[0]!.version);
    const start = await version();
    await t.db.query(`update benefit set description = description where code in ('CAR_WASH', 'COFFEE')`);
    expect(await version()).toBe(start + 1);
    await expect(t.db.query(`update partner set name = null where id = 'brewbar'`)).rejects.toThrow(/null value/);
    expect(await version()).toBe(start + 1);
  });
});
