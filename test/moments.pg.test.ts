// Members' moments: recorded by producers into an outbox, delivered as due work on the members'
// test clocks through the WeChat subscribe-message adapter to its sandbox (a real HTTP server on
// loopback, checking every message against the keys of its template), in the member's locale,
// outside quiet hours, under the frequency cap, never against an opt-out. Nothing here sleeps:
// time moves with advanceTestClock.
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagingProvider, RunningMessagingSandbox } from '../messaging/sdk/index.js';
import { startWechatSubscribeSandbox } from '../messaging/wechat-subscribe/sandbox-server.js';
import { messagesTo, sandboxState, setScenarios } from '../messaging/wechat-subscribe/sandbox-testing.fixture.js';
import { messagingRecipient, MOMENT_TEMPLATE_KEYS, MomentKind, Moments, type MomentDataByKind } from '../src/modules/moments/index.js';
import { sandboxTemplateId, type MomentKindName } from '../src/platform/config.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { createDueWorkRunner } from '../src/platform/due-work.js';
import { createLogger } from '../src/platform/logger.js';
import { MessagingPreferencesDocument, SetMessagingPreferencesDocument } from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock, type ClockMember } from './support/clocks.js';

/** The sandbox knows the template of every kind, with its keys: a message that does not fit is refused (47003). */
const TEMPLATES = Object.fromEntries(Object.values(MomentKind).map((kind) => [sandboxTemplateId(kind), MOMENT_TEMPLATE_KEYS[kind]]));

let t: TestApp;
let admin: string;
let sandbox: RunningMessagingSandbox;

beforeAll(async () => {
  t = await startTestApp({ messagingSandbox: (options) => startWechatSubscribeSandbox({ ...options, templates: TEMPLATES }) });
  admin = await t.adminToken(`admin-${randomUUID()}`);
  sandbox = t.app.messagingSandbox!;
});
afterAll(async () => {
  await t?.close();
});

/** 10:00 in Shanghai (the program time zone) on 7 December 2026. */
const MORNING = '2026-12-07T02:00:00.000Z';
const minutesAfter = (iso: string, minutes: number) => new Date(new Date(iso).getTime() + minutes * 60_000).toISOString();

const recipient = (member: { memberId: string }) => messagingRecipient(t.app.deps.pseudonyms, 'wechat-subscribe', member.memberId);

async function record<K extends MomentKind>(member: ClockMember, kind: K, data: MomentDataByKind[`${K}`], at: string, key: string = randomUUID()): Promise<boolean> {
  return t.app.orm.em.fork().transactional((tx) =>
    Moments.record(tx, { memberId: member.memberId, kind, occurredAt: new Date(at), data, dedupeKey: `${kind}:${member.memberId}:${key}`, clockId: member.clockId }),
  );
}

interface MomentRow {
  id: string;
  kind: MomentKindName;
  status: string;
  skip_reason: string | null;
  attempts: number;
  deliver_at: Date | null;
  sent_at: Date | null;
  provider: string | null;
  provider_message_id: string | null;
  locale: string | null;
  last_error: string | null;
  test_clock_id: string | null;
}

async function momentsOf(member: { memberId: string }): Promise<MomentRow[]> {
  return t.db.query<MomentRow>(`select * from member_moment where member_id = $1 order by occurred_at, created_at, id`, [member.memberId]);
}

async function setPreferences(member: ClockMember, variables: Record<string, unknown>) {
  const res = await t.graphql(SetMessagingPreferencesDocument, variables, { bearer: member.bearer });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.setMessagingPreferences;
}

const GOLD = { from: 'SILVER', to: 'GOLD', toName: { en: 'Gold', 'zh-CN': '金卡' } };
const earned = (points: number, balance: number) => ({ points, balance, reason: { en: 'Purchase at BrewBar', 'zh-CN': '醇吧咖啡消费' } });

