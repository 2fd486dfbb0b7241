// Segments (issue 10, part 8): lifecycle stages that follow a member as their clock advances and
// come back with a purchase, RFM segments that partition every member of a seeded mix (scores
// checked against a recomputation from the activities), refunds that lower monetary value,
// counts that agree with the pages, two workers computing at once, and bad input coded.
// Real PostgreSQL, test clocks, everything through the gateway but the workers' runs.
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSegmentConfigVersion, membersInSegments, parseSegmentConfig, quintileScores, rfmSegmentOf, segmentsOf, type SegmentConfigInput } from '../src/modules/segment/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { createDueWorkRunner } from '../src/platform/due-work.js';
import { createLogger } from '../src/platform/logger.js';
import { DEMO_SEGMENT_CONFIG } from '../src/seed/demo-segments.js';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock } from './support/clocks.js';

let t: TestApp;
let admin: string;
const demo = parseSegmentConfig(DEMO_SEGMENT_CONFIG);
const DAY = 86_400_000;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('segments-admin');
});
afterAll(async () => {
  await t?.close();
});

async function ok<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await t.graphql(query, variables, { bearer: admin });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data;
}

async function record(memberId: string, input: Record<string, unknown>): Promise<{ id: string; externalId: string }> {
  const data = await ok(`mutation($input: ActivityInput!) { recordActivity(input: $input) { id externalId } }`, { input: { memberId, channel: 'app', externalId: randomUUID(), ...input } });
  return data.recordActivity;
}
const purchase = (memberId: string, yuan: number) => record(memberId, { type: 'PURCHASE', amount: { amount: Math.round(yuan * 100), currency: 'CNY' } });
const refund = (memberId: string, of: string, yuan: number) => record(memberId, { type: 'REFUND', refundOf: of, amount: { amount: Math.round(yuan * 100), currency: 'CNY' } });

const MEMBER_SEGMENTS = `query($id: ID!) { memberSegments(memberId: $id) {
  memberId segments { code kind name enteredAt computedAt }
  scores { memberId joinedAt lastActivityAt lastPurchaseAt recencyDays frequency monetary currency recencyScore frequencyScore monetaryScore rfmSegment stage computedAt } } }`;

async function memberSegments(memberId: string) {
  return (await ok(MEMBER_SEGMENTS, { id: memberId })).memberSegments;
}

async function recompute(testClockId: string | null) {
  return (await ok(`mutation($c: ID) { recomputeSegments(testClockId: $c) { testClockId asOf trigger configVersion membersScored entered left counts { code members } durationMs } }`, { c: testClockId }))
    .recomputeSegments;
}

/** A fresh test clock at `at` with `count` fresh members on it. */
async function clockWithMembers(at: string, count: number, name: string): Promise<{ clockId: string; memberIds: string[] }> {
  const clock = await ok(`mutation($at: DateTimeISO!, $name: String) { createTestClock(frozenTime: $at, name: $name) { id } }`, { at, name });
  const clockId = clock.createTestClock.id as string;
  const memberIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const me = await t.graphql(`{ me { id } }`, {}, { bearer });
    await ok(`mutation($c: ID!, $m: ID!) { attachTestClock(testClockId: $c, memberId: $m) { id } }`, { c: clockId, m: me.data.me.id });
    memberIds.push(me.data.me.id);
  }
  return { clockId, memberIds };
}

async function changesOf(memberId: string): Promise<Array<{ code: string; change: string; at: string }>> {
  const rows = await t.db.query<{ segment_code: string; change: string; at: Date }>(
    `select segment_code, change, at from member_segment_change where member_id = $1 and kind = 'LIFECYCLE' order by at, change desc`,
    [memberId],
  );
  return rows.map((r) => ({ code: r.segment_code, change: r.change, at: new Date(r.at).toISOString() }));
}

/** 03:00 in Shanghai on a date (YYYY-MM-DD), as UTC. */
const at0300 = (date: string) => new Date(Date.parse(`${date}T03:00:00+08:00`)).toISOString();

