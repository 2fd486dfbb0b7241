import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { pgTextArray } from '../../platform/sql.js';
import { actorsOfMember } from '../audit/index.js';
import type { MemberPseudonymizer } from '../keys/index.js';

/** Version of the export document's layout; bumped on any change a reader would notice. */
export const DATA_EXPORT_SCHEMA_VERSION = 2;

/** What `format` says about the document: a media type and a profile naming its layout. */
export const DATA_EXPORT_MEDIA_TYPE = 'application/json';
export const DATA_EXPORT_PROFILE = 'coalition-loyalty/member-data-export';

/** One part of the export: the table it comes from and what it means, in words a member reads. */
export interface DataExportSection {
  /** The key of the section in the document (camelCase). */
  name: string;
  /** The table its rows come from, every column of it. */
  table: string;
  description: string;
}

/**
 * Everything the database holds about a member, table by table. A table that references a
 * member, membership, entitlement or redemption (by foreign key or by an `<table>_id`
 * column) must be here: test/data-rights.pg.test.ts fails otherwise.
 */
export const DATA_EXPORT_SECTIONS: readonly DataExportSection[] = [
  { name: 'member', table: 'member', description: 'Your member record: your member id, the identity provider (issuer) and account (subject) you sign in with, when you joined and, after an erasure, when it happened' },
  { name: 'memberships', table: 'membership', description: 'Every membership you bought, with its plan, bundle version, status, paid period and the idempotency key your app sent' },
  { name: 'payments', table: 'payment', description: "Every charge for your memberships: provider, provider's reference, kind (first period, renewal, retry, plan change), the period it paid, amount, status, what was refunded" },
  { name: 'paymentRefunds', table: 'payment_refund', description: 'Every refund of those charges: amount, why (your request, support, a charge for nothing, a plan change), status' },
  { name: 'paymentNotifications', table: 'payment_notification', description: "The payment provider's confirmations of those charges we applied (their id and outcome)" },
  { name: 'membershipEvents', table: 'membership_event', description: 'What happened to your memberships, step by step: subscribed, charged, reminded, renewed, past due, resumed, plan changed, refunded, ended' },
  { name: 'notifications', table: 'member_notification', description: 'The messages we sent you (renewal reminders, failed payments, endings), with the figures they stated' },
  { name: 'moments', table: 'member_moment', description: 'Moments we recorded to tell you about (joining, tier moves, points earned or expiring, benefits, renewals, member days), with their figures, and whether the message went out (when, through which provider, in which language) or why not' },
  { name: 'messagingPreferences', table: 'member_messaging_preference', description: 'How you want to hear about those moments: your language, the kinds you opted out of, your quiet hours' },
  { name: 'testClock', table: 'test_clock_member', description: 'The test clock your account lives on, if it is a test account (development and tests only)' },
  { name: 'activities', table: 'activity', description: 'Everything you did that the loyalty program counted (purchases, refunds, check-ins, reviews), from which channel, and the points it moved' },
  { name: 'tier', table: 'member_tier', description: 'Your tier, since when, your last downgrade and your next evaluation' },
  { name: 'tierChanges', table: 'tier_change', description: 'Every change of your tier: from, to, why, when, and the qualifying spend it was decided on' },
  { name: 'tierMonths', table: 'tier_qualifying_month', description: 'Your qualifying figures per month (spend, orders, points earned)' },
  { name: 'pointsAccounts', table: 'points_account', description: 'Your points accounts: your balance, and any points refunds left you owing' },
  { name: 'pointsJournal', table: 'points_journal', description: 'Every posting of your points: earned, taken back by a refund, spent, given back, expired' },
  { name: 'pointsTransfers', table: 'points_transfer', description: 'The transfers each posting made (from which account to which, how many points, which lot)' },
  { name: 'pointsLots', table: 'points_lot', description: 'Your points lots: earned when, how many are left, when they expire, when we reminded you' },
  { name: 'activityImportLines', table: 'activity_import_line', description: 'Lines of bulk imports about you (what a channel reported, and what became of it)' },
  { name: 'birthday', table: 'member_birthday', description: 'Your birthday (month and day), as you set it' },
  { name: 'campaignGrants', table: 'campaign_grant', description: 'Points campaigns and member days granted you, each naming its campaign and the purchase' },
  { name: 'campaignBenefitGrants', table: 'campaign_benefit_grant', description: 'Rights campaigns and member days granted you (a car wash, a coffee, …), each naming its campaign, the right and the day or window it was for' },
  { name: 'rewardRedemptions', table: 'reward_redemption', description: 'Rewards you bought with points: which, for how many points, the right that delivers it, and whether you gave it back' },
  { name: 'membershipCards', table: 'membership_card', description: "Membership cards you showed at partners' tills (by id, never the token): partner, when issued, until when valid" },
  { name: 'segmentScores', table: 'member_segment_score', description: 'How we last scored your activity for segments: days since your last purchase, purchases and their value net of refunds over the window, the scores from them, your lifecycle stage' },
  { name: 'segments', table: 'member_segment', description: 'The segments you are in now (for example LOYAL, ACTIVE, HIGH_VALUE) and since when' },
  { name: 'segmentChanges', table: 'member_segment_change', description: 'When you entered and left segments' },
  { name: 'entitlements', table: 'entitlement', description: 'Every right you held, per benefit and period: status, quota and units used' },
  { name: 'issuedTokens', table: 'issued_token', description: 'Every entitlement token issued to you (by its id, never the token itself): partner, signing key, validity and status-list entry' },
  { name: 'redemptions', table: 'redemption', description: 'Every use of your rights a partner recorded: partner, units, token id, the idempotency key the partner sent' },
  { name: 'redemptionVoids', table: 'redemption_void', description: 'Redemptions a partner voided, with the reason it gave' },
  { name: 'voucherCodes', table: 'voucher_code', description: 'Voucher codes you claimed' },
  { name: 'provisioningEvents', table: 'outbox_event', description: 'Messages we sent (or will send) partners to activate or revoke your rights, with their delivery state' },
  { name: 'partnerAcknowledgements', table: 'inbound_partner_event', description: 'Messages partners sent us about your rights (activation confirmed or refused, their reference)' },
  { name: 'auditLog', table: 'audit_log', description: 'Audit-log entries about you, your memberships, rights and redemptions, or actions you took' },
];