describe('a moment delivered through the messaging provider', () => {
  it('reaches the sandbox in the member\'s locale: English for one who chose it, Chinese by default', async () => {
    const english = await memberOnClock(t, admin, MORNING);
    const chinese = await memberOnClock(t, admin, MORNING);
    await setPreferences(english, { locale: 'en' });
    await record(english, MomentKind.TIER_UP, GOLD, MORNING);
    await record(chinese, MomentKind.TIER_UP, GOLD, MORNING);

    await advanceClock(t, admin, english.clockId, minutesAfter(MORNING, 1));
    await advanceClock(t, admin, chinese.clockId, minutesAfter(MORNING, 1));

    const [toEnglish] = await messagesTo(sandbox, recipient(english));
    const [toChinese] = await messagesTo(sandbox, recipient(chinese));
    expect(toEnglish).toMatchObject({
      template_id: 'sandbox-tier-up',
      lang: 'en_US',
      data: { thing1: { value: 'Gold' }, thing2: { value: 'You moved up a tier' }, date3: { value: '7 Dec 2026' } },
    });
    expect(toChinese).toMatchObject({
      template_id: 'sandbox-tier-up',
      lang: 'zh_CN',
      data: { thing1: { value: '金卡' }, thing2: { value: '恭喜您升级' }, date3: { value: '2026年12月7日' } },
    });
    const [row] = await momentsOf(english);
    expect(row).toMatchObject({ status: 'SENT', skip_reason: null, attempts: 1, deliver_at: null, provider: 'wechat-subscribe', provider_message_id: toEnglish!.msgid, locale: 'en', test_clock_id: english.clockId });
    // Sent at the member's time, and under our id (the adapter's idempotency key).
    expect(row!.sent_at!.toISOString()).toBe(MORNING);
    expect(toEnglish!.client_msg_id).toBe(row!.id);
  });

  it('goes to the member as the provider knows them: a pseudonym of their own, never their member id', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    await record(member, MomentKind.BENEFIT_ACTIVATED, { benefitCode: 'STREAMING_VIP', benefitName: { en: 'StreamFlix VIP', 'zh-CN': '流光视频 VIP 会员' } }, MORNING);
    await advanceClock(t, admin, member.clockId, MORNING);

    const [message] = await messagesTo(sandbox, recipient(member));
    expect(message!.touser).not.toContain(member.memberId);
    expect(message!.touser).toBe(t.app.deps.pseudonyms.forPartner(member.memberId, 'messaging-wechat-subscribe'));
    expect(message!.data).toEqual({ thing1: { value: '流光视频 VIP 会员' }, thing2: { value: '可以使用了' }, date3: { value: '2026年12月7日' } });
  });

  it('records a moment once when its producer records it twice: one message', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    expect(await record(member, MomentKind.POINTS_EARNED, earned(120, 120), MORNING, 'order-1')).toBe(true);
    expect(await record(member, MomentKind.POINTS_EARNED, earned(120, 120), MORNING, 'order-1')).toBe(false);
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 5));

    expect(await momentsOf(member)).toHaveLength(1);
    expect(await messagesTo(sandbox, recipient(member))).toHaveLength(1);
  });

  it('announces a member joining, end to end: subscribing through the gateway records it, the clock delivers it', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    const subscribed = await t.graphql(`mutation { subscribe(planCode: "PLUS", idempotencyKey: "join") { id } }`, {}, { bearer: member.bearer });
    expect(subscribed.errors, JSON.stringify(subscribed.errors)).toBeUndefined();
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 1));

    const [moment] = await momentsOf(member);
    expect(moment).toMatchObject({ kind: 'JOINED', status: 'SENT', test_clock_id: member.clockId });
    const [message] = await messagesTo(sandbox, recipient(member));
    expect(message).toMatchObject({ template_id: 'sandbox-joined', data: { thing2: { value: '欢迎加入，权益已生效' }, date3: { value: '2026年12月7日' } } });
    expect(message!.data.thing1!.value.length).toBeGreaterThan(0);
  });
});

describe('quiet hours', () => {
  it('defers a moment at 23:00 program time to 08:00, then sends it (never drops it)', async () => {
    const night = '2026-12-07T15:00:00.000Z'; // 23:00 in Shanghai
    const member = await memberOnClock(t, admin, night);
    await record(member, MomentKind.POINTS_EARNED, earned(50, 50), night);

    await advanceClock(t, admin, member.clockId, minutesAfter(night, 1));
    const [deferred] = await momentsOf(member);
    expect(deferred).toMatchObject({ status: 'DEFERRED', attempts: 0, sent_at: null });
    expect(deferred!.deliver_at!.toISOString()).toBe('2026-12-08T00:00:00.000Z'); // 08:00 in Shanghai
    expect(await messagesTo(sandbox, recipient(member))).toEqual([]);

    await advanceClock(t, admin, member.clockId, '2026-12-08T01:00:00.000Z');
    const [sent] = await momentsOf(member);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(sent!.sent_at!.toISOString()).toBe('2026-12-08T00:00:00.000Z');
    expect(await messagesTo(sandbox, recipient(member))).toHaveLength(1);
  });

  it("follows the member's own quiet hours when they set them", async () => {
    const member = await memberOnClock(t, admin, '2026-12-07T15:00:00.000Z'); // 23:00
    const preferences = await setPreferences(member, { quietHours: { start: '00:00', end: '07:00' } });
    expect(preferences).toMatchObject({ quietHours: { start: '00:00', end: '07:00', timeZone: 'Asia/Shanghai' }, quietHoursChosen: true });
    await record(member, MomentKind.TIER_UP, GOLD, '2026-12-07T15:00:00.000Z');
    await advanceClock(t, admin, member.clockId, '2026-12-07T15:01:00.000Z');

    expect((await momentsOf(member))[0]).toMatchObject({ status: 'SENT' });
  });
});

