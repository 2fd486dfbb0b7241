// What the console's program editors need of the admin API: campaigns audited like every other
// admin change, a partner's agreed terms readable by who configures or settles them, the audit
// trail paged by a cursor, and the loyalty program in force. Real PostgreSQL, through the gateway.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
let admin: string;
let pm: string;
let pmId: string;
let finance: string;
let support: string;
let analyst: string;

beforeAll(async () => {
  t = await startTestApp();
  [admin, pm, finance, support, analyst] = await Promise.all([
    t.adminToken('program-admin'),
    t.staffToken(`pm-${randomUUID()}`, 'PRODUCT_MANAGER'),
    t.staffToken(`finance-${randomUUID()}`, 'FINANCE'),
    t.staffToken(`support-${randomUUID()}`, 'SUPPORT'),
    t.staffToken(`analyst-${randomUUID()}`, 'ANALYST'),
  ]);
  pmId = (await api<{ me: { id: string } }>(`{ me { id } }`, {}, pm)).me.id;
});
afterAll(async () => {
  await t?.close();
});

async function api<T = any>(query: string, variables: Record<string, unknown> = {}, bearer = admin): Promise<T> {
  const res = await t.graphql(query, variables, { bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

interface AuditRow {
  actor: string;
  action: string;
  subject: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** The audit log's rows about one subject, oldest first. */
const auditOf = (subject: string) =>
  t.db.query<AuditRow>(`select actor, action, subject, before, after from audit_log where subject = $1 order by at, chain, seq`, [subject]);

const CREATE_CAMPAIGN = `mutation($input: CampaignInput!) { createCampaign(input: $input) { code active } }`;
const SET_ACTIVE = `mutation($code: String!, $active: Boolean!) { setCampaignActive(code: $code, active: $active) { code active } }`;

function campaignInput(code: string) {
  return {
    code,
    name: { en: 'Autumn bonus', zhCN: '秋季奖励' },
    offer: { en: '+50 points on orders of ¥50 or more', zhCN: '满50元加赠50积分' },
    kind: 'BONUS_POINTS',
    startsAt: '2027-09-01T00:00:00+08:00',
    endsAt: '2027-10-01T00:00:00+08:00',
    bonusPoints: 50,
    minSpend: 5_000,
    minTier: 'SILVER',
  };
}

describe('campaigns are audited', () => {
  it('records a campaign created by a product manager as campaign.create: who, on what, its definition after', async () => {
    await api(CREATE_CAMPAIGN, { input: campaignInput('AUTUMN_BONUS') }, pm);
    const rows = await auditOf('AUTUMN_BONUS');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: `pm:${pmId}`, action: 'campaign.create', subject: 'AUTUMN_BONUS', before: null });
    expect(rows[0]!.after).toMatchObject({
      code: 'AUTUMN_BONUS',
      kind: 'BONUS_POINTS',
      name: { en: 'Autumn bonus', 'zh-CN': '秋季奖励' },
      bonusPoints: 50,
      minSpend: 5_000,
      minTier: 'SILVER',
      active: true,
      startsAt: '2027-08-31T16:00:00.000Z',
    });
    // What it granted moves with every purchase: not part of its definition.
    expect(rows[0]!.after).not.toHaveProperty('pointsGranted');
  });

  it('records stopping and starting a campaign as campaign.deactivate and campaign.activate, with before and after; asking for the state it is in records nothing', async () => {
    await api(CREATE_CAMPAIGN, { input: campaignInput('WINTER_BONUS') }, pm);
    await api(SET_ACTIVE, { code: 'WINTER_BONUS', active: false }, pm);
    await api(SET_ACTIVE, { code: 'WINTER_BONUS', active: false }, pm);
    await api(SET_ACTIVE, { code: 'WINTER_BONUS', active: true });
    const rows = await auditOf('WINTER_BONUS');
    expect(rows.map((r) => [r.action, r.before?.active ?? null, r.after?.active])).toEqual([
      ['campaign.create', null, true],
      ['campaign.deactivate', true, false],
      ['campaign.activate', false, true],
    ]);
    expect(rows[1]!.actor).toBe(`pm:${pmId}`);
    expect(rows[2]!.actor).toMatch(/^admin:/);
  });

  it('writes no entry for a refused call: a support agent (FORBIDDEN), bad input, an unknown campaign', async () => {
    const before = await t.db.query<{ n: number }>(`select count(*)::int as n from audit_log`);
    const forbidden = await t.graphql(CREATE_CAMPAIGN, { input: campaignInput('SUPPORT_BONUS') }, { bearer: support });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden.errors?.[0]?.message).toBe('A support agent may not call createCampaign');
    const stop = await t.graphql(SET_ACTIVE, { code: 'WINTER_BONUS', active: false }, { bearer: analyst });
    expect(stop.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const bad = await t.graphql(CREATE_CAMPAIGN, { input: { ...campaignInput('BAD_BONUS'), endsAt: '2027-08-01T00:00:00+08:00' } }, { bearer: pm });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const again = await t.graphql(CREATE_CAMPAIGN, { input: campaignInput('AUTUMN_BONUS') }, { bearer: pm });
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await t.graphql(SET_ACTIVE, { code: 'NO_SUCH_CAMPAIGN', active: false }, { bearer: pm });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await t.db.query(`select count(*)::int as n from audit_log`)).toEqual(before);
    expect(await t.db.query(`select code from campaign where code in ('SUPPORT_BONUS', 'BAD_BONUS')`)).toEqual([]);
  });
});

const PARTNER_TERMS = `{ partners { id name names { en zhCN } pointsIssuePricePer1000 { amount currency } pointsBurnPricePer1000 { amount currency } createdAt updatedAt benefits { code unitPrice { amount currency } } } }`;

describe("a partner's terms", () => {
  it('shows product managers and finance both names, the agreed point prices, when they last changed and each benefit\'s unit price', async () => {
    const prices = (issue: number, burn: number) => ({ pointsIssuePricePer1000: { amount: issue, currency: 'CNY' }, pointsBurnPricePer1000: { amount: burn, currency: 'CNY' } });
    await api(`mutation($input: PartnerInput!) { createPartner(input: $input) { id } }`, { input: { id: 'dumpling-house', name: { en: 'Dumpling House', zhCN: '饺子馆' }, ...prices(700, 550) } }, pm);
    const created = (await api(PARTNER_TERMS, {}, pm)).partners.find((p: { id: string }) => p.id === 'dumpling-house');
    expect(created).toMatchObject({
      name: 'Dumpling House',
      names: { en: 'Dumpling House', zhCN: '饺子馆' },
      pointsIssuePricePer1000: { amount: 700, currency: 'CNY' },
      pointsBurnPricePer1000: { amount: 550, currency: 'CNY' },
      benefits: [],
    });
    expect(created.updatedAt).toBe(created.createdAt);

    await new Promise((resolve) => setTimeout(resolve, 5));
    await api(`mutation($input: PartnerInput!) { updatePartner(partnerId: "dumpling-house", input: $input) { id } }`, { input: { name: { en: 'Dumpling House', zhCN: '饺子馆' }, pointsIssuePricePer1000: { amount: 700, currency: 'CNY' }, pointsBurnPricePer1000: null } }, pm);
    const updated = (await api(PARTNER_TERMS, {}, finance)).partners.find((p: { id: string }) => p.id === 'dumpling-house');
    expect(updated).toMatchObject({ pointsIssuePricePer1000: { amount: 700, currency: 'CNY' }, pointsBurnPricePer1000: null, createdAt: created.createdAt });
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThan(new Date(created.createdAt).getTime());

    // The demo catalog's partners, as seeded: ¥6 / ¥5 per 1,000 points, and their benefits' agreed unit prices.
    const sparkwash = (await api(PARTNER_TERMS, {}, pm)).partners.find((p: { id: string }) => p.id === 'sparkwash');
    expect(sparkwash).toMatchObject({
      names: { en: 'SparkWash', zhCN: expect.any(String) },
      pointsIssuePricePer1000: { amount: 600, currency: 'CNY' },
      pointsBurnPricePer1000: { amount: 500, currency: 'CNY' },
    });
    expect(sparkwash.benefits).toContainEqual({ code: 'CAR_WASH', unitPrice: { amount: 3_500, currency: 'CNY' } });
  });

  it('shows support and analysts a partner by id and name only: its terms are null, and nothing is refused', async () => {
    for (const bearer of [support, analyst]) {
      const res = await t.graphql(PARTNER_TERMS, {}, { bearer });
      expect(res.errors).toBeUndefined();
      const sparkwash = res.data.partners.find((p: { id: string }) => p.id === 'sparkwash');
      expect(sparkwash).toEqual({ id: 'sparkwash', name: 'SparkWash', names: null, pointsIssuePricePer1000: null, pointsBurnPricePer1000: null, createdAt: null, updatedAt: null, benefits: null });
    }
  });

  it("shows a partner its own terms through its benefits, and no other partner's", async () => {
    const key = await t.partnerKey('sparkwash');
    const res = await t.graphql(`{ partnerBenefits { code partner { id pointsIssuePricePer1000 { amount } } } }`, {}, { bearer: key });
    expect(res.errors).toBeUndefined();
    expect(res.data.partnerBenefits[0].partner).toEqual({ id: 'sparkwash', pointsIssuePricePer1000: { amount: 600 } });
  });
});

const PAGE = `query($first: Int!, $after: String, $action: String) {
  auditTrailPage(first: $first, after: $after, action: $action) { edges { cursor node { id action subject } } pageInfo { hasNextPage endCursor } }
}`;

describe('the audit trail, keyset-paged', () => {
  async function campaigns(prefix: string, n: number) {
    for (let i = 0; i < n; i++) await api(CREATE_CAMPAIGN, { input: campaignInput(`${prefix}_${i}`) }, pm);
  }

  it('pages through the trail in the order of auditTrail, each entry once, hasNextPage false on the last page', async () => {
    await campaigns('PAGED', 5);
    const whole = (await api(`{ auditTrail(action: "campaign.", first: 200) { id } }`)).auditTrail.map((e: { id: string }) => e.id);
    expect(whole.length).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const { auditTrailPage: page }: any = await api(PAGE, { first: 2, after, action: 'campaign.' });
      seen.push(...page.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(whole);
  });

  it('keeps the next pages where they were when entries are appended after the first page was read', async () => {
    await campaigns('STEADY', 4);
    const first = (await api(PAGE, { first: 2, action: 'campaign.' })).auditTrailPage;
    const rest = (await api(PAGE, { first: 200, after: first.pageInfo.endCursor, action: 'campaign.' })).auditTrailPage;
    await campaigns('LATER', 2);
    const again = (await api(PAGE, { first: 200, after: first.pageInfo.endCursor, action: 'campaign.' })).auditTrailPage;
    expect(again.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(rest.edges.map((e: { node: { id: string } }) => e.node.id));
    // The newest page now starts with what was appended.
    const newest = (await api(PAGE, { first: 2, action: 'campaign.' })).auditTrailPage;
    expect(newest.edges.map((e: { node: { subject: string } }) => e.node.subject)).toEqual(['LATER_1', 'LATER_0']);
  });

  it('refuses a cursor it did not hand out and a page size outside 1-200, listing both', async () => {
    const res = await t.graphql(PAGE, { first: 0, after: 'bm90LWEtY3Vyc29y' }, { bearer: admin });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((res.errors?.[0]?.extensions?.problems as Array<{ field: string }>).map((p) => p.field)).toEqual(['first', 'after']);
  });
});

const PROGRAM = `{ loyaltyProgram { version name currency rulesJson
  tiers { code rank name names { en zhCN } minSpend { amount currency } multiplierPermille }
  tierBenefits { tierCode benefitCode quota }
  rewards { code name names { en zhCN } pointsCost partnerId benefitCode units validityDays } } }`;

describe('the loyalty program in force', () => {
  it('shows the earn rules as setEarnRules takes them, the tier ladder, what tiers unlock and the rewards on offer', async () => {
    const { loyaltyProgram: program } = await api(PROGRAM, {}, pm);
    const [stored] = await t.db.query<{ rules: Record<string, unknown>; version: number }>(`select rules, version from loyalty_program`);
    expect(program.version).toBe(stored!.version);
    expect(JSON.parse(program.rulesJson)).toMatchObject(stored!.rules);
    expect(program.currency).toBe('CNY');
    expect(program.tiers.map((t: { code: string; minSpend: { amount: number } | null; multiplierPermille: number }) => [t.code, t.minSpend?.amount ?? null, t.multiplierPermille])).toEqual([
      ['MEMBER', null, 1000],
      ['SILVER', 200_000, 1200],
      ['GOLD', 600_000, 1500],
      ['DIAMOND', 1_200_000, 2000],
    ]);
    expect(program.tiers[2].names).toEqual({ en: 'Gold', zhCN: expect.any(String) });
    expect(program.tierBenefits).toEqual([
      { tierCode: 'GOLD', benefitCode: 'CAR_WASH', quota: 1 },
      { tierCode: 'DIAMOND', benefitCode: 'COFFEE', quota: 4 },
    ]);
    expect(program.rewards.map((r: { code: string; pointsCost: number }) => [r.code, r.pointsCost])).toEqual([
      ['COFFEE_REWARD', 300],
      ['MILES_1000', 500],
      ['CAR_WASH_REWARD', 800],
    ]);
  });

  it('round-trips: its rulesJson saved as a setEarnRules change is a draft without problems', async () => {
    const { loyaltyProgram: program } = await api(PROGRAM, {}, finance);
    const { createCatalogDraft: draft } = await api(
      `mutation($input: CatalogDraftInput!) { createCatalogDraft(input: $input) { problems { field message } } }`,
      { input: { title: 'Same rules', changes: [{ setEarnRules: { rulesJson: program.rulesJson } }] } },
      pm,
    );
    expect(draft.problems).toEqual([]);
  });

  it('shows a published change at once, with the version raised', async () => {
    const before = (await api(PROGRAM, {}, analyst)).loyaltyProgram;
    const { createCatalogDraft: draft } = await api(
      `mutation($input: CatalogDraftInput!) { createCatalogDraft(input: $input) { id problems { field } } }`,
      { input: { title: 'Silver for less', changes: [{ setTier: { code: 'SILVER', minSpend: { amount: 150_000, currency: 'CNY' }, multiplierPermille: 1250 } }] } },
      pm,
    );
    expect(draft.problems).toEqual([]);
    await api(`mutation($id: ID!) { publishCatalogDraft(draftId: $id) { status } }`, { id: draft.id }, pm);
    const after = (await api(PROGRAM, {}, analyst)).loyaltyProgram;
    expect(after.version).toBe(before.version + 1);
    expect(after.tiers.find((t: { code: string }) => t.code === 'SILVER')).toMatchObject({ minSpend: { amount: 150_000, currency: 'CNY' }, multiplierPermille: 1250 });
  });
});