describe('lifecycle stages on a test clock', () => {
  it('moves a member NEW → ACTIVE → DORMANT → CHURNED as the clock advances, and back to ACTIVE with a purchase', async () => {
    // Joined 15 Jan 2027, 10:00 in Shanghai, and bought something then.
    const member = await memberOnClock(t, admin, '2027-01-15T02:00:00.000Z', 'lifecycle');
    await purchase(member.memberId, 88);
    const first = await recompute(member.clockId);
    expect(first).toMatchObject({ testClockId: member.clockId, asOf: '2027-01-15T02:00:00.000Z', trigger: 'ON_DEMAND', membersScored: 1, entered: 2 });
    let view = await memberSegments(member.memberId);
    expect(view.scores).toMatchObject({ stage: 'NEW', frequency: 1, monetary: 8_800, currency: 'CNY', recencyDays: 0, lastActivityAt: '2027-01-15T02:00:00.000Z', joinedAt: '2027-01-15T02:00:00.000Z' });
    // The clock's only buyer: the middle of every quintile (3, 3, 3), LOYAL.
    expect(view.scores).toMatchObject({ recencyScore: 3, frequencyScore: 3, monetaryScore: 3, rfmSegment: 'LOYAL' });
    expect(view.segments.map((s: { code: string }) => s.code).sort()).toEqual(['LOYAL', 'NEW']);

    // 30 days on (14 Feb, 10:00): no longer new, active through its purchase.
    await advanceClock(t, admin, member.clockId, '2027-02-14T02:00:00.000Z');
    expect((await memberSegments(member.memberId)).scores.stage).toBe('NEW');
    await advanceClock(t, admin, member.clockId, '2027-02-15T02:00:00.000Z');
    view = await memberSegments(member.memberId);
    expect(view.scores).toMatchObject({ stage: 'ACTIVE', computedAt: at0300('2027-02-15') });

    // 90 days without anything fall on 15 Apr at 10:00: the 03:00 run of 16 Apr finds them dormant.
    await advanceClock(t, admin, member.clockId, '2027-04-16T02:00:00.000Z');
    expect((await memberSegments(member.memberId)).scores.stage).toBe('DORMANT');
    // 180 days on 14 Jul at 10:00: churned at 03:00 on 15 Jul.
    await advanceClock(t, admin, member.clockId, '2027-07-15T02:00:00.000Z');
    view = await memberSegments(member.memberId);
    expect(view.scores).toMatchObject({ stage: 'CHURNED', recencyDays: 180 });
    expect(view.segments.find((s: { kind: string }) => s.kind === 'LIFECYCLE')).toMatchObject({ code: 'CHURNED', name: 'Churned', enteredAt: at0300('2027-07-15') });

    // A purchase: the next day's run finds them active again (they enter it again, whenever they come to match).
    await purchase(member.memberId, 12);
    await advanceClock(t, admin, member.clockId, '2027-07-16T02:00:00.000Z');
    expect((await memberSegments(member.memberId)).scores).toMatchObject({ stage: 'ACTIVE', frequency: 2, recencyDays: 0 });

    expect(await changesOf(member.memberId)).toEqual([
      { code: 'NEW', change: 'ENTERED', at: '2027-01-15T02:00:00.000Z' },
      { code: 'NEW', change: 'LEFT', at: at0300('2027-02-15') },
      { code: 'ACTIVE', change: 'ENTERED', at: at0300('2027-02-15') },
      { code: 'ACTIVE', change: 'LEFT', at: at0300('2027-04-16') },
      { code: 'DORMANT', change: 'ENTERED', at: at0300('2027-04-16') },
      { code: 'DORMANT', change: 'LEFT', at: at0300('2027-07-15') },
      { code: 'CHURNED', change: 'ENTERED', at: at0300('2027-07-15') },
      { code: 'CHURNED', change: 'LEFT', at: at0300('2027-07-16') },
      { code: 'ACTIVE', change: 'ENTERED', at: at0300('2027-07-16') },
    ]);
    // The API campaigns build on: the codes the member is in, and the members in a segment.
    const em = t.app.orm.em.fork();
    expect(await segmentsOf(em, member.memberId)).toEqual(['ACTIVE', 'LOYAL']);
    expect(await membersInSegments(em, ['ACTIVE', 'NOPE'], null, 10_000)).toContain(member.memberId);
    expect(await membersInSegments(em, ['DORMANT', 'CHURNED'], null, 10_000)).not.toContain(member.memberId);
  });
});

