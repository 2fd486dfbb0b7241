// Product managers change what members get through drafts: every problem listed at once, a
// preview on a real member, a diff against the live catalog, a publication with an effective
// date that grandfathers current members or migrates them, and a scheduled publication that,
// cancelled, changes nothing. Real PostgreSQL, through the gateway.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
let admin: string;
// How far ahead of real time the app's clock runs: moved past a scheduled publication's date so
// members subscribe after it, as they would then (JWTs are checked on real time, unaffected).
let ahead = 0;

beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(Date.now() + ahead) });
  admin = await t.adminToken('catalog-pm');
});
afterAll(async () => {
  await t?.close();
});

const DRAFT_FIELDS = `id title status createdBy effectiveAt changes { kind summary json } problems { field message }
  diff { benefitsCreated bundlesCreated plansCreated { planCode changes { field before after } } bundles { bundleCode added { benefitCode quota period minTier segments } removed { benefitCode } changed { benefitCode before { quota } after { quota } } } plans { planCode changes { field before after } } }`;
const CREATE = `mutation($input: CatalogDraftInput!) { createCatalogDraft(input: $input) { ${DRAFT_FIELDS} } }`;
const PUBLISH = `mutation($id: ID!, $at: DateTimeISO, $migrations: [BundleMigrationInput!]) { publishCatalogDraft(draftId: $id, effectiveAt: $at, migrations: $migrations) { ${DRAFT_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelCatalogPublication(draftId: $id) { id status } }`;

async function draft(title: string, changes: unknown[]) {
  const res = await t.graphql(CREATE, { input: { title, changes } }, { bearer: admin });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.createCatalogDraft;
}

async function publish(id: string, at: string | null = null, migrations: unknown[] | null = null) {
  const res = await t.graphql(PUBLISH, { id, at, migrations }, { bearer: admin });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.publishCatalogDraft;
}

