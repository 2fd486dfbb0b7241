// Rights held on the partner's side: pending until the partner acknowledges them with a
// signed event on POST /partners/{id}/events (streamflix after the member links an account,
// skymiles once the airline credits the miles).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret, signWebhook } from '../partners/sdk/webhook-signature.js';
import { MeDocument, SubscribeDocument } from './generated/operations.js';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function member(): Promise<{ bearer: string; ids: Record<string, string> }> {
  const { bearer, entitlementIds } = await t.subscribedMember();
  return { bearer, ids: entitlementIds };
}

async function statusOf(entitlementId: string): Promise<string> {
  const [row] = await t.db.query(`select status from entitlement where id = $1`, [entitlementId]);
  return row.status;
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('partner acknowledgements', () => {
  it('activates the streaming VIP once the member links a streamflix account through the activation link', async () => {
    const { bearer, ids } = await member();
    expect(await statusOf(ids.STREAMING_VIP!)).toBe('PENDING_PROVISION');
    const early = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: ids.STREAMING_VIP }, { bearer });
    expect(early.errors?.[0]?.extensions?.code).toBe('ENTITLEMENT_INACTIVE');

    await t.app.outbox.drain();
    const ACCOUNT = `{ me { entitlements { id streamingAccount { status activationLink activeUntil } } } }`;
    const pending = await t.graphql(ACCOUNT, {}, { bearer });
    const account = pending.data.me.entitlements.find((e: any) => e.id === ids.STREAMING_VIP).streamingAccount;
    expect(account.status).toBe('PENDING_LINK');
    const link = new URL(account.activationLink);

    // The member follows the link and signs in at streamflix: no phone or email passes through us.
    expect((await fetch(link)).status).toBe(200);
    const form = new URLSearchParams({
      entitlement: link.searchParams.get('entitlement')!,
      code: link.searchParams.get('code')!,
      streamflixUser: 'alice@streamflix',
    });
    const linked = await fetch(new URL('/activate', link), { method: 'POST', body: form });
    expect(linked.status).toBe(200);

    await eventually(async () => (await statusOf(ids.STREAMING_VIP!)) === 'ACTIVE', 'the streamflix acknowledgement');
    const active = await t.graphql(ACCOUNT, {}, { bearer });
    expect(active.data.me.entitlements.find((e: any) => e.id === ids.STREAMING_VIP).streamingAccount.status).toBe('ACTIVE');
    const token = await t.graphql(`mutation($id: ID!) { issueEntitlementToken(entitlementId: $id) { token } }`, { id: ids.STREAMING_VIP }, { bearer });
    expect(token.errors).toBeUndefined();
  });

  it('activates the bonus miles when the airline confirms the conversion asynchronously', async () => {
    const { bearer, ids } = await member();
    await t.app.outbox.drain();
    expect(await statusOf(ids.SKYMILES_BONUS!)).toBe('PENDING_PROVISION');
    await eventually(async () => (await statusOf(ids.SKYMILES_BONUS!)) === 'ACTIVE', 'the skymiles confirmation');
    const res = await t.graphql(`{ me { entitlements { id milesConversion { status miles reference } } } }`, {}, { bearer });
    const conversion = res.data.me.entitlements.find((e: any) => e.id === ids.SKYMILES_BONUS).milesConversion;
    expect(conversion).toMatchObject({ status: 'CREDITED', miles: 2000, reference: expect.any(String) });
  });
});