describe('monetary value', () => {
  it('is purchases minus refunds: a member who buys and returns is not HIGH_VALUE, and leaves it at the next computation', async () => {
    const { clockId, memberIds } = await clockWithMembers('2027-03-01T02:00:00.000Z', 3, 'refunds');
    const [returner, partial, keeper] = memberIds as [string, string, string];
    const returned = await purchase(returner, 6_000);
    const half = await purchase(partial, 6_000);
    await purchase(keeper, 6_000);
    const before = await recompute(clockId);
    expect(before.counts.find((c: { code: string }) => c.code === 'HIGH_VALUE').members).toBe(3);

    await refund(returner, returned.externalId, 6_000);
    await refund(partial, half.externalId, 2_000);
    const after = await recompute(clockId);
    expect(after).toMatchObject({ membersScored: 3 });
    expect(after.counts.find((c: { code: string }) => c.code === 'HIGH_VALUE').members).toBe(1);

    const returnerView = await memberSegments(returner);
    expect(returnerView.scores).toMatchObject({ frequency: 0, monetary: 0, recencyDays: null, recencyScore: null, rfmSegment: 'NO_PURCHASES', stage: 'NEW' });
    expect(returnerView.segments.map((s: { code: string }) => s.code)).not.toContain('HIGH_VALUE');
    expect((await memberSegments(partial)).scores).toMatchObject({ frequency: 1, monetary: 400_000 });
    expect((await memberSegments(partial)).segments.map((s: { code: string }) => s.code)).not.toContain('HIGH_VALUE');
    expect((await memberSegments(keeper)).segments.map((s: { code: string }) => s.code)).toContain('HIGH_VALUE');
    const left = await t.db.query<{ member_id: string }>(`select member_id from member_segment_change where segment_code = 'HIGH_VALUE' and change = 'LEFT' and member_id = any($1::uuid[]) order by member_id`, [memberIds]);
    expect(left.map((r) => r.member_id)).toEqual([returner, partial].sort());
  });
});

describe('segments as eligibility', () => {
  it('let a campaign for HIGH_VALUE members grant to a member in it and not to one outside it, as of the last computation', async () => {
    const { clockId, memberIds } = await clockWithMembers('2027-10-01T02:00:00.000Z', 2, 'campaign');
    const [big, small] = memberIds as [string, string];
    const created = await t.graphql(
      `mutation($input: CampaignInput!) { createCampaign(input: $input) { code segments } }`,
      {
        input: {
          code: 'HIGH_VALUE_BONUS',
          name: { en: 'Thank you', zhCN: '感谢' },
          offer: { en: '+88 points', zhCN: '加赠88积分' },
          kind: 'BONUS_POINTS',
          startsAt: '2027-10-01T00:00:00+08:00',
          endsAt: '2027-11-01T00:00:00+08:00',
          segments: ['HIGH_VALUE'],
          bonusPoints: 88,
        },
      },
      { bearer: admin },
    );
    expect(created.errors, JSON.stringify(created.errors)).toBeUndefined();
    await purchase(big, 6_000);
    await purchase(small, 100);
    // Not computed yet: nobody is HIGH_VALUE, nobody gets the bonus.
    const grants = () => t.db.query<{ member_id: string }>(`select member_id from campaign_grant where campaign_code = 'HIGH_VALUE_BONUS' order by member_id`);
    expect(await grants()).toEqual([]);
    await recompute(clockId);
    await purchase(big, 100);
    await purchase(small, 100);
    expect((await grants()).map((g) => g.member_id)).toEqual([big]);
  });
});