async function rights(bearer: string): Promise<Record<string, number | null>> {
  const res = await t.graphql(`{ me { entitlements { status source quota benefit { code } } } }`, {}, { bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return Object.fromEntries(
    (res.data.me.entitlements as Array<{ status: string; source: string; quota: number | null; benefit: { code: string } }>)
      .filter((e) => e.source === 'MEMBERSHIP' && e.status !== 'REVOKED')
      .map((e) => [e.benefit.code, e.quota]),
  );
}

/** What a refused or cancelled change must leave as it was. */
async function catalogFootprint() {
  const [row] = await t.db.query(
    `select (select count(*)::int from bundle_version) as versions, (select count(*)::int from bundle_benefit) as lines,
            (select count(*)::int from benefit) as benefits, (select json_agg(code order by code) from bundle) as bundles,
            (select json_agg(json_build_object('code', code, 'price', price_amount, 'active', active, 'refundPolicy', refund_policy) order by code) from plan) as plans,
            (select count(*)::int from entitlement) as rights`,
  );
  return row;
}

/** A new member subscribed to `planCode` through the gateway; null and the error when refused. */
async function subscribeTo(planCode: string): Promise<{ bearer: string; membershipId: string | null; error: { code?: string } | null }> {
  const bearer = await t.memberToken(`member-${randomUUID()}`);
  const res = await t.graphql(`mutation($p: String!) { subscribe(planCode: $p, idempotencyKey: "k") { id } }`, { p: planCode }, { bearer });
  return { bearer, membershipId: res.data?.subscribe?.id ?? null, error: res.errors?.[0]?.extensions ?? null };
}

async function planCodesOnSale(): Promise<string[]> {
  const res = await t.graphql(`{ plans { code } }`, {});
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.plans.map((p: { code: string }) => p.code);
}

/** A new bundle of two benefits and a monthly plan selling it, with a full refund. */
const cityPlan = (suffix: string) => [
  { createBundle: { code: `CITY_${suffix}_BUNDLE`, name: { en: `City ${suffix}`, zhCN: `城市 ${suffix}` } } },
  { setBundleBenefit: { bundleCode: `CITY_${suffix}_BUNDLE`, benefitCode: 'COFFEE', quota: 5, period: 'CALENDAR_MONTH' } },
  { setBundleBenefit: { bundleCode: `CITY_${suffix}_BUNDLE`, benefitCode: 'CAR_WASH', quota: 1, period: 'MEMBERSHIP_TERM' } },
  {
    createPlan: {
      code: `CITY_${suffix}`,
      name: { en: `City ${suffix}`, zhCN: `城市 ${suffix}` },
      price: { amount: 990, currency: 'CNY' },
      billingPeriod: 'MONTH',
      bundleCode: `CITY_${suffix}_BUNDLE`,
      trialDays: 3,
      refundPolicy: 'FULL',
    },
  },
];

const LOUNGE = {
  createBenefit: {
    code: 'LOUNGE_PASS',
    partnerId: 'sparkwash',
    kind: 'QUOTA',
    name: { en: 'Lounge pass', zhCN: '贵宾室通行' },
    description: { en: 'A lounge visit at a SparkWash flagship', zhCN: '闪亮洗车旗舰店贵宾室一次' },
    unitPrice: { amount: 2_000, currency: 'CNY' },
    memberValue: { amount: 6_000, currency: 'CNY' },
  },
};
const LOUNGE_IN_PLUS = { setBundleBenefit: { bundleCode: 'PLUS_BUNDLE', benefitCode: 'LOUNGE_PASS', quota: 2, period: 'MEMBERSHIP_TERM' } };

describe('catalog drafts', () => {
  it('creates a benefit and adds it to PLUS: previewed on a member, diffed, published now; new members get it, current members are grandfathered', async () => {
    const current = await t.subscribedMember();
    expect(await rights(current.bearer)).toEqual({ STREAMING_VIP: null, CAR_WASH: 4, COFFEE: 10, SKYMILES_BONUS: 2_000 });

    const created = await draft('Lounge passes for PLUS', [LOUNGE, LOUNGE_IN_PLUS]);
    expect(created).toMatchObject({
      status: 'DRAFT',
      createdBy: expect.stringMatching(/^admin:/),
      problems: [],
      changes: [
        { kind: 'CREATE_BENEFIT', summary: 'new QUOTA benefit LOUNGE_PASS of sparkwash', json: expect.any(String) },
        {
          kind: 'SET_BUNDLE_BENEFIT',
          summary: 'PLUS_BUNDLE grants LOUNGE_PASS ×2 per membership term',
          json: JSON.stringify({ kind: 'SET_BUNDLE_BENEFIT', bundleCode: 'PLUS_BUNDLE', benefitCode: 'LOUNGE_PASS', quota: 2, period: 'MEMBERSHIP_TERM', minTier: null, segments: null }),
        },
      ],
      diff: {
        benefitsCreated: ['LOUNGE_PASS'],
        bundlesCreated: [],
        plansCreated: [],
        bundles: [{ bundleCode: 'PLUS_BUNDLE', added: [{ benefitCode: 'LOUNGE_PASS', quota: 2, period: 'MEMBERSHIP_TERM', minTier: null, segments: null }], removed: [], changed: [] }],
        plans: [],
      },
    });

    const preview = await t.graphql(
      `query($d: ID!, $m: ID!) { catalogPreview(draftId: $d, memberId: $m) { planCode bundleCode tier today { benefitCode quota } underDraft { benefitCode quota } } }`,
      { d: created.id, m: current.memberId },
      { bearer: admin },
    );
    expect(preview.errors, JSON.stringify(preview.errors)).toBeUndefined();
    expect(preview.data.catalogPreview).toMatchObject({ planCode: 'PLUS', bundleCode: 'PLUS_BUNDLE', tier: 'MEMBER' });
    expect(preview.data.catalogPreview.today.map((l: { benefitCode: string }) => l.benefitCode).sort()).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
    expect(preview.data.catalogPreview.underDraft.map((l: { benefitCode: string }) => l.benefitCode).sort()).toEqual(['CAR_WASH', 'COFFEE', 'LOUNGE_PASS', 'SKYMILES_BONUS', 'STREAMING_VIP']);

    const published = await publish(created.id);
    expect(published.status).toBe('PUBLISHED');
    const newcomer = await t.subscribedMember();
    expect(await rights(newcomer.bearer)).toEqual({ STREAMING_VIP: null, CAR_WASH: 4, COFFEE: 10, SKYMILES_BONUS: 2_000, LOUNGE_PASS: 2 });
    expect(await rights(current.bearer)).toEqual({ STREAMING_VIP: null, CAR_WASH: 4, COFFEE: 10, SKYMILES_BONUS: 2_000 });
    const plans = await t.graphql(`{ plans { code benefits { benefit { code name } quota } } }`, {}, { bearer: newcomer.bearer, headers: { 'accept-language': 'zh-CN' } });
    expect(plans.data.plans.find((p: { code: string }) => p.code === 'PLUS').benefits).toContainEqual({ benefit: { code: 'LOUNGE_PASS', name: '贵宾室通行' }, quota: 2 });

    // Audited, and published once.
    const audit = await t.db.query<{ action: string; actor: string }>(`select action, actor from audit_log where subject = $1 order by at, seq`, [created.id]);
    expect(audit.map((a) => a.action)).toEqual(['catalog.draft.create', 'catalog.publish']);
    const again = await t.graphql(PUBLISH, { id: created.id }, { bearer: admin });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'CATALOG_DRAFT_NOT_EDITABLE', status: 'PUBLISHED' });
  });

  it('migrates current members at the effective date when asked: their car wash quota grows, used washes carry over, the lounge pass arrives', async () => {
    const current = await t.subscribedMember();
    const before = await rights(current.bearer);
    expect(before.CAR_WASH).toBe(4);
    // One wash used before the change.
    const issued = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: current.entitlementIds.CAR_WASH }, { bearer: current.bearer });
    const washed = await t.graphql(`mutation($t: String!) { redeemEntitlement(token: $t, idempotencyKey: "before-migration") { id } }`, { t: issued.data.issueEntitlementToken.token }, { bearer: await t.partnerKey('sparkwash') });
    expect(washed.errors, JSON.stringify(washed.errors)).toBeUndefined();
    const created = await draft('Six washes a year', [{ setBundleBenefit: { bundleCode: 'PLUS_BUNDLE', benefitCode: 'CAR_WASH', quota: 6, period: 'MEMBERSHIP_TERM' } }]);
    expect(created.diff.bundles[0].changed).toEqual([{ benefitCode: 'CAR_WASH', before: { quota: 4 }, after: { quota: 6 } }]);
    const published = await publish(created.id, null, [{ bundleCode: 'PLUS_BUNDLE', members: 'MIGRATE' }]);
    expect(published.status).toBe('PUBLISHED');
    const after = await rights(current.bearer);
    expect(after.CAR_WASH).toBe(6);
    expect(after.LOUNGE_PASS).toBe(2);
    // The same right, its used wash kept: five left, not six.
    const [wash] = await t.db.query<{ id: string; used: number; quota: number }>(
      `select e.id, e.used, e.quota from entitlement e join benefit b on b.id = e.benefit_id where e.member_id = $1 and b.code = 'CAR_WASH'`,
      [current.memberId],
    );
    expect(wash).toEqual({ id: current.entitlementIds.CAR_WASH, used: 1, quota: 6 });
  });

  it('lists every problem of a bad draft at its field, refuses to publish it, and changes nothing', async () => {
    const created = await draft('Everything wrong', [
      { createBenefit: { ...LOUNGE.createBenefit, code: 'bad code', partnerId: 'nobody', name: { en: '', zhCN: '好' } } },
      { setBundleBenefit: { bundleCode: 'NOPE_BUNDLE', benefitCode: 'CAR_WASH', quota: 1, period: 'MEMBERSHIP_TERM' } },
      { setBundleBenefit: { bundleCode: 'PLUS_BUNDLE', benefitCode: 'CAR_WASH', quota: -1, period: 'MEMBERSHIP_TERM', minTier: 'PLATINUM' } },
      { updatePlan: { planCode: 'PLUS', price: { amount: 0, currency: 'CNY' } } },
    ]);
    expect(created.problems).toEqual([
      { field: 'changes[0].code', message: 'must be 2-40 capitals, digits or _ starting with a letter' },
      { field: 'changes[0].partnerId', message: 'no partner nobody' },
      { field: 'changes[0].name.en', message: 'must be 1-100 characters' },
      { field: 'changes[1].bundleCode', message: 'no bundle NOPE_BUNDLE' },
      { field: 'changes[2].quota', message: 'must be a whole number from 1 to 10000' },
      { field: 'changes[2].minTier', message: 'no tier PLATINUM' },
      { field: 'changes[3].priceAmount', message: 'must be a whole amount in minor units above 0' },
    ]);
    const footprint = await catalogFootprint();
    const refused = await t.graphql(PUBLISH, { id: created.id }, { bearer: admin });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.extensions?.problems).toEqual(created.problems);
    expect(await catalogFootprint()).toEqual(footprint);
    // A change naming none of its kinds, or two, is refused at the door.
    const shapeless = await t.graphql(CREATE, { input: { title: 'x', changes: [{}] } }, { bearer: admin });
    expect(shapeless.errors?.[0]?.extensions?.problems).toEqual([{ field: 'changes[0]', message: expect.stringContaining('exactly one of') }]);
    // Only admins (and, later, product managers) draft.
    const member = await t.subscribedMember();
    const forbidden = await t.graphql(CREATE, { input: { title: 'mine', changes: [LOUNGE_IN_PLUS] } }, { bearer: member.bearer });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('a publication scheduled for later changes nothing for members now, and cancelled before its date leaves nothing behind', async () => {
    const footprint = await catalogFootprint();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const created = await draft('Fast lane next week', [
      { createBenefit: { ...LOUNGE.createBenefit, code: 'FAST_LANE', name: { en: 'Fast lane', zhCN: '快速通道' } } },
      { setBundleBenefit: { bundleCode: 'PLUS_BUNDLE', benefitCode: 'FAST_LANE', quota: 1, period: 'CALENDAR_MONTH' } },
      { updatePlan: { planCode: 'PLUS', price: { amount: 25_800, currency: 'CNY' } } },
    ]);
    expect(created.diff.plans).toEqual([{ planCode: 'PLUS', changes: [{ field: 'priceAmount', before: '19800', after: '25800' }] }]);
    const scheduled = await publish(created.id, tomorrow);
    expect(scheduled).toMatchObject({ status: 'SCHEDULED', effectiveAt: tomorrow });
    // Not yet: a member subscribing now gets today's bundle at today's price.
    const now = await t.subscribedMember();
    expect(Object.keys(await rights(now.bearer))).not.toContain('FAST_LANE');
    const [plus] = await t.db.query<{ price_amount: number }>(`select price_amount from plan where code = 'PLUS'`);
    expect(plus!.price_amount).toBe(19_800);
    // Another draft of the same bundle waits for it.
    const blocked = await draft('Meanwhile', [{ setBundleBenefit: { bundleCode: 'PLUS_BUNDLE', benefitCode: 'CAR_WASH', quota: 5, period: 'MEMBERSHIP_TERM' } }]);
    expect(blocked.problems).toEqual([{ field: 'changes[0].bundleCode', message: expect.stringContaining('is scheduled already') }]);

    const canceled = await t.graphql(CANCEL, { id: created.id }, { bearer: admin });
    expect(canceled.errors, JSON.stringify(canceled.errors)).toBeUndefined();
    expect(canceled.data.cancelCatalogPublication.status).toBe('CANCELED');
    const { rights: _rights, ...catalogNow } = (await catalogFootprint()) as Record<string, unknown>;
    const { rights: _before, ...catalogBefore } = footprint as Record<string, unknown>;
    expect(catalogNow).toEqual(catalogBefore);
    // The due work at the would-be effective date finds nothing to do.
    await t.app.deps.dueWork!.runDue(null, new Date(Date.now() + 2 * 86_400_000));
    const [still] = await t.db.query<{ price_amount: number }>(`select price_amount from plan where code = 'PLUS'`);
    expect(still!.price_amount).toBe(19_800);
    const twice = await t.graphql(CANCEL, { id: created.id }, { bearer: admin });
    expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'CATALOG_PUBLICATION_NOT_CANCELABLE', status: 'CANCELED' });
  });

  it('a scheduled publication takes effect at its date: the new price and the new version for members subscribing from then on', async () => {
    const soon = new Date(Date.now() + 3_600_000);
    const created = await draft(`Price rise ${randomUUID().slice(0, 4)}`, [{ updatePlan: { planCode: 'PLUS_MONTHLY', price: { amount: 2_900, currency: 'CNY' } } }]);
    await publish(created.id, soon.toISOString());
    const [before] = await t.db.query<{ price_amount: number }>(`select price_amount from plan where code = 'PLUS_MONTHLY'`);
    expect(before!.price_amount).not.toBe(2_900);
    // Two workers at the effective date: one claims it, the other finds nothing left to do.
    await Promise.all([t.app.deps.dueWork!.runDue(null, soon), t.app.deps.dueWork!.runDue(null, soon)]);
    const [after] = await t.db.query<{ price_amount: number }>(`select price_amount from plan where code = 'PLUS_MONTHLY'`);
    expect(after!.price_amount).toBe(2_900);
    const status = await t.graphql(`query($id: ID!) { catalogDraft(draftId: $id) { status } }`, { id: created.id }, { bearer: admin });
    expect(status.data.catalogDraft.status).toBe('PUBLISHED');
  });
});

