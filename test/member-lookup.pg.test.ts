// Issue 11: a "who am I" for the web console (`viewer`, its `can` derived from the capability
// table the guards use) and support's member lookup (`memberLookup`, `memberProfile`), every read
// audited and every lookup path answered through an index.
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberLookupStatement } from '../src/modules/support/index.js';
import { StaffRole } from '../src/platform/principal.js';
import { MemberLookupDocument, MemberProfileDocument, ViewerDocument } from './generated/operations.js';
import { startTestApp, type SubscribedMember, type TestApp } from './support/app.js';
import { memberOnClock } from './support/clocks.js';

type Caller = 'anonymous' | 'member' | 'partner' | 'channel' | 'admin' | 'pm' | 'support' | 'finance' | 'analyst' | 'supportAndAnalyst';
const CALLERS: Caller[] = ['anonymous', 'member', 'partner', 'channel', 'admin', 'pm', 'support', 'finance', 'analyst', 'supportAndAnalyst'];

/** What each caller should be offered: written out here, so a change to the table shows up as a diff to review. */
const EXPECTED_CAN: Record<Caller, string[]> = {
  anonymous: [],
  member: [],
  partner: ['PARTNER_PORTAL'],
  channel: [],
  admin: ['CONFIGURE', 'PUBLISH', 'VIEW_FIGURES', 'LOOK_UP_MEMBERS', 'REFUND', 'REVOKE', 'EXPORT', 'ERASE', 'SETTLEMENT', 'AUDIT'],
  pm: ['CONFIGURE', 'PUBLISH', 'VIEW_FIGURES', 'SETTLEMENT'],
  support: ['LOOK_UP_MEMBERS', 'REFUND', 'REVOKE', 'EXPORT', 'ERASE'],
  finance: ['VIEW_FIGURES', 'SETTLEMENT'],
  analyst: ['VIEW_FIGURES'],
  supportAndAnalyst: ['VIEW_FIGURES', 'LOOK_UP_MEMBERS', 'REFUND', 'REVOKE', 'EXPORT', 'ERASE'],
};

/**
 * For each capability, operations of it the console would use, called with ids nobody has (so
 * an allowed call finds nothing and changes nothing): the server's own answer to "may I?".
 */
const REPRESENTATIVES: Record<string, string[]> = {
  CONFIGURE: [`query($u: ID!) { catalogPreview(draftId: $u, memberId: $u) { memberId } }`, `mutation($u: ID!) { updatePartner(partnerId: $u, input: { name: { en: "x", zhCN: "x" } }) { id } }`],
  PUBLISH: [`mutation($u: ID!) { cancelCatalogPublication(draftId: $u) { id } }`],
  VIEW_FIGURES: [`{ programFiguresRun { __typename } }`],
  SETTLEMENT: [`query($u: ID!) { partnerExitFigures(partnerId: $u) { __typename } }`],
  LOOK_UP_MEMBERS: [`query($u: ID!) { memberProfile(memberId: $u) { id } }`],
  REFUND: [`mutation($u: ID!) { refundMembership(membershipId: $u) { id } }`],
  REVOKE: [`mutation($u: ID!) { revokeEntitlement(entitlementId: $u, reason: "capability check") { id } }`],
  EXPORT: [`query($u: ID!) { memberDataExport(memberId: $u) { memberId } }`],
  ERASE: [`mutation($u: ID!) { eraseMember(memberId: $u, reason: "capability check") { memberId } }`],
  AUDIT: [`{ auditTrail(first: 1) { id } }`],
  PARTNER_PORTAL: [`{ partnerBenefits { code } }`, `query($u: String!) { voucherPool(benefitCode: $u) { available } }`],
};

let t: TestApp;
let bearers: Record<Caller, string | undefined>;
let A: SubscribedMember & { subject: string };
let supportId: string;

async function subscribed(): Promise<SubscribedMember & { subject: string }> {
  const member = await t.subscribedMember();
  const [row] = await t.db.query<{ subject: string }>(`select subject from member where id = $1`, [member.memberId]);
  return { ...member, subject: row!.subject };
}