interface ActivityRow {
  id: string;
  member_id: string;
  type: string;
  amount: number | null;
  refund_of_id: string | null;
  occurred_at: Date;
}

/** Each member's figures as of `asOf`, recomputed here from the activity rows (not from the SQL under test). */
function expectedFigures(memberIds: string[], joinedAt: Date, activities: ActivityRow[], asOf: Date) {
  const windowStart = asOf.getTime() - demo.rfm.windowDays * DAY;
  const refunded = new Map<string, number>();
  for (const a of activities) if (a.type === 'REFUND' && new Date(a.occurred_at) <= asOf) refunded.set(a.refund_of_id!, (refunded.get(a.refund_of_id!) ?? 0) + a.amount!);
  return memberIds.map((memberId) => {
    const own = activities.filter((a) => a.member_id === memberId && new Date(a.occurred_at) <= asOf);
    const net = own
      .filter((a) => a.type === 'PURCHASE' && new Date(a.occurred_at).getTime() > windowStart)
      .map((a) => ({ at: new Date(a.occurred_at).getTime(), net: a.amount! - (refunded.get(a.id) ?? 0) }))
      .filter((p) => p.net > 0);
    const last = net.length ? Math.max(...net.map((p) => p.at)) : null;
    const counted = own.filter((a) => (demo.lifecycle.activityTypes as string[]).includes(a.type)).map((a) => new Date(a.occurred_at).getTime());
    const quietSince = Math.max(joinedAt.getTime(), ...counted);
    const stage =
      joinedAt.getTime() > asOf.getTime() - demo.lifecycle.newDays * DAY
        ? 'NEW'
        : quietSince > asOf.getTime() - demo.lifecycle.dormantAfterDays * DAY
          ? 'ACTIVE'
          : quietSince > asOf.getTime() - demo.lifecycle.churnedAfterDays * DAY
            ? 'DORMANT'
            : 'CHURNED';
    return {
      memberId,
      frequency: net.length,
      monetary: net.reduce((sum, p) => sum + p.net, 0),
      recencyDays: last === null ? null : Math.floor((asOf.getTime() - last) / DAY),
      stage,
    };
  });
}