/** Derived data that is in no table: the identifier each partner knows the member by. */
export const PSEUDONYM_SECTION = {
  name: 'partnerPseudonyms',
  description:
    'What each partner knows you as: a pseudonym derived per partner, different for each, the `sub` of the tokens you present and of the rights we provision. Partners never receive your member id or sign-in identity from us.',
} as const;

/** The export, ready to hand out. */
export interface DataExportView {
  memberId: string;
  fileName: string;
  format: string;
  schemaVersion: number;
  generatedAt: Date;
  /** Hex SHA-256 of the UTF-8 bytes of `json`. */
  sha256: string;
  byteLength: number;
  json: string;
  /** Rows per section, for the audit row. */
  counts: Record<string, number>;
}

type Row = Record<string, unknown>;

// Every column of each table (to_jsonb of the row), so a column added later is exported
// without anyone remembering to; a few joined names make the rows readable on their own.
// Each `?` is the member id (no jsonb `?` operator here).
const QUERIES: Record<string, string> = {
  member: `select to_jsonb(m) as row from member m where m.id = ?`,
  memberships: `
    select to_jsonb(ms) || jsonb_build_object('plan_code', p.code, 'bundle_version', bv.version) as row
    from membership ms join plan p on p.id = ms.plan_id join bundle_version bv on bv.id = ms.bundle_version_id
    where ms.member_id = ? order by ms.created_at, ms.id`,
  payments: `
    select to_jsonb(py) as row from payment py join membership ms on ms.id = py.membership_id
    where ms.member_id = ? order by py.created_at, py.id`,
  paymentRefunds: `
    select to_jsonb(rf) as row from payment_refund rf join payment py on py.id = rf.payment_id join membership ms on ms.id = py.membership_id
    where ms.member_id = ? order by rf.requested_at, rf.id`,
  paymentNotifications: `
    select to_jsonb(pn) as row from payment_notification pn join payment py on py.id = pn.payment_id join membership ms on ms.id = py.membership_id
    where ms.member_id = ? order by pn.received_at, pn.id`,
  membershipEvents: `
    select to_jsonb(ev) as row from membership_event ev join membership ms on ms.id = ev.membership_id
    where ms.member_id = ? order by ev.at, ev.recorded_at, ev.id`,
  notifications: `select to_jsonb(n) as row from member_notification n where n.member_id = ? order by n.at, n.id`,
  moments: `select to_jsonb(mm) as row from member_moment mm where mm.member_id = ? order by mm.occurred_at, mm.created_at, mm.id`,
  messagingPreferences: `select to_jsonb(mp) as row from member_messaging_preference mp where mp.member_id = ?`,
  testClock: `select to_jsonb(tc) as row from test_clock_member tc where tc.member_id = ?`,
  activities: `select to_jsonb(a) as row from activity a where a.member_id = ? order by a.occurred_at, a.id`,
  tier: `select to_jsonb(mt) as row from member_tier mt where mt.member_id = ?`,
  tierChanges: `select to_jsonb(tc) as row from tier_change tc where tc.member_id = ? order by tc.at, tc.created_at, tc.id`,
  tierMonths: `select to_jsonb(tm) as row from tier_qualifying_month tm where tm.member_id = ? order by tm.month`,
  pointsAccounts: `select to_jsonb(pa) as row from points_account pa where pa.member_id = ? order by pa.id`,
  pointsJournal: `select to_jsonb(pj) as row from points_journal pj where pj.member_id = ? order by pj.effective_at, pj.created_at, pj.id`,
  pointsTransfers: `
    select to_jsonb(pt) as row from points_transfer pt join points_journal pj on pj.id = pt.journal_id
    where pj.member_id = ? order by pt.created_at, pt.id`,
  activityImportLines: `
    select to_jsonb(l) as row from activity_import_line l
    where l.activity_id in (select a.id from activity a where a.member_id = ?) or l.input ->> 'memberId' = ?::text
    order by l.import_id, l.line_no`,
  birthday: `select to_jsonb(b) as row from member_birthday b where b.member_id = ?`,
  campaignGrants: `select to_jsonb(cg) as row from campaign_grant cg where cg.member_id = ? order by cg.at, cg.id`,
  campaignBenefitGrants: `select to_jsonb(cb) as row from campaign_benefit_grant cb where cb.member_id = ? order by cb.occurrence, cb.id`,
  rewardRedemptions: `select to_jsonb(rr) as row from reward_redemption rr where rr.member_id = ? order by rr.redeemed_at, rr.id`,
  membershipCards: `select to_jsonb(mc) as row from membership_card mc where mc.member_id = ? order by mc.issued_at, mc.jti`,
  segmentScores: `select to_jsonb(ss) as row from member_segment_score ss where ss.member_id = ?`,
  segments: `select to_jsonb(ms) as row from member_segment ms where ms.member_id = ? order by ms.kind, ms.segment_code`,
  segmentChanges: `select to_jsonb(sc) as row from member_segment_change sc where sc.member_id = ? order by sc.at, sc.change, sc.segment_code`,
  pointsLots: `select to_jsonb(pl) as row from points_lot pl where pl.member_id = ? order by pl.earned_at, pl.id`,
  entitlements: `
    select to_jsonb(e) || jsonb_build_object('benefit_code', b.code, 'partner_id', b.partner_id) as row
    from entitlement e join benefit b on b.id = e.benefit_id
    where e.member_id = ? order by e.period_start, e.created_at, e.id`,
  issuedTokens: `
    select to_jsonb(it) as row from issued_token it join entitlement e on e.id = it.entitlement_id
    where e.member_id = ? order by it.issued_at, it.jti`,
  redemptions: `
    select to_jsonb(r) || jsonb_build_object('benefit_code', b.code) as row
    from redemption r join entitlement e on e.id = r.entitlement_id join benefit b on b.id = e.benefit_id
    where e.member_id = ? order by r.created_at, r.id`,
  redemptionVoids: `
    select to_jsonb(v) as row from redemption_void v
    join redemption r on r.id = v.redemption_id join entitlement e on e.id = r.entitlement_id
    where e.member_id = ? order by v.created_at, v.id`,
  voucherCodes: `
    select to_jsonb(vc) as row from voucher_code vc
    where vc.entitlement_id in (select id from entitlement where member_id = ?)
    order by vc.claimed_at, vc.id`,
  provisioningEvents: `
    select to_jsonb(o) as row from outbox_event o join entitlement e on e.id = o.entitlement_id
    where e.member_id = ? order by o.created_at, o.id`,
  partnerAcknowledgements: `
    select to_jsonb(ie) as row from inbound_partner_event ie
    where (ie.body ->> 'entitlementId') in (select id::text from entitlement where member_id = ?)
    order by ie.received_at, ie.id`,
};