beforeAll(async () => {
  t = await startTestApp();
  const admin = await t.adminToken(`admin-${randomUUID()}`);
  const channel = await t.graphql(`mutation { createChannelApiKey(channel: "lookup-pos") { key } }`, {}, { bearer: admin });
  expect(channel.errors).toBeUndefined();
  const staff = (...roles: StaffRole[]) => t.staffToken(`staff-${randomUUID()}`, ...roles);
  A = await subscribed();
  bearers = {
    anonymous: undefined,
    member: A.bearer,
    partner: await t.partnerKey('sparkwash'),
    channel: channel.data.createChannelApiKey.key,
    admin,
    pm: await staff(StaffRole.PRODUCT_MANAGER),
    support: await staff(StaffRole.SUPPORT),
    finance: await staff(StaffRole.FINANCE),
    analyst: await staff(StaffRole.ANALYST),
    supportAndAnalyst: await staff(StaffRole.SUPPORT, StaffRole.ANALYST),
  };
  supportId = (await t.graphql(`{ me { id } }`, {}, { bearer: bearers.support })).data.me.id;
});
afterAll(async () => {
  await t?.close();
});

describe('viewer', () => {
  it('answers an anonymous caller ANONYMOUS, with nothing it may use and no error', async () => {
    const res = await t.graphql(ViewerDocument, {});
    expect(res.errors).toBeUndefined();
    expect(res.data.viewer).toEqual({ kind: 'ANONYMOUS', staffRoles: [], memberId: null, partner: null, channel: null, can: [] });
  });

  it('reports a refused credential as UNAUTHENTICATED, where plans (which is not about the caller) ignores it', async () => {
    for (const bearer of ['not-a-credential', 'cgk_sparkwash_revokedOrUnknownKey0000000000000000']) {
      const res = await t.graphql(ViewerDocument, {}, { bearer });
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(res.data?.viewer ?? null).toBeNull();
      const plans = await t.graphql(`{ plans { code } }`, {}, { bearer });
      expect(plans.errors).toBeUndefined();
    }
  });

  it('names a member, a partner and a channel by their own ids', async () => {
    const member = await t.graphql(ViewerDocument, {}, { bearer: bearers.member });
    expect(member.data.viewer).toEqual({ kind: 'MEMBER', staffRoles: [], memberId: A.memberId, partner: null, channel: null, can: [] });
    const partner = await t.graphql(ViewerDocument, {}, { bearer: bearers.partner });
    expect(partner.data.viewer).toEqual({ kind: 'PARTNER', staffRoles: [], memberId: null, partner: { id: 'sparkwash', name: 'SparkWash' }, channel: null, can: ['PARTNER_PORTAL'] });
    const channel = await t.graphql(ViewerDocument, {}, { bearer: bearers.channel });
    expect(channel.data.viewer).toEqual({ kind: 'CHANNEL', staffRoles: [], memberId: null, partner: null, channel: 'lookup-pos', can: [] });
  });

  it("lists each staff role by the contract's name, and what each may use", async () => {
    const roles: Partial<Record<Caller, string[]>> = { admin: ['admin'], pm: ['pm'], support: ['support'], finance: ['finance'], analyst: ['analyst'], supportAndAnalyst: ['support', 'analyst'] };
    for (const caller of CALLERS) {
      const res = await t.graphql(ViewerDocument, {}, { bearer: bearers[caller] });
      expect(res.errors, caller).toBeUndefined();
      expect(res.data.viewer.can, caller).toEqual(EXPECTED_CAN[caller]);
      expect(res.data.viewer.staffRoles, caller).toEqual(roles[caller] ?? []);
      if (roles[caller]) expect(res.data.viewer).toMatchObject({ kind: 'MEMBER', memberId: expect.any(String) });
    }
  });

  it('offers a capability exactly when the server lets the caller use it: every caller × every capability, 0 disagreements', async () => {
    const disagreements: string[] = [];
    let calls = 0;
    for (const caller of CALLERS) {
      const can = (await t.graphql(ViewerDocument, {}, { bearer: bearers[caller] })).data.viewer.can as string[];
      for (const [capability, operations] of Object.entries(REPRESENTATIVES)) {
        for (const operation of operations) {
          const res = await t.graphql(operation, operation.includes('$u: String') ? { u: `none-${randomUUID()}` } : operation.includes('$u') ? { u: randomUUID() } : {}, { bearer: bearers[caller] });
          calls++;
          const codes = (res.errors ?? []).map((e) => e.extensions?.code);
          const refused = codes.includes('FORBIDDEN') || codes.includes('UNAUTHENTICATED');
          if (refused === can.includes(capability)) disagreements.push(`${caller} ${capability}: can says ${can.includes(capability)}, server ${refused ? codes.join(',') : 'allowed'} — ${operation}`);
        }
      }
    }
    expect(calls).toBe(CALLERS.length * Object.values(REPRESENTATIVES).flat().length);
    expect(disagreements, disagreements.join('\n')).toEqual([]);
  });
});