describe('new bundles and plans, and the rest of a plan\'s terms, in drafts', () => {
  it('lists every problem of new bundles, new plans and plan terms at their fields, refuses to publish, and changes nothing', async () => {
    const footprint = await catalogFootprint();
    const created = await draft('New plans, all wrong', [
      { createBundle: { code: 'bad bundle', name: { en: '', zhCN: '空' } } },
      { createBundle: { code: 'PLUS_BUNDLE', name: { en: 'Plus again', zhCN: '会员' } } },
      { createBundle: { code: 'EMPTY_BUNDLE', name: { en: 'Empty', zhCN: '空' } } },
      {
        createPlan: {
          code: 'PLUS',
          name: { en: 'Plus again', zhCN: '会员' },
          price: { amount: 0, currency: 'YUAN' },
          billingPeriod: 'YEAR',
          bundleCode: 'NOPE_BUNDLE',
          trialDays: 91,
          graceDays: 61,
          reminderDays: -1,
        },
      },
      { createPlan: { code: 'EMPTY', name: { en: 'Empty', zhCN: '空' }, price: { amount: 100, currency: 'CNY' }, billingPeriod: 'MONTH', bundleCode: 'EMPTY_BUNDLE' } },
      { createPlan: { code: 'EMPTY', name: { en: 'Empty', zhCN: '空' }, price: { amount: 100, currency: 'CNY' }, billingPeriod: 'MONTH', bundleCode: 'PLUS_BUNDLE' } },
      { updatePlan: { planCode: 'PLUS', reminderDays: 61, name: { en: '', zhCN: ' ' } } },
    ]);
    expect(created.problems).toEqual([
      { field: 'changes[0].code', message: 'must be 2-40 capitals, digits or _ starting with a letter' },
      { field: 'changes[0].name.en', message: 'must be 1-100 characters' },
      { field: 'changes[1].code', message: 'a bundle PLUS_BUNDLE exists already' },
      { field: 'changes[2]', message: 'a new bundle must grant at least one benefit: add a setBundleBenefit change naming EMPTY_BUNDLE' },
      { field: 'changes[3].code', message: 'a plan PLUS exists already' },
      { field: 'changes[3].price.amount', message: 'must be a whole amount in minor units above 0' },
      { field: 'changes[3].trialDays', message: 'must be a whole number of days from 0 to 90' },
      { field: 'changes[3].graceDays', message: 'must be a whole number of days from 0 to 60' },
      { field: 'changes[3].reminderDays', message: 'must be a whole number of days from 0 to 60' },
      { field: 'changes[3].price.currency', message: 'must be an ISO currency code' },
      { field: 'changes[3].bundleCode', message: 'no bundle NOPE_BUNDLE (create it first, in this draft or before)' },
      { field: 'changes[5].code', message: 'a plan EMPTY exists already' },
      { field: 'changes[6].reminderDays', message: 'must be a whole number of days from 0 to 60' },
      { field: 'changes[6].name.en', message: 'must be 1-100 characters' },
      { field: 'changes[6].name.zhCN', message: 'must be 1-100 characters' },
    ]);
    const refused = await t.graphql(PUBLISH, { id: created.id }, { bearer: admin });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.extensions?.problems).toEqual(created.problems);
    expect(await catalogFootprint()).toEqual(footprint);
  });

  it('publishes a new bundle and a plan selling it now: diffed, audited, listed in plans, and a member who subscribes holds the bundle\'s rights', async () => {
    const created = await draft('City plan', cityPlan('NOW'));
    expect(created.problems).toEqual([]);
    expect(created.changes.map((c: { kind: string }) => c.kind)).toEqual(['CREATE_BUNDLE', 'SET_BUNDLE_BENEFIT', 'SET_BUNDLE_BENEFIT', 'CREATE_PLAN']);
    expect(created.diff).toMatchObject({
      bundlesCreated: ['CITY_NOW_BUNDLE'],
      bundles: [{ bundleCode: 'CITY_NOW_BUNDLE', added: [{ benefitCode: 'COFFEE', quota: 5 }, { benefitCode: 'CAR_WASH', quota: 1 }], removed: [], changed: [] }],
      plans: [],
    });
    expect(created.diff.plansCreated).toEqual([
      {
        planCode: 'CITY_NOW',
        changes: expect.arrayContaining([
          { field: 'name.zhCN', before: '', after: '城市 NOW' },
          { field: 'priceAmount', before: '', after: '990' },
          { field: 'billingPeriod', before: '', after: 'MONTH' },
          { field: 'bundleCode', before: '', after: 'CITY_NOW_BUNDLE' },
          { field: 'refundPolicy', before: '', after: 'FULL' },
          { field: 'trialDays', before: '', after: '3' },
          { field: 'graceDays', before: '', after: '7' },
        ]),
      },
    ]);
    // The preview of a member of another plan still works: the new bundle is none of theirs.
    const current = await t.subscribedMember();
    const preview = await t.graphql(`query($d: ID!, $m: ID!) { catalogPreview(draftId: $d, memberId: $m) { planCode today { benefitCode } underDraft { benefitCode } } }`, { d: created.id, m: current.memberId }, { bearer: admin });
    expect(preview.errors, JSON.stringify(preview.errors)).toBeUndefined();
    expect(preview.data.catalogPreview.underDraft).toEqual(preview.data.catalogPreview.today);
    expect(await planCodesOnSale()).not.toContain('CITY_NOW');

    const published = await publish(created.id);
    expect(published.status).toBe('PUBLISHED');
    const plans = await t.graphql(`{ plans { code name price { amount currency } billingPeriod trialDays refundPolicy benefits { benefit { code } quota } } }`, {}, { headers: { 'accept-language': 'zh-CN' } });
    expect(plans.data.plans.find((p: { code: string }) => p.code === 'CITY_NOW')).toEqual({
      code: 'CITY_NOW',
      name: '城市 NOW',
      price: { amount: 990, currency: 'CNY' },
      billingPeriod: 'MONTH',
      trialDays: 3,
      refundPolicy: 'FULL',
      benefits: [{ benefit: { code: 'COFFEE' }, quota: 5 }, { benefit: { code: 'CAR_WASH' }, quota: 1 }],
    });
    const member = await subscribeTo('CITY_NOW');
    expect(member.error).toBeNull();
    expect(await rights(member.bearer)).toEqual({ COFFEE: 5, CAR_WASH: 1 });
    const [bundle] = await t.db.query<{ name: unknown; versions: number }>(
      `select b.name, (select count(*)::int from bundle_version v where v.bundle_id = b.id and v.version = 1) as versions from bundle b where b.code = 'CITY_NOW_BUNDLE'`,
    );
    expect(bundle).toEqual({ name: { en: 'City NOW', 'zh-CN': '城市 NOW' }, versions: 1 });

    // The publication's audit entry names what it created.
    const [entry] = await t.db.query<{ before: any; after: any }>(`select before, after from audit_log where subject = $1 and action = 'catalog.publish'`, [created.id]);
    expect(entry!.before).toMatchObject({ bundles: { CITY_NOW_BUNDLE: null }, plans: { CITY_NOW: null } });
    expect(entry!.after.diff).toMatchObject({ bundlesCreated: ['CITY_NOW_BUNDLE'], plansCreated: [{ planCode: 'CITY_NOW' }] });
    expect(entry!.after.plansCreated).toMatchObject([{ code: 'CITY_NOW', priceAmount: 990, bundleCode: 'CITY_NOW_BUNDLE', refundPolicy: 'FULL' }]);
    expect(entry!.after.outcome).toMatchObject({ bundlesCreated: [{ bundleCode: 'CITY_NOW_BUNDLE' }], plansCreated: [{ planCode: 'CITY_NOW' }] });
    // Once it exists, another draft creating it again is told so.
    const again = await draft('City again', cityPlan('NOW'));
    expect(again.problems).toContainEqual({ field: 'changes[0].code', message: 'a bundle CITY_NOW_BUNDLE exists already' });
    expect(again.problems).toContainEqual({ field: 'changes[3].code', message: 'a plan CITY_NOW exists already' });
  });

  it('a new plan published for later is not on sale before its date, and is from its date with its bundle\'s rights', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const created = await draft('City plan next hour', cityPlan('LATER'));
    const scheduled = await publish(created.id, at.toISOString());
    expect(scheduled.status).toBe('SCHEDULED');
    // In the catalog, off sale: nobody can buy it early.
    const [row] = await t.db.query<{ active: boolean }>(`select active from plan where code = 'CITY_LATER'`);
    expect(row!.active).toBe(false);
    expect(await planCodesOnSale()).not.toContain('CITY_LATER');
    expect((await subscribeTo('CITY_LATER')).error).toMatchObject({ code: 'NOT_FOUND' });
    // Another draft may neither change it nor sell its bundle meanwhile.
    const meanwhile = await draft('Meanwhile', [
      { updatePlan: { planCode: 'CITY_LATER', active: true } },
      { createPlan: { code: 'CITY_LATER_2', name: { en: 'x', zhCN: 'x' }, price: { amount: 100, currency: 'CNY' }, billingPeriod: 'MONTH', bundleCode: 'CITY_LATER_BUNDLE' } },
    ]);
    expect(meanwhile.problems).toEqual([
      { field: 'changes[0].planCode', message: 'CITY_LATER is created by a scheduled publication: cancel it or wait until it takes effect' },
      { field: 'changes[1].bundleCode', message: 'CITY_LATER_BUNDLE is created by a scheduled publication: cancel it or wait until it takes effect' },
    ]);

    // The effective date: the due work puts it on sale, and members subscribing from then on get its bundle.
    ahead = 3_660_000;
    try {
      await t.app.deps.dueWork!.runDue(null, at);
      expect(await planCodesOnSale()).toContain('CITY_LATER');
      const member = await subscribeTo('CITY_LATER');
      expect(member.error).toBeNull();
      expect(await rights(member.bearer)).toEqual({ COFFEE: 5, CAR_WASH: 1 });
      const status = await t.graphql(`query($id: ID!) { catalogDraft(draftId: $id) { status } }`, { id: created.id }, { bearer: admin });
      expect(status.data.catalogDraft.status).toBe('PUBLISHED');
    } finally {
      ahead = 0;
    }
  });

  it('a new bundle and plan published for later, cancelled before the date, leave nothing behind', async () => {
    const footprint = await catalogFootprint();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const created = await draft('Spa plan tomorrow', [
      { createBenefit: { ...LOUNGE.createBenefit, code: 'SPA_VISIT', name: { en: 'Spa visit', zhCN: '水疗' } } },
      ...cityPlan('SPA'),
      { setBundleBenefit: { bundleCode: 'CITY_SPA_BUNDLE', benefitCode: 'SPA_VISIT', quota: 1, period: 'CALENDAR_MONTH' } },
    ]);
    expect(created.problems).toEqual([]);
    await publish(created.id, tomorrow);
    const [made] = await t.db.query<{ plans: number; bundles: number }>(
      `select (select count(*)::int from plan where code = 'CITY_SPA') as plans, (select count(*)::int from bundle where code = 'CITY_SPA_BUNDLE') as bundles`,
    );
    expect(made).toEqual({ plans: 1, bundles: 1 });

    const canceled = await t.graphql(CANCEL, { id: created.id }, { bearer: admin });
    expect(canceled.errors, JSON.stringify(canceled.errors)).toBeUndefined();
    expect(await catalogFootprint()).toEqual(footprint);
    const [left] = await t.db.query<{ plans: number; bundles: number; benefits: number }>(
      `select (select count(*)::int from plan where code = 'CITY_SPA') as plans, (select count(*)::int from bundle where code = 'CITY_SPA_BUNDLE') as bundles,
              (select count(*)::int from benefit where code = 'SPA_VISIT') as benefits`,
    );
    expect(left).toEqual({ plans: 0, bundles: 0, benefits: 0 });
    // Its date comes and goes: nothing goes on sale.
    await t.app.deps.dueWork!.runDue(null, new Date(Date.now() + 2 * 86_400_000));
    expect(await planCodesOnSale()).not.toContain('CITY_SPA');
    // The codes are free again.
    const reuse = await draft('Spa again', cityPlan('SPA'));
    expect(reuse.problems).toEqual([]);
  });

  it("changes PLUS's refund policy, reminder days, grace access and name: diffed, applied when published, and refundQuote follows the new policy", async () => {
    const member = await t.subscribedMember();
    const QUOTE = `query($id: ID!) { refundQuote(membershipId: $id) { policy paid { amount } amount { amount } } }`;
    const before = await t.graphql(QUOTE, { id: member.membershipId }, { bearer: member.bearer });
    expect(before.errors, JSON.stringify(before.errors)).toBeUndefined();
    expect(before.data.refundQuote.policy).toBe('PRO_RATA_MINUS_USED');

    const created = await draft('Full refunds for PLUS', [
      { updatePlan: { planCode: 'PLUS', refundPolicy: 'FULL', reminderDays: 14, graceAccess: 'SUSPENDED', name: { en: 'Plus Annual', zhCN: '年度会员' } } },
    ]);
    expect(created.problems).toEqual([]);
    expect(created.changes[0].summary).toBe('PLUS: refundPolicy FULL, reminderDays 14, graceAccess SUSPENDED, name Plus Annual / 年度会员');
    const [plus] = await t.db.query<{ name: { en: string; 'zh-CN': string } }>(`select name from plan where code = 'PLUS'`);
    expect(created.diff.plans).toEqual([
      {
        planCode: 'PLUS',
        changes: [
          { field: 'refundPolicy', before: 'PRO_RATA_MINUS_USED', after: 'FULL' },
          { field: 'reminderDays', before: '7', after: '14' },
          { field: 'graceAccess', before: 'USABLE', after: 'SUSPENDED' },
          { field: 'name.en', before: plus!.name.en, after: 'Plus Annual' },
          { field: 'name.zhCN', before: plus!.name['zh-CN'], after: '年度会员' },
        ],
      },
    ]);
    await publish(created.id);
    const [row] = await t.db.query(`select refund_policy, reminder_days, grace_access, name from plan where code = 'PLUS'`);
    expect(row).toEqual({ refund_policy: 'FULL', reminder_days: 14, grace_access: 'SUSPENDED', name: { en: 'Plus Annual', 'zh-CN': '年度会员' } });
    const after = await t.graphql(QUOTE, { id: member.membershipId }, { bearer: member.bearer });
    expect(after.data.refundQuote).toEqual({ policy: 'FULL', paid: { amount: 19_800 }, amount: { amount: 19_800 } });
    const plans = await t.graphql(`{ plans { code name refundPolicy } }`, {}, { headers: { 'accept-language': 'zh-CN' } });
    expect(plans.data.plans).toContainEqual({ code: 'PLUS', name: '年度会员', refundPolicy: 'FULL' });
  });
});