/**
 * Reads everything about one member, in the caller's transaction (give it a snapshot:
 * REPEATABLE READ), and renders the export document. Null when there is no such member.
 */
export async function buildDataExport(
  em: EntityManager,
  memberId: string,
  options: { pseudonyms: MemberPseudonymizer; generatedAt: Date },
): Promise<DataExportView | null> {
  // Timestamps render as ISO-8601 in UTC.
  await em.execute(`set local timezone = 'UTC'`);
  const rows = async (name: string): Promise<Row[]> => {
    const sql = QUERIES[name]!;
    // Every placeholder of these queries is the member id.
    const parameters = Array.from(sql.matchAll(/\?/g), () => memberId);
    const result = await em.execute<{ row: Row }[]>(sql, parameters);
    return result.map((r) => camelKeys(r.row));
  };
  const [member] = await rows('member');
  if (!member) return null;
  const sections: Record<string, Row[]> = {};
  for (const section of DATA_EXPORT_SECTIONS) {
    if (section.name === 'member' || section.name === 'auditLog') continue;
    sections[section.name] = await rows(section.name);
  }
  sections.auditLog = await auditRows(em, memberId, sections);

  const partners = [...new Set(sections.entitlements!.map((e) => String(e.partnerId)))].sort();
  const pseudonyms = partners.map((partnerId) => ({ partnerId, pseudonym: options.pseudonyms.forPartner(memberId, partnerId) }));
  const counts: Record<string, number> = { member: 1, [PSEUDONYM_SECTION.name]: pseudonyms.length };
  for (const [name, list] of Object.entries(sections)) counts[name] = list.length;

  const document = {
    format: DATA_EXPORT_PROFILE,
    schemaVersion: DATA_EXPORT_SCHEMA_VERSION,
    generatedAt: options.generatedAt.toISOString(),
    memberId,
    sections: [
      ...DATA_EXPORT_SECTIONS.map((s) => ({ name: s.name, source: s.table, description: s.description, count: counts[s.name]! })),
      { name: PSEUDONYM_SECTION.name, source: null, description: PSEUDONYM_SECTION.description, count: pseudonyms.length },
    ],
    member,
    [PSEUDONYM_SECTION.name]: pseudonyms,
    ...sections,
  };
  const json = `${JSON.stringify(document, null, 2)}\n`;
  const bytes = Buffer.from(json, 'utf8');
  return {
    memberId,
    fileName: `member-data-${memberId}-${options.generatedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}.json`,
    format: DATA_EXPORT_MEDIA_TYPE,
    schemaVersion: DATA_EXPORT_SCHEMA_VERSION,
    generatedAt: options.generatedAt,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    byteLength: bytes.length,
    json,
    counts,
  };
}