describe('the frequency cap', () => {
  it('skips the 4th points-earned message in 24 hours but not a points-expiring one, and frees up as the window rolls', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    for (const [i, minutes] of [0, 10, 20, 30].entries()) await record(member, MomentKind.POINTS_EARNED, earned(10, 10 * (i + 1)), minutesAfter(MORNING, minutes));
    await record(member, MomentKind.POINTS_EXPIRING, { points: 40, expiresAt: '2027-01-01T00:00:00+08:00', buys: { en: 'Nothing yet', 'zh-CN': '暂不足兑换' } }, minutesAfter(MORNING, 40));
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 60));

    const rows = await momentsOf(member);
    expect(rows.map((r) => [r.kind, r.status, r.skip_reason])).toEqual([
      ['POINTS_EARNED', 'SENT', null],
      ['POINTS_EARNED', 'SENT', null],
      ['POINTS_EARNED', 'SENT', null],
      ['POINTS_EARNED', 'SKIPPED', 'FREQUENCY_CAP'],
      ['POINTS_EXPIRING', 'SENT', null],
    ]);
    // Recorded, not sent: the skipped one cost no attempt.
    expect(rows[3]!.attempts).toBe(0);
    const messages = await messagesTo(sandbox, recipient(member));
    expect(messages.map((m) => m.template_id)).toEqual(['sandbox-points-earned', 'sandbox-points-earned', 'sandbox-points-earned', 'sandbox-points-expiring']);

    // 24 hours after the first three went out (the last at 10:20), points earned are told again.
    const nextDay = minutesAfter(MORNING, 24 * 60 + 25);
    await record(member, MomentKind.POINTS_EARNED, earned(10, 50), nextDay);
    await advanceClock(t, admin, member.clockId, nextDay);
    expect((await momentsOf(member)).at(-1)).toMatchObject({ status: 'SENT' });
  });

  it('gives what is left of the cap to the higher priority when several are due at once (after quiet hours)', async () => {
    const night = '2026-12-07T15:00:00.000Z';
    const member = await memberOnClock(t, admin, night);
    await record(member, MomentKind.POINTS_EARNED, earned(10, 10), night);
    await record(member, MomentKind.POINTS_EARNED, earned(10, 20), minutesAfter(night, 1));
    await record(member, MomentKind.POINTS_EARNED, earned(10, 30), minutesAfter(night, 2));
    await record(member, MomentKind.TIER_UP, GOLD, minutesAfter(night, 3));
    await advanceClock(t, admin, member.clockId, '2026-12-08T01:00:00.000Z');

    // All four wait for 08:00; there, the tier move goes before the third points-earned message.
    const rows = await momentsOf(member);
    expect(rows.map((r) => [r.kind, r.status, r.skip_reason])).toEqual([
      ['POINTS_EARNED', 'SENT', null],
      ['POINTS_EARNED', 'SENT', null],
      ['POINTS_EARNED', 'SKIPPED', 'FREQUENCY_CAP'],
      ['TIER_UP', 'SENT', null],
    ]);
  });
});