describe('loyalty program changes in drafts', () => {
  it('lists every problem of rewards, tiers, tier benefits and earn rules at its field, the ladder included', async () => {
    // Malformed JSON is refused at the door, changing nothing.
    const malformed = await t.graphql(CREATE, { input: { title: 'Bad JSON', changes: [{ setEarnRules: { rulesJson: '{ not json' } }] } }, { bearer: admin });
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ field: 'changes[0].rulesJson', message: 'must be JSON' }] });
    const res = await t.graphql(CREATE, {
      input: {
        title: 'Loyalty, all wrong',
        changes: [
          { setReward: { code: 'x', name: { en: 'A wash', zhCN: '洗车' }, pointsCost: 0, partnerId: 'nobody', benefitCode: 'NOPE', units: 1 } },
          { setTier: { code: 'GOLD', minSpend: { amount: 100_000, currency: 'CNY' }, multiplierPermille: 1500 } },
          { setTierBenefit: { tierCode: 'MEMBER', benefitCode: 'COFFEE', quota: 1 } },
          { setEarnRules: { rulesJson: JSON.stringify({ currency: 'CNY', earn: { purchase: { points: -1, per: 100 } } }) } },
        ],
      },
    }, { bearer: admin });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    const fields = (res.data.createCatalogDraft.problems as Array<{ field: string }>).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['changes[0].code', 'changes[0].pointsCost', 'changes[0].partnerId', 'changes[0].benefitCode', 'changes[1].minSpend', 'changes[2].tierCode']));
    expect(fields.some((f) => f.startsWith('changes[3].rules.'))).toBe(true);
    expect(res.data.createCatalogDraft.problems).toContainEqual({ field: 'changes[1].minSpend', message: 'GOLD must need more than SILVER' });
  });

  it('publishes a cheaper coffee and a coffee a month for Silver: members read the new price at once, Silver members get the coffee at the next roll', async () => {
    const member = await t.subscribedMember();
    const order = await t.graphql(
      `mutation($m: ID!) { recordActivity(input: { memberId: $m, type: PURCHASE, channel: "app", externalId: "silver-order", amount: { amount: 250000, currency: "CNY" } }) { tierAfter } }`,
      { m: member.memberId },
      { bearer: admin },
    );
    expect(order.data.recordActivity.tierAfter).toBe('SILVER');
    const created = await draft('Coffee for Silver', [
      { setReward: { code: 'COFFEE_REWARD', name: { en: 'A BrewBar coffee', zhCN: '醇吧咖啡一杯' }, pointsCost: 250, partnerId: 'brewbar', benefitCode: 'COFFEE', units: 1, validityDays: 30 } },
      { setTierBenefit: { tierCode: 'SILVER', benefitCode: 'COFFEE', quota: 1 } },
    ]);
    expect(created.problems).toEqual([]);
    const published = await publish(created.id);
    expect(published.status).toBe('PUBLISHED');
    const rewards = await t.graphql(`{ me { rewards { code pointsCost } } }`, {}, { bearer: member.bearer });
    expect(rewards.data.me.rewards).toContainEqual({ code: 'COFFEE_REWARD', pointsCost: 250 });
    await t.app.deps.dueWork!.runDue(null, new Date());
    const res = await t.graphql(`{ me { entitlements { source sourceRef quota benefit { code } } } }`, {}, { bearer: member.bearer });
    expect(res.data.me.entitlements).toContainEqual({ source: 'TIER', sourceRef: 'SILVER', quota: 1, benefit: { code: 'COFFEE' } });
  });
});