describe('RFM segments over a seeded mix of members', () => {
  it('puts every member in exactly one RFM segment and one stage, with the scores and segments a recomputation from the activities gives; counts agree with the pages', async () => {
    const start = '2026-03-01T02:00:00.000Z';
    const { clockId, memberIds } = await clockWithMembers(start, 27, 'mix');
    // Nine profiles over 14 months: nothing, check-ins only, one early purchase, a few, many and large,
    // bought and returned, partly returned, late buyers, one big order; some of it leaves the window.
    const orders = new Map<string, { externalId: string; yuan: number }>();
    for (let month = 0; month < 14; month++) {
      for (const [i, memberId] of memberIds.entries()) {
        const profile = i % 9;
        const seed = (i * 7 + month * 13) % 11;
        if (profile === 1 && month % 3 === 0) await record(memberId, { type: 'CHECK_IN' });
        if (profile === 2 && month === 0) await purchase(memberId, 50 + i);
        if (profile === 3 && month % 4 === 1) await purchase(memberId, 120 + seed * 10);
        if (profile === 4 && month % 2 === 0) await purchase(memberId, 400 + seed * 150);
        if (profile === 5 && month === 10) orders.set(memberId, await purchase(memberId, 900 + i).then((p) => ({ externalId: p.externalId, yuan: 900 + i })));
        if (profile === 5 && month === 11) await refund(memberId, orders.get(memberId)!.externalId, orders.get(memberId)!.yuan);
        if (profile === 6 && month === 9) orders.set(memberId, await purchase(memberId, 3_000 + i).then((p) => ({ externalId: p.externalId, yuan: 3_000 + i })));
        if (profile === 6 && month === 12) await refund(memberId, orders.get(memberId)!.externalId, 1_000);
        if (profile === 7 && month >= 12) await purchase(memberId, 60 + seed);
        if (profile === 8 && month === 13 - (Math.floor(i / 9) % 3)) await purchase(memberId, 5_000 + i * 10);
      }
      await advanceClock(t, admin, clockId, new Date(Date.parse(start) + (month + 1) * 30 * DAY));
    }
    const run = await recompute(clockId);
    const asOf = new Date(run.asOf);
    expect(run.membersScored).toBe(27);

    // Exactly one RFM segment and one stage per member, in the table and in the counts.
    const rows = await t.db.query<{ member_id: string; segment_code: string; kind: string }>(`select member_id, segment_code, kind from member_segment where test_clock_id = $1`, [clockId]);
    for (const memberId of memberIds) {
      expect(rows.filter((r) => r.member_id === memberId && r.kind === 'RFM'), memberId).toHaveLength(1);
      expect(rows.filter((r) => r.member_id === memberId && r.kind === 'LIFECYCLE'), memberId).toHaveLength(1);
    }
    const counts = Object.fromEntries(run.counts.map((c: { code: string; members: number }) => [c.code, c.members]));
    expect(demo.rfm.segments.reduce((sum, s) => sum + counts[s.code], 0)).toBe(27);
    expect(counts.NEW + counts.ACTIVE + counts.DORMANT + counts.CHURNED).toBe(27);

    // Figures, scores and segments as a recomputation from the activity rows gives them.
    const activities = await t.db.query<ActivityRow>(`select id, member_id, type, amount, refund_of_id, occurred_at from activity where member_id = any($1::uuid[])`, [memberIds]);
    const expected = expectedFigures(memberIds, new Date(start), activities, asOf);
    const buyers = expected.filter((e) => e.frequency > 0);
    const quintiles = { r: quintileScores(buyers.map((b) => -b.recencyDays!)), f: quintileScores(buyers.map((b) => b.frequency)), m: quintileScores(buyers.map((b) => b.monetary)) };
    const scores = await t.db.query<Record<string, any>>(`select * from member_segment_score where test_clock_id = $1`, [clockId]);
    for (const e of expected) {
      const buyer = e.frequency > 0;
      const want = {
        frequency: e.frequency,
        monetary: String(e.monetary),
        recency_days: e.recencyDays,
        stage: e.stage,
        recency_score: buyer ? quintiles.r.get(-e.recencyDays!)! : null,
        frequency_score: buyer ? quintiles.f.get(e.frequency)! : null,
        monetary_score: buyer ? quintiles.m.get(e.monetary)! : null,
      };
      const row = scores.find((s) => s.member_id === e.memberId)!;
      expect(row, e.memberId).toMatchObject(want);
      expect(row.rfm_segment).toBe(rfmSegmentOf(demo.rfm.segments, { r: want.recency_score, f: want.frequency_score, m: want.monetary_score }));
      const segments = rows.filter((r) => r.member_id === e.memberId).map((r) => r.segment_code).sort();
      expect(segments, e.memberId).toEqual([row.rfm_segment, e.stage, ...(e.monetary >= 500_000 ? ['HIGH_VALUE'] : [])].sort());
    }
    // The mix reaches most segments, and some of it is out of the window by now.
    expect(new Set(scores.map((s) => s.rfm_segment)).size).toBeGreaterThanOrEqual(4);
    expect(scores.some((s) => s.stage === 'DORMANT' || s.stage === 'CHURNED')).toBe(true);
    expect(counts.HIGH_VALUE).toBeGreaterThan(0);

    // segments() counts what segmentMembers pages through, page after page.
    const listed = (await ok(`query($c: ID) { segments(testClockId: $c) { code kind name description members computedAt } }`, { c: clockId })).segments;
    expect(listed.map((s: { code: string }) => s.code)).toEqual([...demo.rfm.segments.map((s) => s.code), 'NEW', 'ACTIVE', 'DORMANT', 'CHURNED', 'HIGH_VALUE']);
    for (const segment of listed) {
      expect(segment.computedAt).toBe(run.asOf);
      expect(segment.members, segment.code).toBe(counts[segment.code]);
      const paged: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page: any = (
          await ok(`query($code: String!, $after: String, $c: ID) { segmentMembers(code: $code, first: 4, after: $after, testClockId: $c) { members { memberId enteredAt scores { rfmSegment stage } } endCursor hasNextPage } }`, {
            code: segment.code,
            after,
            c: clockId,
          })
        ).segmentMembers;
        paged.push(...page.members.map((m: { memberId: string }) => m.memberId));
        if (!page.hasNextPage) break;
        after = page.endCursor;
      }
      expect(paged, segment.code).toEqual([...paged].sort());
      expect(paged.length, segment.code).toBe(segment.members);
      expect(new Set(paged)).toEqual(new Set(rows.filter((r) => r.segment_code === segment.code).map((r) => r.member_id)));
    }
    // The API campaigns page with: members in any of the codes, each once, by id, page after page.
    const walked: string[] = [];
    for (let after: string | null = null; ; ) {
      const page = await membersInSegments(t.app.orm.em.fork(), ['HIGH_VALUE', 'LOYAL', 'CHAMPIONS'], after, 3);
      walked.push(...page);
      if (page.length < 3) break;
      after = page.at(-1)!;
    }
    const inAny = await t.db.query<{ member_id: string }>(`select distinct member_id from member_segment where segment_code in ('HIGH_VALUE', 'LOYAL', 'CHAMPIONS') order by member_id`);
    expect(walked).toEqual(inAny.map((r) => r.member_id));
    expect(new Set(walked).size).toBe(walked.length);
    const zh = await t.graphql(`query($c: ID) { segments(testClockId: $c) { code name } }`, { c: clockId }, { bearer: admin, headers: { 'accept-language': 'zh-CN' } });
    expect(zh.data.segments.find((s: { code: string }) => s.code === 'HIGH_VALUE').name).toBe('高价值会员');
  });
});