describe('the partner events endpoint', () => {
  const url = () => `${t.app.url}/partners/skymiles/events`;

  it('refuses an event signed with the wrong secret and changes nothing', async () => {
    const { ids } = await member();
    const body = JSON.stringify({ type: 'right.acknowledged', entitlementId: ids.SKYMILES_BONUS, status: 'ACTIVE' });
    const headers = signWebhook({ id: `msg_${randomUUID()}`, timestamp: new Date(), body, secrets: [generateWebhookSecret()] });
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: 'invalid_signature', reason: 'BAD_SIGNATURE' });
    expect(await statusOf(ids.SKYMILES_BONUS!)).toBe('PENDING_PROVISION');
  });

  it("does not let one partner acknowledge another partner's right", async () => {
    const { ids } = await member();
    const secrets = t.app.partnerCallbackSecrets.get('skymiles')!;
    // The streamflix right, acknowledged with skymiles' own valid signature.
    const body = JSON.stringify({ type: 'right.acknowledged', entitlementId: ids.STREAMING_VIP, status: 'ACTIVE' });
    const headers = signWebhook({ id: `msg_${randomUUID()}`, timestamp: new Date(), body, secrets });
    const res = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ applied: false });
    expect(await statusOf(ids.STREAMING_VIP!)).toBe('PENDING_PROVISION');
  });

  it('applies a replayed event once', async () => {
    const { ids } = await member();
    const secrets = t.app.partnerCallbackSecrets.get('skymiles')!;
    const body = JSON.stringify({ type: 'right.acknowledged', entitlementId: ids.SKYMILES_BONUS, status: 'REJECTED', reason: 'test' });
    const headers = signWebhook({ id: `msg_${randomUUID()}`, timestamp: new Date(), body, secrets });
    const send = () => fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect(await (await send()).json()).toEqual({ applied: true });
    expect(await (await send()).json()).toEqual({ duplicate: true });
    expect(await statusOf(ids.SKYMILES_BONUS!)).toBe('REVOKED');
  });

  it('answers 404 for a partner that sends no events', async () => {
    const res = await fetch(`${t.app.url}/partners/nobody/events`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });
});

describe('a refund', () => {
  it('revokes the rights here and at the partners, and ends the membership', async () => {
    const bearer = await t.memberToken(`member-${randomUUID()}`);
    const sub = await t.graphql(SubscribeDocument, { planCode: 'PLUS', idempotencyKey: 'k' }, { bearer });
    const me = await t.graphql(MeDocument, {}, { bearer });
    const ids = Object.fromEntries(me.data.me.entitlements.map((e) => [e.benefit.code, e.id]));
    await t.app.outbox.drain();
    expect((await t.app.provisioning.get('sparkwash')!.status(ids.CAR_WASH!)).status).toBe('ACTIVE');

    const admin = await t.adminToken('ops');
    const refunded = await t.graphql(`mutation($id: ID!) { refundMembership(membershipId: $id, policy: FULL) { status } }`, { id: sub.data.subscribe.id }, { bearer: admin });
    expect(refunded.errors).toBeUndefined();
    expect(refunded.data.refundMembership.status).toBe('CANCELED');
    const statuses = await t.db.query(`select status from entitlement where membership_id = $1`, [sub.data.subscribe.id]);
    expect(new Set(statuses.map((r) => r.status))).toEqual(new Set(['REVOKED']));
    const [payment] = await t.db.query(`select status from payment where membership_id = $1`, [sub.data.subscribe.id]);
    expect(payment.status).toBe('REFUNDED');

    await t.app.outbox.drain();
    expect((await t.app.provisioning.get('sparkwash')!.status(ids.CAR_WASH!)).status).toBe('REVOKED');
    expect((await t.app.provisioning.get('streamflix')!.status(ids.STREAMING_VIP!)).status).toBe('REVOKED');
    const after = await t.graphql(MeDocument, {}, { bearer });
    expect(after.data.me).toMatchObject({ membership: null, entitlements: [] });
    // A second refund changes nothing; a member may not refund.
    const again = await t.graphql(`mutation($id: ID!) { refundMembership(membershipId: $id) { status } }`, { id: sub.data.subscribe.id }, { bearer: admin });
    expect(again.data.refundMembership.status).toBe('CANCELED');
    const asMember = await t.graphql(`mutation($id: ID!) { refundMembership(membershipId: $id) { status } }`, { id: sub.data.subscribe.id }, { bearer });
    expect(asMember.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