/**
 * Audit rows about the member: those they (or they as staff) made, and those whose
 * subject is the member or one of their memberships, payments, rights, tokens,
 * redemptions, voids or voucher codes. Both lookups are indexed.
 */
async function auditRows(em: EntityManager, memberId: string, sections: Record<string, Row[]>): Promise<Row[]> {
  const ids = (name: string, key = 'id') => (sections[name] ?? []).map((row) => String(row[key]));
  const subjects = [
    memberId,
    ...ids('memberships'),
    ...ids('payments'),
    ...ids('entitlements'),
    ...ids('issuedTokens', 'jti'),
    ...ids('redemptions'),
    ...ids('redemptionVoids'),
    ...ids('voucherCodes'),
  ];
  // Entries about the member, or made as the member, whole. Entries the person made as staff
  // (admin, support, …) about others show only what they did and when: the rest is other people's data.
  const result = await em.execute<{ row: Row }[]>(
    `select case when a.actor = ? or a.subject = any(?::text[]) then to_jsonb(a)
                 else jsonb_build_object('seq', a.seq, 'at', a.at, 'actor', a.actor, 'action', a.action) end as row
     from audit_log a
     where a.actor = any(?::text[]) or a.subject = any(?::text[])
     order by a.at, a.chain, a.seq`,
    [`member:${memberId}`, pgTextArray(subjects), pgTextArray(actorsOfMember(memberId)), pgTextArray(subjects)],
  );
  return result.map((r) => camelKeys(r.row));
}

function camelKeys(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), value]));
}