describe('opt-out', () => {
  it('skips a kind the member opted out of, and every marketing kind after a marketing opt-out, but still reminds them of expiring points', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    const preferences = await setPreferences(member, { optOut: ['POINTS_EARNED'] });
    expect(preferences.optOut).toEqual(['POINTS_EARNED']);
    expect(preferences.receiving).not.toContain('POINTS_EARNED');
    await record(member, MomentKind.POINTS_EARNED, earned(10, 10), MORNING);
    await record(member, MomentKind.TIER_UP, GOLD, minutesAfter(MORNING, 1));
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 5));

    await setPreferences(member, { marketingOptOut: true });
    await record(member, MomentKind.MEMBER_DAY, { date: '2026-12-07T00:00:00+08:00', offer: { en: 'Double points today', 'zh-CN': '今日双倍积分' } }, minutesAfter(MORNING, 6));
    await record(member, MomentKind.POINTS_EXPIRING, { points: 300, expiresAt: '2027-01-01T00:00:00+08:00', buys: { en: 'A coffee at BrewBar', 'zh-CN': '醇吧咖啡 1 杯' } }, minutesAfter(MORNING, 7));
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 10));

    expect((await momentsOf(member)).map((r) => [r.kind, r.status, r.skip_reason])).toEqual([
      ['POINTS_EARNED', 'SKIPPED', 'OPTED_OUT'],
      ['TIER_UP', 'SENT', null],
      ['MEMBER_DAY', 'SKIPPED', 'OPTED_OUT'],
      ['POINTS_EXPIRING', 'SENT', null],
    ]);
    expect((await messagesTo(sandbox, recipient(member))).map((m) => m.template_id)).toEqual(['sandbox-tier-up', 'sandbox-points-expiring']);
  });

  it('shows the preferences on me, refuses bad ones with every problem listed, and resets to the defaults with null', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    const fresh = await t.graphql(MessagingPreferencesDocument, {}, { bearer: member.bearer });
    expect(fresh.data.me.messagingPreferences).toEqual({
      locale: 'zh-CN',
      localeChosen: false,
      optOut: [],
      marketingOptOut: false,
      quietHours: { start: '22:00', end: '08:00', timeZone: 'Asia/Shanghai' },
      quietHoursChosen: false,
      receiving: Object.values(MomentKind),
    });

    const bad = await t.graphql(SetMessagingPreferencesDocument, { locale: 'fr', quietHours: { start: '25:00', end: '8:00' } }, { bearer: member.bearer });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((bad.errors?.[0]?.extensions?.problems as Array<{ field: string }>).map((p) => p.field)).toEqual(['locale', 'quietHours.start', 'quietHours.end']);

    await setPreferences(member, { locale: 'en', optOut: ['MEMBER_DAY', 'MEMBER_DAY'], quietHours: { start: '21:00', end: '21:00' } });
    const changed = await t.graphql(MessagingPreferencesDocument, {}, { bearer: member.bearer });
    expect(changed.data.me.messagingPreferences).toMatchObject({ locale: 'en', localeChosen: true, optOut: ['MEMBER_DAY'], quietHours: null, quietHoursChosen: true });

    // Left out: kept; null: the program's default again.
    const reset = await setPreferences(member, { locale: null, quietHours: null });
    expect(reset).toMatchObject({ locale: 'zh-CN', localeChosen: false, optOut: ['MEMBER_DAY'], quietHours: { start: '22:00', end: '08:00' }, quietHoursChosen: false });
  });
});

describe("the provider's answers", () => {
  it('gives up on a refusal: SKIPPED NOT_SUBSCRIBED, nothing delivered, never sent again', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    await setScenarios(sandbox, { [recipient(member)]: 'REFUSE' });
    await record(member, MomentKind.TIER_UP, GOLD, MORNING);
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 1));

    const [row] = await momentsOf(member);
    expect(row).toMatchObject({ status: 'SKIPPED', skip_reason: 'NOT_SUBSCRIBED', attempts: 1, deliver_at: null, provider: 'wechat-subscribe' });
    expect(row!.last_error).toContain('43101');
    const calls = (await sandboxState(sandbox)).sendCalls;
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 24 * 60));
    expect((await sandboxState(sandbox)).sendCalls).toBe(calls);
    expect(await messagesTo(sandbox, recipient(member))).toEqual([]);
  });

  it('retries a rate-limited message no sooner than the provider asked, and sends it once the limit lifts', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    await setScenarios(sandbox, { [recipient(member)]: 'RATE_LIMIT' });
    await record(member, MomentKind.TIER_UP, GOLD, MORNING);
    await advanceClock(t, admin, member.clockId, MORNING);

    const [waiting] = await momentsOf(member);
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(waiting!.last_error).toMatch(/^RATE_LIMITED: .*45009/);
    // The adapter asks for a minute (45009); the first backoff is at most that.
    expect(waiting!.deliver_at!.toISOString()).toBe(minutesAfter(MORNING, 1));

    await setScenarios(sandbox, { [recipient(member)]: null });
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 5));
    const [sent] = await momentsOf(member);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 2 });
    expect(sent!.sent_at!.toISOString()).toBe(minutesAfter(MORNING, 1));
    expect(await messagesTo(sandbox, recipient(member))).toHaveLength(1);
  });

  it('gives up after MESSAGING_MAX_ATTEMPTS sends the provider kept asking to retry: FAILED', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    await setScenarios(sandbox, { [recipient(member)]: 'SYSTEM_BUSY' });
    await record(member, MomentKind.BENEFIT_ACTIVATED, { benefitCode: 'CAR_WASH' }, MORNING);
    await advanceClock(t, admin, member.clockId, minutesAfter(MORNING, 24 * 60));

    const [row] = await momentsOf(member);
    expect(row).toMatchObject({ status: 'FAILED', attempts: t.app.deps.moments.maxAttempts, deliver_at: null });
    expect(row!.last_error).toMatch(/^UNAVAILABLE: /);
  });

  it('skips a moment that waited too long to be worth sending (points earned 4 days ago): STALE', async () => {
    const member = await memberOnClock(t, admin, MORNING);
    await record(member, MomentKind.POINTS_EARNED, earned(10, 10), minutesAfter(MORNING, -4 * 24 * 60));
    await advanceClock(t, admin, member.clockId, MORNING);

    expect((await momentsOf(member))[0]).toMatchObject({ status: 'SKIPPED', skip_reason: 'STALE', attempts: 0 });
    expect(await messagesTo(sandbox, recipient(member))).toEqual([]);
  });
});