describe('segment definitions in drafts', () => {
  const liveConfig = async () => (await t.db.query(`select version, document from segment_config order by version desc limit 1`))[0] as { version: number; document: Record<string, any> };

  it('lists every problem of new segment definitions at its field, and of JSON that is none, changing nothing', async () => {
    const before = await liveConfig();
    const bad = structuredClone(before.document);
    bad.lifecycle.churnedAfterDays = bad.lifecycle.dormantAfterDays;
    bad.schedule.hour = 25;
    const res = await t.graphql(CREATE, { input: { title: 'Bad segments', changes: [{ setSegmentConfig: { configJson: JSON.stringify(bad) } }] } }, { bearer: admin });
    expect(res.errors).toBeUndefined();
    expect(res.data.createCatalogDraft.problems.map((p: { field: string }) => p.field).sort()).toEqual(['changes[0].config.lifecycle.churnedAfterDays', 'changes[0].config.schedule.hour']);
    const notJson = await t.graphql(CREATE, { input: { title: 'Not JSON', changes: [{ setSegmentConfig: { configJson: '{ "rfm": ' } }] } }, { bearer: admin });
    expect(notJson.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(notJson.errors?.[0]?.extensions?.problems).toEqual([{ field: 'changes[0].configJson', message: 'must be JSON' }]);
    const refused = await t.graphql(PUBLISH, { id: res.data.createCatalogDraft.id, at: null, migrations: null }, { bearer: admin });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await liveConfig()).toEqual(before);
  });

  it('publishes new segment definitions as a new version: diffed by part, installed at the effective date, and the segments list the new value tier', async () => {
    const before = await liveConfig();
    const next = structuredClone(before.document);
    next.lifecycle.newDays = before.document.lifecycle.newDays + 7;
    next.value = [...(next.value ?? []), { code: 'BIG_SPENDER', name: { en: 'Big spenders', 'zh-CN': '高消费会员' }, description: { en: 'Spent ¥10,000 in the window', 'zh-CN': '期内消费满一万元' }, monetaryAtLeast: 1_000_000 }];
    const created = await draft('Big spenders', [{ setSegmentConfig: { configJson: JSON.stringify(next) } }]);
    expect(created.problems).toEqual([]);
    expect(created.changes[0].summary).toBe('new segment definitions');
    const scheduled = await publish(created.id, new Date(Date.now() + 86_400_000).toISOString());
    expect(scheduled.status).toBe('SCHEDULED');
    expect((await liveConfig()).version).toBe(before.version);
    await t.graphql(CANCEL, { id: created.id }, { bearer: admin });

    const again = await draft('Big spenders, now', [{ setSegmentConfig: { configJson: JSON.stringify(next) } }]);
    const published = await publish(again.id);
    expect(published.status).toBe('PUBLISHED');
    const after = await liveConfig();
    expect(after.version).toBe(before.version + 1);
    expect(after.document.lifecycle.newDays).toBe(next.lifecycle.newDays);
    const segments = await t.graphql(`{ segments { code kind } }`, {}, { bearer: admin });
    expect(segments.data.segments).toContainEqual({ code: 'BIG_SPENDER', kind: 'VALUE' });
  });
});