describe('members on real time', () => {
  it('are computed on demand at real time, every segment counted', async () => {
    const run = await recompute(null);
    expect(run).toMatchObject({ testClockId: null, trigger: 'ON_DEMAND', configVersion: 1 });
    expect(Math.abs(Date.parse(run.asOf) - Date.now())).toBeLessThan(60_000);
    expect(run.membersScored).toBeGreaterThanOrEqual(1);
    expect(run.counts.map((c: { code: string }) => c.code)).toEqual([...demo.rfm.segments.map((s) => s.code), 'NEW', 'ACTIVE', 'DORMANT', 'CHURNED', 'HIGH_VALUE']);
    const listed = (await ok(`{ segments { code members } }`)).segments;
    expect(listed.find((s: { code: string }) => s.code === 'NEW').members).toBe(run.counts.find((c: { code: string }) => c.code === 'NEW').members);
  });
});

describe('two workers computing at once', () => {
  let second: MikroORM;
  afterAll(async () => {
    await second?.close();
  });

  /**
   * One computation per scheduled instant, each member entering each segment once. Checked
   * against the bug it names: with the schedule row claimed without `for update skip locked`,
   * both workers computed (two runs at one instant, or a unique violation on member_segment).
   */
  it('gives the same result once', async () => {
    const { clockId, memberIds } = await clockWithMembers('2027-05-01T02:00:00.000Z', 12, 'two workers');
    for (const [i, memberId] of memberIds.entries()) if (i % 2 === 0) await purchase(memberId, 100 * (i + 1));
    second = await connectOrm({ databaseUrl: t.db.url, entities: t.app.modules.entities(), poolSize: 4 });
    await Promise.all([t.app.orm, second].map((orm) => Promise.all(Array.from({ length: 4 }, () => orm.em.fork().execute('select 1')))));
    const logger = createLogger('silent');
    const workers = [t.app.orm, second].map((orm) => createDueWorkRunner({ orm, modules: t.app.modules, deps: t.app.deps, logger }));

    // The first computation is due at the clock's time, the next at 03:00 each day.
    const instants = ['2027-05-01T02:00:00.000Z', at0300('2027-05-02'), at0300('2027-05-03')];
    for (const instant of instants) await Promise.all(workers.map((worker) => worker.runDue(clockId, new Date(instant))));

    const runs = await t.db.query<{ as_of: Date; n: number }>(`select as_of, count(*)::int as n from segment_run where test_clock_id = $1 group by as_of order by as_of`, [clockId]);
    expect(runs.map((r) => [new Date(r.as_of).toISOString(), r.n])).toEqual(instants.map((i) => [i, 1]));
    const entered = await t.db.query<{ member_id: string; segment_code: string; n: number }>(
      `select member_id, segment_code, count(*)::int as n from member_segment_change where member_id = any($1::uuid[]) and change = 'ENTERED' group by member_id, segment_code`,
      [memberIds],
    );
    expect(entered.filter((e) => e.n !== 1)).toEqual([]);
    const [{ n }] = await t.db.query<{ n: number }>(`select count(*)::int as n from member_segment where member_id = any($1::uuid[])`, [memberIds]);
    expect(n).toBe(entered.length);
    const [schedule] = await t.db.query<{ next_run_at: Date }>(`select next_run_at from segment_schedule where scope = $1`, [`clock:${clockId}`]);
    expect(new Date(schedule!.next_run_at).toISOString()).toBe(at0300('2027-05-04'));
  });
});