describe('memberLookup', () => {
  const lookup = (query: string, bearer = bearers.support, first?: number) => t.graphql(MemberLookupDocument, { query, ...(first === undefined ? {} : { first }) }, { bearer });

  it('finds a member by member id (any case), membership id, entitlement id and sign-in subject, saying by what', async () => {
    const cases: Array<[string, string]> = [
      [A.memberId, 'MEMBER_ID'],
      [A.memberId.toUpperCase(), 'MEMBER_ID'],
      [A.membershipId, 'MEMBERSHIP_ID'],
      [A.entitlementIds.CAR_WASH!, 'ENTITLEMENT_ID'],
      [A.subject, 'SUBJECT'],
      [` ${A.subject} `, 'SUBJECT'],
    ];
    for (const [query, key] of cases) {
      const res = await lookup(query);
      expect(res.errors, query).toBeUndefined();
      expect(res.data.memberLookup.map((m) => [m.id, m.matchedBy]), query).toEqual([[A.memberId, [key]]]);
    }
  });

  it('summarizes a member as they see themselves: the same membership, tier, points and rights as their own me', async () => {
    const [found] = (await lookup(A.memberId)).data.memberLookup;
    const own = await t.graphql(`{ me { id membership { id status plan { code } currentPeriodEnd } tier { code } points { balance } } }`, {}, { bearer: A.bearer });
    expect(found!.member).toEqual(own.data.me);
    expect(found).toMatchObject({ erased: false, erasedAt: null, testClockId: null, member: { membership: { id: A.membershipId, status: 'ACTIVE', plan: { code: 'PLUS' } }, tier: { code: 'MEMBER' }, points: { balance: 0 } } });
    expect(found!.entitlementCounts).toMatchObject({ total: Object.keys(A.entitlementIds).length, revoked: 0, expired: 0 });
    expect(found!.entitlementCounts.active + found!.entitlementCounts.pendingProvision).toBe(found!.entitlementCounts.total);
  });

  it("shows a member's profile: every membership and right, the revoked one included, and what the member's own page lists", async () => {
    const member = await subscribed();
    const revoked = await t.graphql(`mutation($id: ID!) { revokeEntitlement(entitlementId: $id, reason: "TICKET-1 fraud") { status } }`, { id: member.entitlementIds.CAR_WASH }, { bearer: bearers.support });
    expect(revoked.errors).toBeUndefined();
    const res = await t.graphql(MemberProfileDocument, { memberId: member.memberId }, { bearer: bearers.support });
    expect(res.errors).toBeUndefined();
    const profile = res.data.memberProfile;
    expect(profile.matchedBy).toEqual(['MEMBER_ID']);
    expect(profile.memberships.map((m) => [m.id, m.status, m.plan.code])).toEqual([[member.membershipId, 'ACTIVE', 'PLUS']]);
    const carWash = profile.entitlements.find((e) => e.id === member.entitlementIds.CAR_WASH);
    expect(carWash).toMatchObject({ status: 'REVOKED', source: 'MEMBERSHIP', sourceRef: null, benefit: { code: 'CAR_WASH', partner: { id: 'sparkwash', name: 'SparkWash' } } });
    expect(profile.entitlementCounts).toMatchObject({ revoked: 1, total: Object.keys(member.entitlementIds).length });
    const own = await t.graphql(
      `{ me { id membership { id status plan { code } currentPeriodEnd } tier { code } entitlements { id status } points { balance history(first: 10) { id kind at change reason } } } }`,
      {},
      { bearer: member.bearer },
    );
    expect(profile.member).toEqual(own.data.me);
    expect(new Set(profile.entitlements.map((e) => e.id))).toEqual(new Set(Object.values(member.entitlementIds)));
  });

  it("sees a member on a test clock at the clock's time, as the member does", async () => {
    const admin = bearers.admin!;
    const onClock = await memberOnClock(t, admin, '2027-06-01T02:00:00.000Z', 'support lookup');
    const sub = await t.graphql(`mutation($k: String!) { subscribe(planCode: "PLUS", idempotencyKey: $k) { id status } }`, { k: randomUUID() }, { bearer: onClock.bearer });
    expect(sub.errors).toBeUndefined();
    const own = await t.graphql(`{ me { entitlements { id status } } }`, {}, { bearer: onClock.bearer });
    // The membership year starts on the clock, after real time: on real time none of it is current.
    expect(own.data.me.entitlements.length).toBeGreaterThan(0);
    const res = await t.graphql(MemberProfileDocument, { memberId: onClock.memberId }, { bearer: bearers.support });
    expect(res.data.memberProfile).toMatchObject({ testClockId: onClock.clockId, now: '2027-06-01T02:00:00.000Z' });
    expect(res.data.memberProfile.member.entitlements).toEqual(own.data.me.entitlements);
  });

  it('finds an erased member by id, erased, and no longer by the sign-in subject they had', async () => {
    const gone = await subscribed();
    const erased = await t.graphql(`mutation($id: ID!) { eraseMember(memberId: $id, reason: "TICKET-2 data-subject request") { erasedAt } }`, { id: gone.memberId }, { bearer: bearers.support });
    expect(erased.errors).toBeUndefined();
    const byId = await lookup(gone.memberId);
    expect(byId.data.memberLookup).toEqual([expect.objectContaining({ id: gone.memberId, erased: true, erasedAt: erased.data.eraseMember.erasedAt, matchedBy: ['MEMBER_ID'] })]);
    expect(byId.data.memberLookup[0]!.member.membership).toBeNull();
    expect(byId.data.memberLookup[0]!.entitlementCounts.revoked).toBe(Object.keys(gone.entitlementIds).length);
    expect((await lookup(gone.subject)).data.memberLookup).toEqual([]);
    // Its subject is now its own id: still found once, by id, not also "by subject".
    const profile = await t.graphql(MemberProfileDocument, { memberId: gone.memberId }, { bearer: bearers.support });
    expect(profile.data.memberProfile).toMatchObject({ id: gone.memberId, erased: true });
  });

  it('finds nothing for an id nobody has or a query that is no id, and refuses an empty query or a bad page size', async () => {
    for (const query of [randomUUID(), 'not-a-uuid', "'; drop table member; --", '0000-0000', `${A.memberId}x`]) {
      const res = await lookup(query);
      expect(res.errors, query).toBeUndefined();
      expect(res.data.memberLookup, query).toEqual([]);
    }
    for (const memberId of ['not-a-uuid', randomUUID()]) {
      const res = await t.graphql(MemberProfileDocument, { memberId }, { bearer: bearers.support });
      expect(res.errors?.map((e) => e.extensions?.code), memberId).toEqual(['NOT_FOUND']);
    }
    const empty = await lookup('   ');
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [expect.objectContaining({ field: 'query' })] });
    for (const first of [0, 51]) expect((await lookup(A.memberId, bearers.support, first)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    for (const query of ['a\u0000b', 'x'.repeat(513)]) expect((await lookup(query)).errors?.[0]?.extensions?.code, query.slice(0, 5)).toBe('BAD_USER_INPUT');
  });

  it('is refused to finance and the other roles, as the Roles table says', async () => {
    for (const caller of ['finance', 'pm', 'analyst', 'member', 'partner', 'channel'] as const) {
      expect((await lookup(A.memberId, bearers[caller])).errors?.map((e) => e.extensions?.code), caller).toEqual(['FORBIDDEN']);
    }
    expect((await t.graphql(MemberLookupDocument, { query: A.memberId })).errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    expect((await lookup(A.memberId, bearers.admin)).data.memberLookup).toHaveLength(1);
  });

  it('audits every lookup with its query (a subject only as its SHA-256) and never whom it found', async () => {
    const marker = `lookup-${randomUUID()}`;
    await lookup(A.memberId);
    await lookup(A.subject);
    await lookup(marker);
    await t.graphql(MemberProfileDocument, { memberId: A.memberId }, { bearer: bearers.support });
    const rows = await t.db.query<{ actor: string; action: string; subject: string; after: Record<string, unknown> | null; text: string }>(
      `select actor, action, subject, after, coalesce(after::text, '') as text from audit_log where action in ('member.lookup', 'member.profile') and actor = $1 order by chain, seq`,
      [`support:${supportId}`],
    );
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(rows).toContainEqual(expect.objectContaining({ action: 'member.lookup', subject: A.memberId, after: { query: A.memberId, querySha256: null, first: 20, matches: 1 } }));
    const bySubject = rows.find((r) => r.subject === `sha256:${sha(A.subject)}`);
    expect(bySubject?.after).toEqual({ query: null, querySha256: sha(A.subject), first: 20, matches: 1 });
    expect(bySubject!.text).not.toContain(A.memberId);
    expect(bySubject!.text).not.toContain(A.subject);
    expect(rows).toContainEqual(expect.objectContaining({ action: 'member.lookup', subject: `sha256:${sha(marker)}`, after: expect.objectContaining({ matches: 0 }) }));
    expect(rows).toContainEqual(expect.objectContaining({ action: 'member.profile', subject: A.memberId }));
    // A refused lookup reads nothing, so records nothing.
    const before = (await t.db.query(`select count(*)::int as n from audit_log where action = 'member.lookup'`))[0]!.n;
    await lookup(A.memberId, bearers.finance);
    expect((await t.db.query(`select count(*)::int as n from audit_log where action = 'member.lookup'`))[0]!.n).toBe(before);
  });
});

describe('the lookup paths use indexes', () => {
  type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: PlanNode[] };
  const MEMBER_SCOPED = ['member', 'membership', 'entitlement', 'test_clock_member'];

  /**
   * What in a statement's plan reads a member-scoped table other than through an index on what it
   * looks for: a sequential scan, or an index walked whole (no condition on its leading column:
   * a filter riding on a full index scan is a scan too). Sequential scans are priced out first, so
   * a small test table cannot hide a missing index behind a cheap scan.
   */
  async function scans(client: pg.Client, sql: string, params: unknown[]): Promise<string[]> {
    let n = 0;
    const numbered = sql.replace(/\?/g, () => `$${++n}`);
    const [row] = (await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`explain (format json) ${numbered}`, params)).rows;
    const root = row!['QUERY PLAN'][0];
    const problems: string[] = [];
    const walk = async (node: PlanNode, relation?: string): Promise<void> => {
      const table = node['Relation Name'] ?? relation;
      if (node['Node Type'] === 'Seq Scan' && MEMBER_SCOPED.includes(table!)) problems.push(`Seq Scan on ${table}`);
      if (node['Index Name']) {
        const [index] = (await client.query<{ table: string; leading: string | null }>(
          `select t.relname as table, a.attname as leading from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
           left join pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[0] where i.relname = $1`,
          [node['Index Name']],
        )).rows;
        const cond = node['Index Cond'] ?? '';
        if (MEMBER_SCOPED.includes(index!.table) && !(index!.leading && new RegExp(`\\b${index!.leading} =`).test(cond))) {
          problems.push(`${node['Node Type']} on ${node['Index Name']} without a condition on ${index!.leading ?? 'its leading expression'} (${cond || 'none'})`);
        }
      }
      // A bitmap index scan's heap scan names the table; its child names the index.
      for (const child of node.Plans ?? []) await walk(child, node['Node Type'] === 'Bitmap Heap Scan' ? table : undefined);
    };
    await walk(root!.Plan);
    return problems;
  }

  it('answers every key, and the profile reads, through an index on what they look for; without the subject index the check fails', async () => {
    const client = new pg.Client({ connectionString: t.db.url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('set local enable_seqscan = off');
      const byUuid = memberLookupStatement(A.entitlementIds.CAR_WASH!, 20);
      const bySubject = memberLookupStatement(A.subject, 20);
      const statements: Array<[string, string, unknown[]]> = [
        ['lookup by uuid', byUuid.sql, byUuid.params],
        ['lookup by subject', bySubject.sql, bySubject.params],
        ['memberships', `select * from membership where member_id = ? order by created_at desc, id`, [A.memberId]],
        ['entitlements', `select * from entitlement where member_id = ? order by period_end desc, created_at desc, id limit 50`, [A.memberId]],
        ['entitlement counts', `select status, count(*)::int as n from entitlement where member_id = ? group by status`, [A.memberId]],
        ['test clock', `select * from test_clock_member where member_id = ?`, [A.memberId]],
      ];
      for (const [name, sql, params] of statements) expect(await scans(client, sql, params), name).toEqual([]);
      // The check can fail: without member_subject_index, PostgreSQL 15-17 can only walk the whole
      // (issuer, subject) unique index (or scan member) for a subject without its issuer.
      await client.query('drop index member_subject_index');
      expect(await scans(client, bySubject.sql, bySubject.params)).toContainEqual(expect.stringMatching(/member_issuer_subject_unique without a condition on issuer|Seq Scan on member$/));
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});