describe('partners and the audit trail', () => {
  it('adds a partner with its point prices, changes them, refuses bad input listing every problem, and shows each change in the audit trail', async () => {
    const SAVE = `mutation($input: PartnerInput!) { createPartner(input: $input) { id name pointsIssuePricePer1000 { amount currency } pointsBurnPricePer1000 { amount currency } } }`;
    const created = await t.graphql(SAVE, { input: { id: 'teahouse', name: { en: 'Teahouse', zhCN: '茶馆' }, pointsIssuePricePer1000: { amount: 700, currency: 'CNY' }, pointsBurnPricePer1000: { amount: 550, currency: 'CNY' } } }, { bearer: admin });
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    expect(created.data.createPartner).toEqual({ id: 'teahouse', name: 'Teahouse', pointsIssuePricePer1000: { amount: 700, currency: 'CNY' }, pointsBurnPricePer1000: { amount: 550, currency: 'CNY' } });
    const again = await t.graphql(SAVE, { input: { id: 'teahouse', name: { en: 'Teahouse', zhCN: '茶馆' } } }, { bearer: admin });
    expect(again.errors?.[0]?.extensions?.problems).toEqual([{ field: 'id', message: 'a partner teahouse exists already' }]);
    const bad = await t.graphql(SAVE, { input: { id: 'No Spaces', name: { en: '', zhCN: '' }, pointsIssuePricePer1000: { amount: -1, currency: 'CNY' } } }, { bearer: admin });
    expect((bad.errors?.[0]?.extensions?.problems as Array<{ field: string }>).map((p) => p.field)).toEqual(['id', 'name.en', 'name.zhCN', 'pointsIssuePricePer1000.amount']);
    const updated = await t.graphql(
      `mutation($input: PartnerInput!) { updatePartner(partnerId: "teahouse", input: $input) { pointsBurnPricePer1000 { amount } } }`,
      { input: { name: { en: 'Teahouse', zhCN: '茶馆' }, pointsIssuePricePer1000: { amount: 700, currency: 'CNY' }, pointsBurnPricePer1000: { amount: 600, currency: 'CNY' } } },
      { bearer: admin },
    );
    expect(updated.data.updatePartner.pointsBurnPricePer1000.amount).toBe(600);

    const trail = await t.graphql(`{ auditTrail(subject: "teahouse") { actor action before after } }`, {}, { bearer: admin });
    expect(trail.errors, JSON.stringify(trail.errors)).toBeUndefined();
    expect(trail.data.auditTrail.map((e: { action: string }) => e.action)).toEqual(['partner.update', 'partner.create']);
    expect(JSON.parse(trail.data.auditTrail[0].before).points_burn_price_per1000).toBe(550);
    expect(JSON.parse(trail.data.auditTrail[0].after).points_burn_price_per1000).toBe(600);
    const catalog = await t.graphql(`{ auditTrail(action: "catalog.", first: 100) { action } }`, {}, { bearer: admin });
    expect(new Set(catalog.data.auditTrail.map((e: { action: string }) => e.action))).toEqual(new Set(['catalog.draft.create', 'catalog.publish', 'catalog.cancel']));
    const member = await t.subscribedMember();
    const forbidden = await t.graphql(`{ auditTrail { action } }`, {}, { bearer: member.bearer });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