describe('two workers delivering at once', () => {
  let second: MikroORM;
  afterAll(async () => {
    await second?.close();
  });

  /**
   * Each moment goes out once, and a member never gets two at once (WeChat refuses a second
   * message to a member while one is on its way). Checked against the bugs it names: with the
   * claim's row locks removed (`for update of m skip locked` dropped), 4 runs of 4 sent moments
   * twice; with the one-per-member clauses removed, 2 runs of 3 sent two at once to a member.
   */
  it('sends each moment once, one at a time per member', async () => {
    const clock = await t.graphql(`mutation($at: DateTimeISO!) { createTestClock(frozenTime: $at, name: "two workers") { id } }`, { at: MORNING }, { bearer: admin });
    const clockId = clock.data.createTestClock.id as string;
    const members: ClockMember[] = [];
    for (let i = 0; i < 20; i++) {
      const bearer = await t.memberToken(`member-${randomUUID()}`);
      const me = await t.graphql(`{ me { id } }`, {}, { bearer });
      const attached = await t.graphql(`mutation($c: ID!, $m: ID!) { attachTestClock(testClockId: $c, memberId: $m) { id } }`, { c: clockId, m: me.data.me.id }, { bearer: admin });
      expect(attached.errors).toBeUndefined();
      members.push({ bearer, memberId: me.data.me.id, clockId });
    }
    for (const member of members) {
      await record(member, MomentKind.TIER_UP, GOLD, MORNING);
      await record(member, MomentKind.BENEFIT_ACTIVATED, { benefitCode: 'COFFEE' }, MORNING);
      await record(member, MomentKind.POINTS_EXPIRING, { points: 300, expiresAt: '2027-01-01T00:00:00+08:00' }, MORNING);
    }

    // One provider in front of the sandbox, counting sends per message and sends under way per member.
    const sends = new Map<string, number>();
    const underWay = new Map<string, number>();
    let most = 0;
    const provider = t.app.messaging!;
    const counting: MessagingProvider = {
      name: provider.name,
      async send(message) {
        sends.set(message.messageId, (sends.get(message.messageId) ?? 0) + 1);
        underWay.set(message.recipient, (underWay.get(message.recipient) ?? 0) + 1);
        most = Math.max(most, underWay.get(message.recipient)!);
        try {
          return await provider.send(message);
        } finally {
          underWay.set(message.recipient, underWay.get(message.recipient)! - 1);
        }
      },
    };
    const deps = { ...t.app.deps, messaging: counting };
    const logger = createLogger('silent');
    second = await connectOrm({ databaseUrl: t.db.url, entities: t.app.modules.entities(), poolSize: 4 });
    // Both pools connected beforehand, so the two workers' first claims really meet.
    await Promise.all([t.app.orm, second].map((orm) => Promise.all(Array.from({ length: 4 }, () => orm.em.fork().execute('select 1')))));
    const workers = [t.app.orm, second].map((orm) => createDueWorkRunner({ orm, modules: t.app.modules, deps, logger, batchSize: 4 }));
    const before = await sandboxState(sandbox);

    await Promise.all(workers.map((worker) => worker.runDue(clockId, new Date(MORNING))));

    const after = await sandboxState(sandbox);
    const statuses = await t.db.query<{ status: string; n: number }>(`select status, count(*)::int as n from member_moment where test_clock_id = $1 group by status`, [clockId]);
    expect(statuses).toEqual([{ status: 'SENT', n: 60 }]);
    expect(sends.size).toBe(60);
    expect([...sends.values()].filter((n) => n > 1)).toEqual([]);
    expect(after.sendCalls - before.sendCalls).toBe(60);
    expect(after.messages - before.messages).toBe(60);
    expect(most).toBe(1);
  });
});
