// What a plan's settings do at renewal, on test clocks: the bundle version the plan sells at the
// renewal (or the one bought, for a plan that grandfathers its members), and rights suspended
// during grace for a plan that says so. Plans and bundle versions of their own (the demo
// catalog stays as it is for the other files).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { advanceClock, memberOnClock as onClock } from './support/clocks.js';
import { setPayerScenario } from './support/payments.js';

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('plan-settings-admin');
  // A bundle whose version 2, effective mid-2027, grants 6 car washes instead of 4.
  await t.db.query(`
    with b as (insert into bundle (id, code) values (gen_random_uuid(), 'TEST_BUNDLE') returning id),
    v1 as (insert into bundle_version (id, bundle_id, version, effective_from) select gen_random_uuid(), b.id, 1, '2026-01-01T00:00:00Z' from b returning id),
    v2 as (insert into bundle_version (id, bundle_id, version, effective_from) select gen_random_uuid(), b.id, 2, '2027-06-01T00:00:00Z' from b returning id),
    wash as (select id from benefit where code = 'CAR_WASH'),
    vip as (select id from benefit where code = 'STREAMING_VIP'),
    g1 as (insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position)
           select gen_random_uuid(), v1.id, wash.id, 4, 'MEMBERSHIP_TERM'::benefit_period, 0 from v1, wash
           union all select gen_random_uuid(), v1.id, vip.id, null, 'MEMBERSHIP_TERM'::benefit_period, 1 from v1, vip returning id),
    g2 as (insert into bundle_benefit (id, bundle_version_id, benefit_id, quota, period, position)
           select gen_random_uuid(), v2.id, wash.id, 6, 'MEMBERSHIP_TERM'::benefit_period, 0 from v2, wash
           union all select gen_random_uuid(), v2.id, vip.id, null, 'MEMBERSHIP_TERM'::benefit_period, 1 from v2, vip returning id)
    insert into plan (id, code, name, price_amount, currency, billing_period, bundle_id, grandfathered, grace_access)
    select gen_random_uuid(), p.code, '{"en": "Test"}'::jsonb, 10000, 'CNY', 'YEAR'::billing_period, b.id, p.grandfathered, p.grace::grace_access
    from b, (values ('TEST_LATEST', false, 'USABLE'), ('TEST_GRANDFATHERED', true, 'USABLE'), ('TEST_SUSPEND', false, 'SUSPENDED')) as p(code, grandfathered, grace)`);
});
afterAll(async () => {
  await t?.close();
});

const memberOnClock = (at: string) => onClock(t, admin, at);
const advance = (clockId: string, to: string) => advanceClock(t, admin, clockId, to);

async function subscribe(bearer: string, plan: string): Promise<string> {
  const sub = await t.graphql(`mutation($p: String!, $k: String!) { subscribe(planCode: $p, idempotencyKey: $k) { id status } }`, { p: plan, k: randomUUID() }, { bearer });
  expect(sub.data.subscribe.status).toBe('ACTIVE');
  return sub.data.subscribe.id;
}

async function carWash(bearer: string): Promise<{ id: string; status: string; remaining: number }> {
  const me = await t.graphql(`{ me { entitlements { id status remaining benefit { code } } } }`, {}, { bearer });
  return me.data.me.entitlements.find((e: { benefit: { code: string } }) => e.benefit.code === 'CAR_WASH');
}

describe('the bundle version a renewal brings', () => {
  it('renews into the version the plan sells at the renewal, the partners told of the new rights', async () => {
    const member = await memberOnClock('2027-01-10T02:00:00.000Z');
    const membershipId = await subscribe(member.bearer, 'TEST_LATEST');
    expect(await carWash(member.bearer)).toMatchObject({ remaining: 4 });
    await advance(member.clockId, '2028-01-11T00:00:00.000Z');
    expect(await carWash(member.bearer)).toMatchObject({ remaining: 6, status: 'ACTIVE' });
    const timeline = await t.graphql(`query($id: ID!) { membershipTimeline(membershipId: $id) { type details } }`, { id: membershipId }, { bearer: admin });
    const renewed = timeline.data.membershipTimeline.find((e: { type: string }) => e.type === 'RENEWED');
    expect(JSON.parse(renewed.details)).toHaveProperty('previousBundleVersionId');
    // The new period's rights are announced to their partners through the outbox, once each.
    const announced = await t.db.query<{ code: string; partner_id: string; n: number }>(
      `select b.code, o.partner_id, count(*)::int as n from outbox_event o join entitlement e on e.id = o.entitlement_id join benefit b on b.id = e.benefit_id
       where e.membership_id = $1 and o.type = 'right.activate' and e.period_start = '2028-01-10T02:00:00Z' group by 1, 2 order by 1`,
      [membershipId],
    );
    expect(announced).toEqual([
      { code: 'CAR_WASH', partner_id: 'sparkwash', n: 1 },
      { code: 'STREAMING_VIP', partner_id: 'streamflix', n: 1 },
    ]);
  });

  it('keeps a grandfathered member on the version they bought', async () => {
    const member = await memberOnClock('2027-01-10T02:00:00.000Z');
    await subscribe(member.bearer, 'TEST_GRANDFATHERED');
    await advance(member.clockId, '2028-01-11T00:00:00.000Z');
    expect(await carWash(member.bearer)).toMatchObject({ remaining: 4, status: 'ACTIVE' });
  });
});

describe('a plan that suspends rights during grace', () => {
  it('suspends the rights of a PAST_DUE membership (tokens refused) and makes them usable again once paid', async () => {
    const member = await memberOnClock('2027-01-10T02:00:00.000Z');
    const membershipId = await subscribe(member.bearer, 'TEST_SUSPEND');
    await setPayerScenario(t, member.memberId, 'decline');
    await advance(member.clockId, '2028-01-10T03:00:00.000Z');
    const suspended = await carWash(member.bearer);
    expect(suspended.status).toBe('SUSPENDED');
    const token = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: suspended.id }, { bearer: member.bearer });
    expect(token.errors?.[0]?.extensions?.code).toBe('ENTITLEMENT_INACTIVE');

    await setPayerScenario(t, member.memberId, 'success');
    const paid = await t.graphql(`mutation($id: ID!) { payPastDue(membershipId: $id) { status } }`, { id: membershipId }, { bearer: member.bearer });
    expect(paid.data.payPastDue.status).toBe('ACTIVE');
    expect(await carWash(member.bearer)).toMatchObject({ id: suspended.id, status: 'ACTIVE', remaining: 6 });
    const again = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: suspended.id }, { bearer: member.bearer });
    expect(again.errors).toBeUndefined();
  });
});
