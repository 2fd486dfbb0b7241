// Issue 4 item 11: a member's data rights (PIPL / GDPR). An export of everything held about a
// member in one machine-readable file; erasure that removes personal data and keeps the rest
// pseudonymized, so the ledger, partner settlements and the audit chain still hold.
import { createHash, randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/modules/audit/index.js';
import { DEV_ISSUER } from '../src/modules/auth/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { StaffRole } from '../src/platform/principal.js';
import { ERASED_ISSUER, MemberDirectory } from '../src/modules/member/index.js';
import { DATA_EXPORT_SCHEMA_VERSION, DATA_EXPORT_SECTIONS, PSEUDONYM_SECTION, SELF_SERVICE_REASON } from '../src/modules/privacy/index.js';
import { DeleteMyAccountDocument, MyDataExportDocument } from './generated/operations.js';
import { drainUntilFinished, importWorker, upload } from './support/imports.js';
import { startTestApp, type TestApp } from './support/app.js';

const SUBSCRIBE = `mutation($key: String!) { subscribe(planCode: "PLUS", idempotencyKey: $key) { id } }`;
const ME = `{ me { id membership { id status } entitlements { id status benefit { code } } } }`;
const ISSUE = `mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`;
const REDEEM = `mutation($token: String!, $key: String!, $units: Int) { redeemEntitlement(token: $token, idempotencyKey: $key, units: $units) { id } }`;
const VOID = `mutation($id: ID!, $reason: String!) { voidRedemption(redemptionId: $id, reason: $reason) { id } }`;
const CLAIM = `mutation($id: ID!) { claimVoucher(entitlementId: $id) { code } }`;
const REFUND = `mutation($id: ID!) { refundMembership(membershipId: $id, policy: FULL) { status } }`;
const ADMIN_EXPORT = `query($id: ID!) { memberDataExport(memberId: $id) { memberId fileName format schemaVersion generatedAt sha256 byteLength json } }`;
const ERASE = `mutation($id: ID!, $reason: String!) {
  eraseMember(memberId: $id, reason: $reason) { memberId erasedAt alreadyErased membershipsEnded rightsRevoked revocationsQueued partnerReferencesRemoved }
}`;
const SETTLEMENT = `query($from: DateTimeISO!, $to: DateTimeISO!) {
  partnerSettlement(from: $from, to: $to) {
    currency totalRedemptions totalVoidedRedemptions totalUnits totalAmount { amount currency }
    lines { benefit { code } redemptions voidedRedemptions units amount { amount currency } }
  }
}`;

/** The tables a member's data lives in: where a new one must be added to the export. */
const MEMBER_ROOT_TABLES = ['member'];

let t: TestApp;
let orm: MikroORM;
let partnerKeys: Record<'sparkwash' | 'brewbar' | 'streamflix' | 'skymiles', string>;
let admin: string;
let adminId: string;

beforeAll(async () => {
  t = await startTestApp();
  orm = await connectOrm({ databaseUrl: t.db.url, entities: [], poolSize: 2 });
  const [sparkwash, brewbar, streamflix, skymiles] = await Promise.all(['sparkwash', 'brewbar', 'streamflix', 'skymiles'].map((p) => t.partnerKey(p)));
  partnerKeys = { sparkwash: sparkwash!, brewbar: brewbar!, streamflix: streamflix!, skymiles: skymiles! };
  admin = await t.adminToken(`admin-${randomUUID()}`);
  adminId = (await t.graphql(`{ me { id } }`, {}, { bearer: admin })).data.me.id;
  const codes = Array.from({ length: 40 }, (_, i) => `PRIVACY-${String(i).padStart(3, '0')}`);
  const upload = await t.graphql(`mutation($codes: [String!]!) { uploadVoucherCodes(benefitCode: "COFFEE", codes: $codes) { accepted } }`, { codes }, { bearer: partnerKeys.brewbar });
  expect(upload.errors).toBeUndefined();
  // A campaign every purchase qualifies for, so members' exports hold campaign grants.
  const campaign = await t.graphql(
    `mutation($input: CampaignInput!) { createCampaign(input: $input) { code } }`,
    {
      input: {
        code: 'PRIVACY_BONUS',
        name: { en: 'Bonus', zhCN: '奖励' },
        offer: { en: '+10 points', zhCN: '加赠10积分' },
        kind: 'BONUS_POINTS',
        startsAt: '2020-01-01T00:00:00Z',
        endsAt: '2040-01-01T00:00:00Z',
        bonusPoints: 10,
      },
    },
    { bearer: admin },
  );
  expect(campaign.errors).toBeUndefined();
  // …and one that grants every member a car wash for its window, so they hold a campaign's right.
  const gift = await t.graphql(
    `mutation($input: CampaignInput!) { createCampaign(input: $input) { code } }`,
    {
      input: {
        code: 'PRIVACY_GIFT',
        name: { en: 'Gift', zhCN: '礼遇' },
        offer: { en: 'A car wash on us', zhCN: '赠洗车一次' },
        kind: 'EXTRA_BENEFIT',
        startsAt: '2020-01-01T00:00:00Z',
        endsAt: '2040-01-01T00:00:00Z',
        benefitCode: 'CAR_WASH',
      },
    },
    { bearer: admin },
  );
  expect(gift.errors, JSON.stringify(gift.errors)).toBeUndefined();
});
afterAll(async () => {
  await orm?.close();
  await t?.close();
});

interface TestMember {
  subject: string;
  bearer: string;
  memberId: string;
  membershipId: string;
  /** Entitlement ids of the live membership, by benefit code. */
  ids: Record<string, string>;
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A member subscribed to PLUS through the gateway, signing in as `subject` (on a test clock frozen now, with `onClock`). */
async function newMember(subject = `privacy-${randomUUID()}`, key = `sub-${randomUUID()}`, onClock = false): Promise<TestMember> {
  const bearer = await t.memberToken(subject);
  if (onClock) {
    const fresh = await t.graphql(`{ me { id } }`, {}, { bearer });
    const clock = await t.graphql(`mutation($at: DateTimeISO!) { createTestClock(frozenTime: $at) { id } }`, { at: new Date().toISOString() }, { bearer: admin });
    const attached = await t.graphql(`mutation($c: ID!, $m: ID!) { attachTestClock(testClockId: $c, memberId: $m) { id } }`, { c: clock.data.createTestClock.id, m: fresh.data.me.id }, { bearer: admin });
    expect(attached.errors).toBeUndefined();
  }
  const sub = await t.graphql(SUBSCRIBE, { key }, { bearer });
  expect(sub.errors).toBeUndefined();
  const me = await t.graphql(ME, {}, { bearer });
  return {
    subject,
    bearer,
    memberId: me.data.me.id,
    membershipId: sub.data.subscribe.id,
    ids: Object.fromEntries(me.data.me.entitlements.map((e: { id: string; benefit: { code: string } }) => [e.benefit.code, e.id])),
  };
}

async function issue(member: TestMember, code: string): Promise<string> {
  const res = await t.graphql(ISSUE, { id: member.ids[code] }, { bearer: member.bearer });
  expect(res.errors).toBeUndefined();
  return res.data.issueEntitlementToken.token;
}

async function redeem(member: TestMember, units: number): Promise<string> {
  const res = await t.graphql(REDEEM, { token: await issue(member, 'CAR_WASH'), key: randomUUID(), units }, { bearer: partnerKeys.sparkwash });
  expect(res.errors).toBeUndefined();
  return res.data.redeemEntitlement.id;
}

/**
 * Uses every feature that leaves data behind: provisioning at the partners (and SkyMiles'
 * acknowledgement with its reference), tokens, redemptions, a void, a voucher claim.
 */
async function activeMember(subject?: string, onClock = false): Promise<TestMember & { redemptionIds: string[]; voucherCode: string }> {
  const member = await newMember(subject, undefined, onClock);
  await t.app.outbox.drain();
  await eventually(
    async () => (await t.db.query(`select 1 from inbound_partner_event where body ->> 'entitlementId' = $1`, [member.ids.SKYMILES_BONUS])).length > 0,
    'the skymiles acknowledgement',
  );
  const kept = await redeem(member, 2);
  const voided = await redeem(member, 1);
  const voidRes = await t.graphql(VOID, { id: voided, reason: 'scanned twice at the till' }, { bearer: partnerKeys.sparkwash });
  expect(voidRes.errors).toBeUndefined();
  const claim = await t.graphql(CLAIM, { id: member.ids.COFFEE }, { bearer: member.bearer });
  expect(claim.errors).toBeUndefined();
  await issue(member, 'COFFEE'); // a token never presented
  // How they want to hear about their moments (their joining is one already).
  const preferences = await t.graphql(`mutation { setMessagingPreferences(locale: "en", optOut: [POINTS_EARNED]) { locale } }`, {}, { bearer: member.bearer });
  expect(preferences.errors, JSON.stringify(preferences.errors)).toBeUndefined();
  // Loyalty: a purchase that reaches SILVER, part of it refunded, a check-in.
  const order = `order-${randomUUID()}`;
  for (const input of [
    { type: 'PURCHASE', externalId: order, amount: { amount: 250_000, currency: 'CNY' } },
    { type: 'REFUND', externalId: `refund-${randomUUID()}`, refundOf: order, amount: { amount: 10_000, currency: 'CNY' } },
    { type: 'CHECK_IN', externalId: `check-in-${randomUUID()}` },
  ]) {
    const recorded = await t.graphql(`mutation($input: ActivityInput!) { recordActivity(input: $input) { id } }`, { input: { memberId: member.memberId, channel: 'app', ...input } }, { bearer: admin });
    expect(recorded.errors, JSON.stringify(recorded.errors)).toBeUndefined();
  }
  // …and one more purchase through a bulk import.
  const line = JSON.stringify({ memberId: member.memberId, type: 'PURCHASE', channel: 'store-pos', externalId: `import-${randomUUID()}`, amount: { amount: 1_000, currency: 'CNY' } });
  const uploaded = await upload(t, `${line}\n`, 'application/x-ndjson', admin);
  expect(uploaded.status).toBe(202);
  expect((await drainUntilFinished(t, admin, uploaded.body.id, importWorker(t))).accepted).toBe(1);
  const birthday = await t.graphql(`mutation { setMyBirthday(month: 2, day: 29) { month } }`, {}, { bearer: member.bearer });
  expect(birthday.errors, JSON.stringify(birthday.errors)).toBeUndefined();
  const reward = await t.graphql(`mutation { redeemReward(rewardCode: "COFFEE_REWARD", idempotencyKey: "my-first-coffee") { pointsBalance } }`, {}, { bearer: member.bearer });
  expect(reward.errors, JSON.stringify(reward.errors)).toBeUndefined();
  const card = await t.graphql(`mutation { issueMembershipCard(partnerId: "brewbar") { expiresAt } }`, {}, { bearer: member.bearer });
  expect(card.errors, JSON.stringify(card.errors)).toBeUndefined();
  // Segments: their clock's members (or those on real time) computed now.
  const clockId = onClock ? (await t.db.query<{ test_clock_id: string }>(`select test_clock_id from test_clock_member where member_id = $1`, [member.memberId]))[0]!.test_clock_id : null;
  const segments = await t.graphql(`mutation($c: ID) { recomputeSegments(testClockId: $c) { membersScored } }`, { c: clockId }, { bearer: admin });
  expect(segments.errors, JSON.stringify(segments.errors)).toBeUndefined();
  return { ...member, redemptionIds: [kept, voided], voucherCode: claim.data.claimVoucher.code };
}

function camel(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

async function columnsOf(table: string): Promise<string[]> {
  const rows = await t.db.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position`,
    [table],
  );
  return rows.map((r) => r.column_name);
}

/**
 * Tables holding data about a member: those referencing `member` by foreign key, then
 * (transitively) those referencing one of them by foreign key or by a `<table>_id` column
 * without one (outbox_event.entitlement_id, voucher_code.member_id, …).
 */
async function tablesReferencingMembers(): Promise<string[]> {
  const fks = await t.db.query<{ child: string; parent: string }>(
    `select c.relname as child, p.relname as parent from pg_constraint k
     join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
     join pg_namespace n on n.oid = c.relnamespace
     where k.contype = 'f' and n.nspname = 'public'`,
  );
  const columns = await t.db.query<{ table_name: string; column_name: string }>(
    `select table_name, column_name from information_schema.columns where table_schema = 'public'`,
  );
  const related = new Set(MEMBER_ROOT_TABLES);
  for (let grown = true; grown; ) {
    grown = false;
    const add = (table: string) => {
      if (!related.has(table)) {
        related.add(table);
        grown = true;
      }
    };
    for (const fk of fks) if (related.has(fk.parent)) add(fk.child);
    for (const col of columns) if ([...related].some((r) => col.column_name === `${r}_id` || col.column_name.endsWith(`_${r}_id`))) add(col.table_name);
  }
  return [...related].sort();
}

/** Every text-like column of every table (text, varchar, char, json, jsonb, arrays of them). */
async function textColumns(): Promise<Array<{ table: string; column: string }>> {
  const rows = await t.db.query<{ table_name: string; column_name: string }>(
    `select c.table_name, c.column_name from information_schema.columns c
     join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
     where c.table_schema = 'public' and tb.table_type = 'BASE TABLE'
       and (c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb') or c.data_type = 'ARRAY')`,
  );
  return rows.map((r) => ({ table: r.table_name, column: r.column_name }));
}

/** Where `needle` appears in the database, as `table.column` with a count. */
async function occurrences(needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const { table, column } of await textColumns()) {
    const [row] = await t.db.query<{ n: number }>(`select count(*)::int as n from "${table}" where strpos("${column}"::text, $1) > 0`, [needle]);
    if (row!.n > 0) found.push(`${table}.${column} (${row!.n})`);
  }
  return found;
}

async function settlements(): Promise<Record<string, unknown>> {
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const to = new Date(Date.now() + 86_400_000).toISOString();
  const result: Record<string, unknown> = {};
  for (const [partner, key] of Object.entries(partnerKeys)) {
    const res = await t.graphql(SETTLEMENT, { from, to }, { bearer: key });
    expect(res.errors).toBeUndefined();
    result[partner] = res.data.partnerSettlement;
  }
  return result;
}

/** The ledger-side figures erasure must leave exactly as they were. */
async function ledgerFigures(): Promise<unknown> {
  const [row] = await t.db.query(
    `select (select count(*) from redemption)::int as redemptions,
            (select coalesce(sum(units), 0) from redemption)::int as units,
            (select count(*) from redemption_void)::int as voids,
            (select coalesce(sum(used), 0) from entitlement)::int as used,
            (select count(*) from voucher_code where claimed_at is not null)::int as claimed,
            (select count(*) from issued_token)::int as tokens,
            (select coalesce(sum(amount), 0) from payment where status = 'SUCCEEDED')::int as paid,
            (select count(*) from payment)::int as payments`,
  );
  return row;
}

/** Everything about one member, straight from the tables. */
async function rowsOf(memberId: string): Promise<unknown> {
  const q = (sql: string) => t.db.query(sql, [memberId]);
  return {
    member: await q(`select * from member where id = $1`),
    memberships: await q(`select * from membership where member_id = $1 order by id`),
    payments: await q(`select p.* from payment p join membership m on m.id = p.membership_id where m.member_id = $1 order by p.id`),
    entitlements: await q(`select * from entitlement where member_id = $1 order by id`),
    tokens: await q(`select it.* from issued_token it join entitlement e on e.id = it.entitlement_id where e.member_id = $1 order by jti`),
    redemptions: await q(`select r.* from redemption r join entitlement e on e.id = r.entitlement_id where e.member_id = $1 order by r.id`),
    vouchers: await q(`select * from voucher_code where member_id = $1 order by id`),
    outbox: await q(`select o.id, o.type from outbox_event o join entitlement e on e.id = o.entitlement_id where e.member_id = $1 order by o.id`),
    acknowledgements: await q(`select i.* from inbound_partner_event i join entitlement e on e.id::text = i.body ->> 'entitlementId' where e.member_id = $1 order by i.id`),
    audit: await q(`select chain, seq from audit_log where subject = $1 or actor = 'member:' || $1 order by chain, seq`),
  };
}

async function auditCount(): Promise<number> {
  const [row] = await t.db.query<{ n: number }>(`select count(*)::int as n from audit_log`);
  return row!.n;
}

function parse(json: string): any {
  return JSON.parse(json);
}

describe('the data export', () => {
  it('holds every section, every column of its tables, and exactly what the database holds about the member', async () => {
    const other = await activeMember();
    // On a test clock: the export holds that too.
    const member = await activeMember(undefined, true);
    // A refunded membership, then a new one: two memberships, two payments, revoked rights.
    const refund = await t.graphql(REFUND, { id: member.membershipId }, { bearer: admin });
    expect(refund.errors).toBeUndefined();
    const again = await t.graphql(SUBSCRIBE, { key: 'second-membership' }, { bearer: member.bearer });
    expect(again.errors).toBeUndefined();
    const me = await t.graphql(ME, {}, { bearer: member.bearer });
    const current: TestMember = { ...member, ids: Object.fromEntries(me.data.me.entitlements.map((e: { id: string; benefit: { code: string } }) => [e.benefit.code, e.id])) };
    const carWashToken = await issue(current, 'CAR_WASH');
    // Their clock moves on a minute: the gift campaign grants them its right.
    const [clock] = await t.db.query<{ id: string; frozen_time: Date }>(
      `select c.id, c.frozen_time from test_clock c join test_clock_member m on m.test_clock_id = c.id where m.member_id = $1`,
      [member.memberId],
    );
    const moved = await t.graphql(`mutation($c: ID!, $to: DateTimeISO!) { advanceTestClock(testClockId: $c, to: $to) { id } }`, { c: clock!.id, to: new Date(new Date(clock!.frozen_time).getTime() + 60_000).toISOString() }, { bearer: admin });
    expect(moved.errors, JSON.stringify(moved.errors)).toBeUndefined();

    const res = await t.graphql(MyDataExportDocument, {}, { bearer: member.bearer });
    expect(res.errors).toBeUndefined();
    const file = res.data.myDataExport;
    expect(file).toMatchObject({ memberId: member.memberId, format: 'application/json', schemaVersion: DATA_EXPORT_SCHEMA_VERSION });
    expect(file.fileName).toMatch(new RegExp(`^member-data-${member.memberId}-\\d{8}T\\d{6}Z\\.json$`));
    expect(file.sha256).toBe(createHash('sha256').update(file.json, 'utf8').digest('hex'));
    expect(file.byteLength).toBe(Buffer.byteLength(file.json, 'utf8'));
    expect(Math.abs(Date.parse(file.generatedAt) - Date.now())).toBeLessThan(60_000);

    const doc = parse(file.json);
    expect(doc).toMatchObject({ format: 'coalition-loyalty/member-data-export', schemaVersion: DATA_EXPORT_SCHEMA_VERSION, memberId: member.memberId, generatedAt: file.generatedAt });
    expect(doc.sections.map((s: any) => s.name)).toEqual([...DATA_EXPORT_SECTIONS.map((s) => s.name), PSEUDONYM_SECTION.name]);
    for (const section of doc.sections) {
      expect(typeof section.description, section.name).toBe('string');
      expect(section.count, section.name).toBe(section.name === 'member' ? 1 : doc[section.name].length);
      expect(section.count, `${section.name} should not be empty for this member`).toBeGreaterThan(0);
    }

    // The sign-in identity is theirs to see.
    expect(doc.member).toMatchObject({ id: member.memberId, issuer: DEV_ISSUER, subject: member.subject, erasedAt: null });

    // Every column of every source table is in its rows: a column added later is exported too.
    for (const section of DATA_EXPORT_SECTIONS) {
      const rows = section.name === 'member' ? [doc.member] : doc[section.name];
      for (const column of await columnsOf(section.table)) {
        for (const row of rows) expect(row, `${section.name}.${camel(column)}`).toHaveProperty(camel(column));
      }
    }

    // Each section holds exactly the member's rows, found here independently.
    const ids = async (sql: string, key = 'id') => (await t.db.query(sql, [member.memberId])).map((r: any) => String(r[key])).sort();
    const exported = (name: string, key = 'id') => doc[name].map((r: any) => String(r[key])).sort();
    const expectedIds: Record<string, [string, string?]> = {
      memberships: [`select id from membership where member_id = $1`],
      payments: [`select p.id from payment p join membership m on m.id = p.membership_id where m.member_id = $1`],
      paymentRefunds: [`select r.id from payment_refund r join payment p on p.id = r.payment_id join membership m on m.id = p.membership_id where m.member_id = $1`],
      paymentNotifications: [`select n.id from payment_notification n join payment p on p.id = n.payment_id join membership m on m.id = p.membership_id where m.member_id = $1`],
      membershipEvents: [`select e.id from membership_event e join membership m on m.id = e.membership_id where m.member_id = $1`],
      notifications: [`select id from member_notification where member_id = $1`],
      moments: [`select id from member_moment where member_id = $1`],
      messagingPreferences: [`select member_id as "memberId" from member_messaging_preference where member_id = $1`, 'memberId'],
      entitlements: [`select id from entitlement where member_id = $1`],
      campaignBenefitGrants: [`select id from campaign_benefit_grant where member_id = $1`],
      issuedTokens: [`select it.jti from issued_token it join entitlement e on e.id = it.entitlement_id where e.member_id = $1`, 'jti'],
      redemptions: [`select r.id from redemption r join entitlement e on e.id = r.entitlement_id where e.member_id = $1`],
      redemptionVoids: [`select v.id from redemption_void v join redemption r on r.id = v.redemption_id join entitlement e on e.id = r.entitlement_id where e.member_id = $1`],
      voucherCodes: [`select id from voucher_code where member_id = $1`],
      provisioningEvents: [`select o.id from outbox_event o join entitlement e on e.id = o.entitlement_id where e.member_id = $1`],
      partnerAcknowledgements: [`select i.id from inbound_partner_event i join entitlement e on e.id::text = i.body ->> 'entitlementId' where e.member_id = $1`],
    };
    for (const [name, [sql, key]] of Object.entries(expectedIds)) {
      expect(exported(name, key), name).toEqual(await ids(sql, key));
    }
    expect(doc.memberships).toHaveLength(2);
    expect(doc.memberships.map((m: any) => [m.status, m.planCode, m.idempotencyKey]).sort()).toEqual(
      [['ACTIVE', 'PLUS', 'second-membership'], ['CANCELED', 'PLUS', expect.stringMatching(/^sub-/)]].sort(),
    );
    expect(doc.payments.map((p: any) => [p.status, p.amount, p.currency]).sort()).toEqual([['REFUNDED', 19_800, 'CNY'], ['SUCCEEDED', 19_800, 'CNY']]);
    expect(doc.paymentRefunds).toEqual([expect.objectContaining({ amount: 19_800, reason: 'ADMIN' })]);
    expect(doc.paymentNotifications).toHaveLength(2);
    expect(doc.membershipEvents.map((e: any) => e.type)).toEqual(expect.arrayContaining(['SUBSCRIBED', 'CHARGED', 'REFUNDED', 'ENDED']));
    expect(doc.notifications.map((n: any) => n.type)).toEqual(['membership.payment_receipt', 'membership.payment_receipt']);
    expect(doc.testClock).toEqual([expect.objectContaining({ memberId: member.memberId })]);
    // The two memberships' eight, the coffee bought with points and the campaign's car wash.
    expect(doc.entitlements).toHaveLength(10);
    const gift = doc.entitlements.find((e: any) => e.source === 'CAMPAIGN');
    expect(gift).toMatchObject({ sourceRef: 'PRIVACY_GIFT', benefitCode: 'CAR_WASH', status: 'ACTIVE', membershipId: null });
    expect(doc.campaignBenefitGrants).toEqual([expect.objectContaining({ campaignCode: 'PRIVACY_GIFT', memberId: member.memberId, entitlementId: gift.id })]);
    expect(doc.entitlements.filter((e: any) => e.status === 'REVOKED').map((e: any) => e.benefitCode).sort()).toEqual(['CAR_WASH', 'COFFEE', 'SKYMILES_BONUS', 'STREAMING_VIP']);
    expect(doc.redemptions.map((r: any) => [r.id, r.partnerId, r.units, r.benefitCode]).sort()).toEqual(
      [[member.redemptionIds[0], 'sparkwash', 2, 'CAR_WASH'], [member.redemptionIds[1], 'sparkwash', 1, 'CAR_WASH']].sort(),
    );
    expect(doc.redemptionVoids).toEqual([expect.objectContaining({ redemptionId: member.redemptionIds[1], partnerId: 'sparkwash', reason: 'scanned twice at the till' })]);
    expect(doc.voucherCodes).toEqual([expect.objectContaining({ code: member.voucherCode, partnerId: 'brewbar', entitlementId: member.ids.COFFEE })]);
    expect(doc.issuedTokens.map((it: any) => it.jti)).toContain(decodeJwt(carWashToken).jti);
    expect(doc.provisioningEvents.map((e: any) => e.type)).toEqual(expect.arrayContaining(['right.activate', 'right.revoke']));
    expect(doc.partnerAcknowledgements).toEqual([
      expect.objectContaining({ partnerId: 'skymiles', type: 'right.acknowledged', body: expect.objectContaining({ entitlementId: member.ids.SKYMILES_BONUS, reference: expect.any(String) }) }),
    ]);
    expect(doc.auditLog.map((a: any) => a.action)).toEqual(expect.arrayContaining(['membership.refund', 'redemption.create', 'redemption.create', 'redemption.void']));
    const own = new Set([member.memberId, ...doc.memberships.map((m: any) => m.id), ...doc.payments.map((p: any) => p.id), ...exported('entitlements'), ...exported('issuedTokens', 'jti'), ...exported('redemptions'), ...exported('redemptionVoids'), ...exported('voucherCodes')]);
    for (const entry of doc.auditLog) expect(own.has(entry.subject) || entry.actor.endsWith(`:${member.memberId}`), JSON.stringify(entry)).toBe(true);
    // (All but the row recording this very export, written after the snapshot was read.)
    const [{ n: auditAboutThem }] = await t.db.query(
      `select count(*)::int as n from audit_log where subject = any($1::text[]) and after ->> 'sha256' is distinct from $2`,
      [[...own], file.sha256],
    );
    expect(doc.auditLog).toHaveLength(auditAboutThem);
    expect(doc.auditLog.find((a: any) => a.action === 'membership.refund')).toMatchObject({ subject: member.membershipId, actor: `admin:${adminId}` });
    // Timestamps are ISO-8601 in UTC.
    expect(doc.member.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);

    // What each partner knows them as: the sub of the tokens they are shown.
    expect(doc.partnerPseudonyms.map((p: any) => p.partnerId)).toEqual(['brewbar', 'skymiles', 'sparkwash', 'streamflix']);
    const pseudonyms = Object.fromEntries(doc.partnerPseudonyms.map((p: any) => [p.partnerId, p.pseudonym]));
    expect(pseudonyms.sparkwash).toBe(decodeJwt(carWashToken).sub);
    expect(pseudonyms.brewbar).toBe(decodeJwt(await issue(current, 'COFFEE')).sub);
    expect(new Set(Object.values(pseudonyms)).size).toBe(4);

    // Nothing of anyone else.
    for (const foreign of [other.memberId, other.subject, ...Object.values(other.ids), ...other.redemptionIds, other.voucherCode]) {
      expect(file.json, foreign).not.toContain(foreign);
    }
  });

  it('covers every table that references a member, directly or through its memberships, rights or redemptions', async () => {
    const required = await tablesReferencingMembers();
    // The walk itself finds what it must (a check that this test can see anything at all).
    expect(required).toEqual(expect.arrayContaining(['member', 'membership', 'payment', 'entitlement', 'issued_token', 'redemption', 'redemption_void', 'voucher_code', 'outbox_event']));
    const covered = DATA_EXPORT_SECTIONS.map((s) => s.table);
    expect(required.filter((table) => !covered.includes(table)), 'tables about members missing from DATA_EXPORT_SECTIONS').toEqual([]);
  });

  it('would notice a new table that references an entitlement, by foreign key or by column name', async () => {
    await t.db.query(`create table privacy_probe_fk (id uuid primary key, entitlement_id uuid references entitlement (id))`);
    await t.db.query(`create table privacy_probe_column (id uuid primary key, redemption_id uuid)`);
    try {
      const covered = DATA_EXPORT_SECTIONS.map((s) => s.table);
      expect((await tablesReferencingMembers()).filter((table) => !covered.includes(table))).toEqual(['privacy_probe_column', 'privacy_probe_fk']);
    } finally {
      await t.db.query(`drop table privacy_probe_fk; drop table privacy_probe_column`);
    }
  });

  it("gives a member their own export only: another member's is out of reach", async () => {
    const a = await activeMember();
    const b = await newMember();
    const mine = await t.graphql(MyDataExportDocument, {}, { bearer: b.bearer });
    expect(mine.errors).toBeUndefined();
    expect(parse(mine.data.myDataExport.json).memberId).toBe(b.memberId);
    for (const foreign of [a.memberId, a.subject, ...Object.values(a.ids)]) expect(mine.data.myDataExport.json).not.toContain(foreign);

    const asMember = await t.graphql(ADMIN_EXPORT, { id: a.memberId }, { bearer: b.bearer });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(asMember.data?.memberDataExport ?? null).toBeNull();
    const asPartner = await t.graphql(ADMIN_EXPORT, { id: a.memberId }, { bearer: partnerKeys.sparkwash });
    expect(asPartner.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const asPartnerOwn = await t.graphql(MyDataExportDocument, {}, { bearer: partnerKeys.sparkwash });
    expect(asPartnerOwn.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await t.graphql(MyDataExportDocument, {});
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("shows an admin's own export what they did to others, never the others' data", async () => {
    const other = await activeMember();
    await t.graphql(ADMIN_EXPORT, { id: other.memberId }, { bearer: admin });
    const own = await t.graphql(MyDataExportDocument, {}, { bearer: admin });
    expect(own.errors).toBeUndefined();
    const doc = parse(own.data.myDataExport.json);
    const mine = doc.auditLog.filter((a: any) => a.actor === `admin:${adminId}` && a.action === 'member.data_export');
    expect(mine.length).toBeGreaterThan(0);
    for (const entry of mine) expect(Object.keys(entry).sort()).toEqual(['action', 'actor', 'at', 'seq']);
    for (const foreign of [other.memberId, other.subject, ...Object.values(other.ids)]) expect(own.data.myDataExport.json).not.toContain(foreign);
  });

  it("shows a support agent's own export what they did to others as support, never the others' data", async () => {
    const support = await t.staffToken(`support-${randomUUID()}`, StaffRole.SUPPORT);
    const supportId = (await t.graphql(`{ me { id } }`, {}, { bearer: support })).data.me.id;
    const other = await activeMember();
    expect((await t.graphql(ADMIN_EXPORT, { id: other.memberId }, { bearer: support })).errors).toBeUndefined();
    const own = await t.graphql(MyDataExportDocument, {}, { bearer: support });
    expect(own.errors).toBeUndefined();
    const doc = parse(own.data.myDataExport.json);
    const asSupport = doc.auditLog.filter((a: any) => a.actor === `support:${supportId}` && a.action === 'member.data_export');
    expect(asSupport.filter((a: any) => Object.keys(a).length === 4)).toHaveLength(1); // the export of `other`, action and time only
    for (const entry of asSupport) expect(Object.keys(entry).sort()).toEqual(expect.arrayContaining(['action', 'actor', 'at', 'seq']));
    for (const foreign of [other.memberId, other.subject, ...Object.values(other.ids)]) expect(own.data.myDataExport.json).not.toContain(foreign);
  });

  it("lets support export a member's data, audited with who asked and the document's hash", async () => {
    const member = await activeMember();
    const requestId = `dsr-${randomUUID()}`;
    const res = await t.graphql(ADMIN_EXPORT, { id: member.memberId }, { bearer: admin, headers: { 'x-request-id': requestId } });
    expect(res.errors).toBeUndefined();
    const file = res.data.memberDataExport;
    expect(parse(file.json)).toMatchObject({ memberId: member.memberId, member: { subject: member.subject } });
    const rows = await t.db.query(`select actor, action, subject, after from audit_log where request_id = $1`, [requestId]);
    expect(rows).toEqual([
      { actor: `admin:${adminId}`, action: 'member.data_export', subject: member.memberId, after: expect.objectContaining({ sha256: file.sha256, byteLength: file.byteLength, schemaVersion: DATA_EXPORT_SCHEMA_VERSION }) },
    ]);
    // The log records that an export happened, never its content.
    expect(JSON.stringify(rows)).not.toContain(member.subject);

    const before = await auditCount();
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const unknown = await t.graphql(ADMIN_EXPORT, { id }, { bearer: admin });
      expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(unknown.data?.memberDataExport ?? null).toBeNull();
    }
    expect(await auditCount()).toBe(before);
  });
});

describe('erasure', () => {
  it('refuses deleteMyAccount without the exact confirmation, and changes nothing', async () => {
    const member = await activeMember();
    const before = { rows: await rowsOf(member.memberId), audit: await auditCount() };
    for (const confirm of ['', 'delete', 'DELETE ', 'yes']) {
      const res = await t.graphql(DeleteMyAccountDocument, { confirm }, { bearer: member.bearer });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(confirm)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.problems).toEqual([{ field: 'confirm', message: expect.stringContaining('"DELETE"') }]);
      expect(res.data?.deleteMyAccount ?? null).toBeNull();
    }
    expect({ rows: await rowsOf(member.memberId), audit: await auditCount() }).toEqual(before);
    const me = await t.graphql(ME, {}, { bearer: member.bearer });
    expect(me.data.me.id).toBe(member.memberId);
  });

  it('erases personal data, revokes rights at the partners and keeps the ledger, settlements and the audit chain intact', async () => {
    const subject = `erase-me-${randomUUID()}`;
    const member = await activeMember(subject);
    const bystander = await activeMember();
    const [ack] = await t.db.query(`select body ->> 'reference' as reference from inbound_partner_event where body ->> 'entitlementId' = $1`, [member.ids.SKYMILES_BONUS]);
    const skymilesReference: string = ack.reference;
    expect(skymilesReference).toBeTruthy();
    const unpresented = await issue(member, 'CAR_WASH');
    await t.app.outbox.drain();
    expect(await occurrences(subject)).toEqual(['member.subject (1)']);

    const settlementsBefore = await settlements();
    const ledgerBefore = await ledgerFigures();
    const bystanderBefore = await rowsOf(bystander.memberId);
    const [{ n: revokesBefore }] = await t.db.query(`select count(*)::int as n from outbox_event where type = 'right.revoke'`);
    const liveRights = await t.db.query(`select id from entitlement where member_id = $1 and status in ('ACTIVE', 'PENDING_PROVISION', 'SUSPENDED') and period_end > now()`, [member.memberId]);
    expect(liveRights).toHaveLength(5);

    const requestId = `erase-${randomUUID()}`;
    const res = await t.graphql(DeleteMyAccountDocument, { confirm: 'DELETE' }, { bearer: member.bearer, headers: { 'x-request-id': requestId } });
    expect(res.errors).toBeUndefined();
    expect(res.data.deleteMyAccount).toMatchObject({
      memberId: member.memberId,
      alreadyErased: false,
      membershipsEnded: 1,
      // The membership's four and the coffee bought with points.
      rightsRevoked: 5,
      revocationsQueued: 5,
      partnerReferencesRemoved: 1,
    });

    // The person is gone: their sign-in subject is in no table and no column.
    expect(await occurrences(subject)).toEqual([]);
    expect(await occurrences(skymilesReference)).toEqual([]);
    const [row] = await t.db.query(`select issuer, subject, erased_at from member where id = $1`, [member.memberId]);
    expect(row).toEqual({ issuer: ERASED_ISSUER, subject: member.memberId, erased_at: expect.any(Date) });
    const memberships = await t.db.query(`select status, idempotency_key, current_period_end from membership where member_id = $1`, [member.memberId]);
    expect(memberships).toEqual([{ status: 'CANCELED', idempotency_key: expect.stringMatching(/^erased:/), current_period_end: expect.any(Date) }]);
    expect(await t.db.query(`select idempotency_key from reward_redemption where member_id = $1`, [member.memberId])).toEqual([{ idempotency_key: expect.stringMatching(/^erased:/) }]);
    expect(memberships[0].current_period_end.getTime()).toBeLessThanOrEqual(Date.now());
    const rights = await t.db.query(`select status from entitlement where member_id = $1 and period_end > now()`, [member.memberId]);
    expect(rights.map((r) => r.status)).toEqual(['REVOKED', 'REVOKED', 'REVOKED', 'REVOKED', 'REVOKED']);

    // The rest is kept under the member id: the ledger and every partner's settlement balance as before.
    expect(await ledgerFigures()).toEqual(ledgerBefore);
    expect(await settlements()).toEqual(settlementsBefore);
    expect(await rowsOf(bystander.memberId)).toEqual(bystanderBefore);

    // Partners are told to revoke, through the outbox, once per right.
    const revokes = await t.db.query(
      `select o.entitlement_id, o.partner_id from outbox_event o where o.type = 'right.revoke' and o.entitlement_id = any($1::uuid[]) order by o.partner_id`,
      [liveRights.map((r) => r.id)],
    );
    expect(revokes.map((r) => r.partner_id)).toEqual(['brewbar', 'brewbar', 'skymiles', 'sparkwash', 'streamflix']);
    const [{ n: revokesAfter }] = await t.db.query(`select count(*)::int as n from outbox_event where type = 'right.revoke'`);
    expect(revokesAfter - revokesBefore).toBe(5);
    await t.app.outbox.drain();
    const undelivered = await t.db.query(`select id from outbox_event where entitlement_id = any($1::uuid[]) and delivered_at is null`, [liveRights.map((r) => r.id)]);
    expect(undelivered).toEqual([]);
    expect((await t.app.provisioning.get('sparkwash')!.status(member.ids.CAR_WASH!)).status).toBe('REVOKED');
    expect((await t.app.provisioning.get('streamflix')!.status(member.ids.STREAMING_VIP!)).status).toBe('REVOKED');

    // The audit chain still verifies, and says who erased whom and why, with counts only.
    expect(await verifyAuditChain(orm.em.fork())).toMatchObject({ intact: true });
    const audit = await t.db.query(`select actor, action, subject, before, after from audit_log where request_id = $1`, [requestId]);
    expect(audit).toEqual([
      {
        actor: `member:${member.memberId}`,
        action: 'member.erase',
        subject: member.memberId,
        before: { erasedAt: null },
        after: { erasedAt: expect.any(String), reason: SELF_SERVICE_REASON, membershipsEnded: 1, rightsRevoked: 5, revocationsQueued: 5, partnerReferencesRemoved: 1 },
      },
    ]);

    // A token issued before the erasure is refused, and nothing is redeemed.
    const late = await t.graphql(REDEEM, { token: unpresented, key: randomUUID(), units: 1 }, { bearer: partnerKeys.sparkwash });
    expect(late.data?.redeemEntitlement ?? null).toBeNull();
    expect(['ENTITLEMENT_INACTIVE', 'TOKEN_REVOKED']).toContain(late.errors?.[0]?.extensions?.code);
    expect(await ledgerFigures()).toEqual(ledgerBefore);
    // Partners verifying offline see it too: its status-list entry is flipped.
    expect(await t.db.query(`select status from issued_token where jti = $1`, [decodeJwt(unpresented).jti])).toEqual([{ status: 1 }]);

    // What is kept is still exportable (support can show it), with nothing that identifies the person.
    const kept = await t.graphql(ADMIN_EXPORT, { id: member.memberId }, { bearer: admin });
    expect(kept.errors).toBeUndefined();
    const keptDoc = parse(kept.data.memberDataExport.json);
    expect(keptDoc.member).toMatchObject({ issuer: ERASED_ISSUER, subject: member.memberId, erasedAt: expect.any(String) });
    expect(keptDoc.redemptions).toHaveLength(2);
    expect(kept.data.memberDataExport.json).not.toContain(subject);
    expect(kept.data.memberDataExport.json).not.toContain(skymilesReference);

    // The same person signing in again is a new, empty member with no link to the old one.
    const fresh = await t.graphql(ME, {}, { bearer: member.bearer });
    expect(fresh.errors).toBeUndefined();
    expect(fresh.data.me).toEqual({ id: expect.any(String), membership: null, entitlements: [] });
    expect(fresh.data.me.id).not.toBe(member.memberId);
    expect(await t.db.query(`select id from member where subject = $1`, [subject])).toEqual([{ id: fresh.data.me.id }]);
    const freshExport = parse((await t.graphql(MyDataExportDocument, {}, { bearer: member.bearer })).data.myDataExport.json);
    expect(freshExport.memberships).toEqual([]);
    expect(JSON.stringify(freshExport)).not.toContain(member.memberId);
  });

  it('lets admins erase a member with a reason; concurrent and repeated erasures are harmless', async () => {
    const member = await activeMember();
    const entitlementIds = Object.values(member.ids);
    const reason = `DSR ticket ${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 4 }, () => t.graphql(ERASE, { id: member.memberId, reason }, { bearer: admin })));
    for (const r of results) expect(r.errors).toBeUndefined();
    const outcomes = results.map((r) => r.data.eraseMember);
    expect(outcomes.filter((o) => !o.alreadyErased)).toEqual([
      expect.objectContaining({ memberId: member.memberId, membershipsEnded: 1, rightsRevoked: 5, revocationsQueued: 5, partnerReferencesRemoved: 1 }),
    ]);
    const repeats = outcomes.filter((o) => o.alreadyErased);
    expect(repeats).toHaveLength(3);
    const first = outcomes.find((o) => !o.alreadyErased)!;
    for (const repeat of repeats) expect(repeat).toEqual({ ...first, alreadyErased: true, membershipsEnded: 0, rightsRevoked: 0, revocationsQueued: 0, partnerReferencesRemoved: 0 });

    const erasures = await t.db.query(`select actor, after from audit_log where action = 'member.erase' and subject = $1`, [member.memberId]);
    expect(erasures).toEqual([{ actor: `admin:${adminId}`, after: expect.objectContaining({ reason, rightsRevoked: 5 }) }]);
    const revokes = await t.db.query(`select entitlement_id, count(*)::int as n from outbox_event where type = 'right.revoke' and entitlement_id = any($1::uuid[]) group by entitlement_id`, [entitlementIds]);
    expect(revokes.map((r) => r.n)).toEqual([1, 1, 1, 1]);

    const before = { rows: await rowsOf(member.memberId), audit: await auditCount() };
    const later = await t.graphql(ERASE, { id: member.memberId, reason: 'again' }, { bearer: admin });
    expect(later.data.eraseMember).toMatchObject({ alreadyErased: true, erasedAt: first.erasedAt });
    expect({ rows: await rowsOf(member.memberId), audit: await auditCount() }).toEqual(before);
    expect(await verifyAuditChain(orm.em.fork())).toMatchObject({ intact: true });
  });

  it('refuses an unknown member, an empty reason and a reason naming the person, changing nothing', async () => {
    const member = await activeMember();
    const before = { rows: await rowsOf(member.memberId), audit: await auditCount() };
    const cases: Array<[Record<string, string>, string]> = [
      [{ id: randomUUID(), reason: 'ticket 1' }, 'NOT_FOUND'],
      [{ id: 'not-a-uuid', reason: 'ticket 1' }, 'NOT_FOUND'],
      [{ id: member.memberId, reason: '   ' }, 'BAD_USER_INPUT'],
      [{ id: member.memberId, reason: 'x'.repeat(501) }, 'BAD_USER_INPUT'],
      [{ id: member.memberId, reason: `asked by ${member.subject} on the phone` }, 'BAD_USER_INPUT'],
    ];
    for (const [variables, code] of cases) {
      const res = await t.graphql(ERASE, variables, { bearer: admin });
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe(code);
      expect(res.data?.eraseMember ?? null).toBeNull();
    }
    expect({ rows: await rowsOf(member.memberId), audit: await auditCount() }).toEqual(before);
  });

  it('never attaches a new membership to an erased member, even from a request that still holds its id', async () => {
    const member = await newMember();
    const erased = await t.graphql(ERASE, { id: member.memberId, reason: 'ticket 2' }, { bearer: admin });
    expect(erased.errors).toBeUndefined();
    // What a request resolved before the erasure (or a replica with a stale cache) would do.
    const services = t.app.services();
    // A coded error, not an INTERNAL_SERVER_ERROR: the caller's account is gone.
    await expect(services.memberships.subscribe(member.memberId, 'PLUS', 'after-erasure')).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: expect.stringMatching(/account was deleted/),
    });
    expect(await t.db.query(`select id from membership where member_id = $1 and status <> 'CANCELED'`, [member.memberId])).toEqual([]);
  });

  it('forgets the sign-in at once however the admin spells the member id (an upper-case id left a stale mapping)', async () => {
    const member = await newMember();
    const erased = await t.graphql(ERASE, { id: member.memberId.toUpperCase(), reason: 'ticket 3' }, { bearer: admin });
    expect(erased.errors).toBeUndefined();
    expect(erased.data.eraseMember.memberId).toBe(member.memberId);
    // The same sign-in is a new, empty member straight away, and can subscribe.
    const again = await t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "after-erasure") { id } }`, {}, { bearer: member.bearer });
    expect(again.errors).toBeUndefined();
    const me = await t.graphql(`{ me { id } }`, {}, { bearer: member.bearer });
    expect(me.data.me.id).not.toBe(member.memberId);
  });

  it('lets another process stop mapping the erased sign-in once its cached answer expires', async () => {
    let clock = 0;
    const elsewhere = new MemberDirectory(() => t.app.orm.em.fork(), { cacheTtlMs: 60_000, now: () => clock });
    const subject = `replica-${randomUUID()}`;
    const before = await elsewhere.memberIdFor(DEV_ISSUER, subject);
    // The erasure ran in another process: nothing told this directory.
    await t.db.query(`update member set issuer = $2, subject = id::text, erased_at = now() where id = $1`, [before, ERASED_ISSUER]);
    clock += 59_000;
    expect(await elsewhere.memberIdFor(DEV_ISSUER, subject)).toBe(before);
    clock += 2_000;
    const after = await elsewhere.memberIdFor(DEV_ISSUER, subject);
    expect(after).not.toBe(before);
    // In the erasing process, forgetting is immediate.
    MemberDirectory.forget(after);
    await t.db.query(`update member set issuer = $2, subject = id::text, erased_at = now() where id = $1`, [after, ERASED_ISSUER]);
    expect(await elsewhere.memberIdFor(DEV_ISSUER, subject)).not.toBe(after);
  });

  it('refuses a membership insert that was waiting on the member while the erasure committed', async () => {
    const member = await newMember();
    const eraser = new pg.Client({ connectionString: t.db.url });
    await eraser.connect();
    try {
      // The erasure's first statement: the member row, locked until commit.
      await eraser.query('begin');
      await eraser.query('select id from member where id = $1 for update', [member.memberId]);
      const services = t.app.services();
      const inFlight = services.memberships.subscribe(member.memberId, 'PLUS', 'in-flight').then(
        () => 'subscribed',
        (error: Error & { extensions?: { code?: string } }) => `${error.extensions?.code}: ${error.message}`,
      );
      // The insert is really in flight: blocked on the erasure's lock.
      await eventually(
        async () => (await t.db.query(`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'insert into "membership"%'`)).length > 0,
        'the membership insert to wait on the member lock',
      );
      await eraser.query(`update member set issuer = $2, subject = id::text, erased_at = now() where id = $1`, [member.memberId, ERASED_ISSUER]);
      await eraser.query('commit');
      expect(await inFlight).toMatch(/^UNAUTHENTICATED: .*account was deleted/);
    } finally {
      await eraser.end();
    }
  });
});