describe('bad input to the admin operations', () => {
  it('is coded: NOT_FOUND for unknown segments, members and clocks, BAD_USER_INPUT for page arguments, all problems at once', async () => {
    const call = (query: string, variables: Record<string, unknown> = {}) => t.graphql(query, variables, { bearer: admin });
    const unknownSegment = await call(`{ segmentMembers(code: "NOPE") { hasNextPage } }`);
    expect(unknownSegment.errors?.[0]).toMatchObject({ message: expect.stringContaining('NOPE'), extensions: { code: 'NOT_FOUND' } });
    const badPage = await call(`{ segmentMembers(code: "LOYAL", first: 0, after: "not-a-cursor") { hasNextPage } }`);
    expect(badPage.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [
        { field: 'first', message: 'must be from 1 to 200' },
        { field: 'after', message: 'must be the endCursor of a previous page (a member id)' },
      ],
    });
    expect((await call(`{ segmentMembers(code: "LOYAL", first: 201) { hasNextPage } }`)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    for (const id of ['nope', randomUUID()]) {
      const member = await call(`query($id: ID!) { memberSegments(memberId: $id) { memberId } }`, { id });
      expect(member.errors?.[0]?.extensions?.code, id).toBe('NOT_FOUND');
      expect(member.data?.memberSegments ?? null).toBeNull();
      const clock = await call(`mutation($c: ID) { recomputeSegments(testClockId: $c) { membersScored } }`, { c: id });
      expect(clock.errors?.[0]?.extensions?.code, id).toBe('NOT_FOUND');
      expect((await call(`query($c: ID) { segments(testClockId: $c) { code } }`, { c: id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await call(`query($c: ID) { segmentMembers(code: "LOYAL", testClockId: $c) { hasNextPage } }`, { c: id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    // A member never computed has no scores yet, and is in no segment.
    const fresh = await t.memberToken(`member-${randomUUID()}`);
    const me = await t.graphql(`{ me { id } }`, {}, { bearer: fresh });
    expect(await memberSegments(me.data.me.id)).toEqual({ memberId: me.data.me.id, segments: [], scores: null });
    // Members may not call them at all.
    const asMember = await t.graphql(`mutation { recomputeSegments { membersScored } }`, {}, { bearer: fresh });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a configuration that would not partition members, naming every problem', () => {
    const broken = structuredClone(DEMO_SEGMENT_CONFIG);
    broken.rfm.segments = broken.rfm.segments.filter((s) => s.code !== 'NO_PURCHASES' && s.code !== 'HIBERNATING');
    expect(() => parseSegmentConfig(broken)).toThrow(/no segment takes 9 of the 126 possible scores/);
  });
});

// Last: it changes the configuration for the rest of this file's database.
describe('a new version of the configuration', () => {
  it('scores by fixed thresholds when set, and members leave the segments it no longer defines at the next computation', async () => {
    const { clockId, memberIds } = await clockWithMembers('2027-09-01T02:00:00.000Z', 3, 'versions');
    const [once, often, never] = memberIds as [string, string, string];
    await purchase(once, 100);
    for (const yuan of [1_000, 1_000, 1_000]) await purchase(often, yuan);
    const before = await recompute(clockId);
    expect(before.configVersion).toBe(1);

    const text = (en: string) => ({ en, 'zh-CN': en });
    const next: SegmentConfigInput = {
      ...structuredClone(DEMO_SEGMENT_CONFIG),
      rfm: {
        windowDays: 365,
        scoring: { method: 'THRESHOLDS', recencyDays: [180, 90, 30, 7], frequency: [2, 3, 5, 8], monetary: [10_000, 50_000, 200_000, 500_000] },
        segments: [
          { code: 'REGULARS', name: text('Regulars'), description: text('Three purchases or more'), when: [{ f: [3, 5] }] },
          { code: 'BUYERS', name: text('Buyers'), description: text('Any other buyer'), when: [{ buyer: true }] },
          { code: 'EVERYONE_ELSE', name: text('Everyone else'), description: text('No purchase'), when: [{}] },
        ],
      },
      value: [],
    };
    const version = await t.app.orm.em.fork().transactional((tx) => addSegmentConfigVersion(tx, next));
    expect(version).toBe(2);

    const after = await recompute(clockId);
    expect(after.configVersion).toBe(2);
    expect(after.counts).toEqual([
      { code: 'REGULARS', members: 1 },
      { code: 'BUYERS', members: 1 },
      { code: 'EVERYONE_ELSE', members: 1 },
      { code: 'NEW', members: 3 },
      { code: 'ACTIVE', members: 0 },
      { code: 'DORMANT', members: 0 },
      { code: 'CHURNED', members: 0 },
    ]);
    // ¥100 today: R 5 (at most 7 days), F 1 (fewer than 2), M 2 (from ¥100). ¥3,000 in 3: F 3, M 4 (from ¥2,000).
    expect((await memberSegments(once)).scores).toMatchObject({ recencyScore: 5, frequencyScore: 1, monetaryScore: 2, rfmSegment: 'BUYERS' });
    expect((await memberSegments(often)).scores).toMatchObject({ recencyScore: 5, frequencyScore: 3, monetaryScore: 4, rfmSegment: 'REGULARS' });
    expect((await memberSegments(never)).scores).toMatchObject({ recencyScore: null, rfmSegment: 'EVERYONE_ELSE' });
    // The segments version 1 put them in are left, recorded, and no longer listed.
    const left = await t.db.query<{ member_id: string; segment_code: string }>(
      `select member_id, segment_code from member_segment_change where change = 'LEFT' and member_id = any($1::uuid[]) order by segment_code, member_id`,
      [memberIds],
    );
    const enteredBefore = await t.db.query<{ member_id: string; segment_code: string }>(
      `select c.member_id, c.segment_code from member_segment_change c join segment_run r on r.id = c.run_id
        where c.change = 'ENTERED' and c.kind <> 'LIFECYCLE' and r.config_version = 1 and c.member_id = any($1::uuid[]) order by c.segment_code, c.member_id`,
      [memberIds],
    );
    expect(left).toEqual(enteredBefore);
    expect(left.map((l) => l.segment_code)).toContain('NO_PURCHASES');
    const listed = (await ok(`query($c: ID) { segments(testClockId: $c) { code members } }`, { c: clockId })).segments;
    expect(listed.map((s: { code: string }) => s.code)).toEqual(['REGULARS', 'BUYERS', 'EVERYONE_ELSE', 'NEW', 'ACTIVE', 'DORMANT', 'CHURNED']);
  });

  it('cannot be edited once written: a change is a new version', async () => {
    await expect(t.db.query(`update segment_config set document = '{}' where version = 1`)).rejects.toThrow(/append-only/);
  });
});

