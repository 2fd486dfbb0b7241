// Reconciliation: compare each partner's view of current rights with ours and repair drift.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../partners/sdk/webhook-signature.js';
import { startTestApp, type TestApp } from './support/app.js';

const RECONCILE = `mutation($p: ID!) { reconcilePartner(partnerId: $p) { partnerId checked unreadable fixed { entitlementId ours theirs action } } }`;

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('ops');
});
afterAll(async () => {
  await t?.close();
});

async function member(): Promise<Record<string, string>> {
  return (await t.subscribedMember()).entitlementIds;
}

async function statusOf(entitlementId: string): Promise<string> {
  const [row] = await t.db.query(`select status from entitlement where id = $1`, [entitlementId]);
  return row.status;
}

async function reconcile(partnerId: string) {
  const res = await t.graphql(RECONCILE, { p: partnerId }, { bearer: admin });
  expect(res.errors).toBeUndefined();
  return res.data.reconcilePartner;
}

describe('reconciliation', () => {
  it('provisions again a right the partner dropped, then finds nothing left to fix', async () => {
    const ids = await member();
    await t.app.outbox.drain();
    const sandbox = t.app.sandboxes.get('sparkwash')!;
    const dropped = await fetch(`${sandbox.url}/v1/passes/${ids.CAR_WASH}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${sandbox.apiKey}`, 'idempotency-key': `partner-side-${randomUUID()}` },
    });
    expect(dropped.status).toBeLessThan(300);

    const report = await reconcile('sparkwash');
    expect(report.fixed).toContainEqual({ entitlementId: ids.CAR_WASH, ours: 'ACTIVE', theirs: 'REVOKED', action: 'REPROVISIONED' });
    await t.app.outbox.drain();
    const status = await t.app.provisioning.get('sparkwash')!.status(ids.CAR_WASH!);
    expect(status.status).toBe('ACTIVE');
    const again = await reconcile('sparkwash');
    expect(again.fixed).toEqual([]);
    expect(again.checked).toBeGreaterThan(0);
  });

  it("applies an acknowledgement that never reached us (the partner's callback was refused)", async () => {
    const ids = await member();
    await t.app.outbox.drain();
    const secrets = t.app.partnerCallbackSecrets as Map<string, string[]>;
    const real = secrets.get('streamflix')!;
    secrets.set('streamflix', [generateWebhookSecret()]); // our side rotated badly: callbacks bounce
    try {
      const right = await t.app.provisioning.get('streamflix')!.status(ids.STREAMING_VIP!);
      expect(right.status).toBe('PENDING');
      // The member links the account with the activation link streamflix gave them.
      const sandbox = t.app.sandboxes.get('streamflix')!;
      const view = await (await fetch(`${sandbox.url}/v1/rights/${ids.STREAMING_VIP}`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } })).json();
      const link = new URL(view.activationUrl);
      const form = new URLSearchParams({ entitlement: ids.STREAMING_VIP!, code: link.searchParams.get('code')!, streamflixUser: 'bob' });
      expect((await fetch(new URL('/activate', link), { method: 'POST', body: form })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await statusOf(ids.STREAMING_VIP!)).toBe('PENDING_PROVISION');
    } finally {
      secrets.set('streamflix', real);
    }
    const report = await reconcile('streamflix');
    expect(report.fixed).toContainEqual({ entitlementId: ids.STREAMING_VIP, ours: 'PENDING_PROVISION', theirs: 'ACTIVE', action: 'MARKED_ACTIVE' });
    expect(await statusOf(ids.STREAMING_VIP!)).toBe('ACTIVE');
  });

  it('changes nothing and says so when the partner cannot be read', async () => {
    await member();
    await t.app.outbox.drain();
    const sandbox = t.app.sandboxes.get('sparkwash')!;
    const before = await t.db.query(`select id, status from entitlement order by id`);
    const events = await t.db.query(`select count(*)::int as n from outbox_event`);
    sandbox.setDown(true);
    try {
      const report = await reconcile('sparkwash');
      expect(report.unreadable).toBeGreaterThan(0);
      expect(report.fixed).toEqual([]);
    } finally {
      sandbox.setDown(false);
    }
    expect(await t.db.query(`select id, status from entitlement order by id`)).toEqual(before);
    expect(await t.db.query(`select count(*)::int as n from outbox_event`)).toEqual(events);
  });

  it('audits every fix with the admin who asked, and each run with its counts', async () => {
    const ids = await member();
    await t.app.outbox.drain();
    const sandbox = t.app.sandboxes.get('sparkwash')!;
    await fetch(`${sandbox.url}/v1/passes/${ids.CAR_WASH}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${sandbox.apiKey}`, 'idempotency-key': `partner-side-${randomUUID()}` },
    });
    const runsBefore = await t.db.query(`select count(*)::int as n from audit_log where action = 'reconciliation.run'`);
    const report = await reconcile('sparkwash');
    const fixes = await t.db.query<{ actor: string; before: any; after: any }>(
      `select actor, before, after from audit_log where action = 'reconciliation.fix' and subject = $1`,
      [ids.CAR_WASH],
    );
    expect(fixes).toHaveLength(1);
    expect(fixes[0]!.actor).toMatch(/^admin:/);
    expect(fixes[0]!.before).toEqual({ entitlement: { id: ids.CAR_WASH, status: 'ACTIVE' }, partnerStatus: 'REVOKED' });
    expect(fixes[0]!.after).toEqual({ partnerId: 'sparkwash', action: 'REPROVISIONED' });
    const [run] = await t.db.query<{ actor: string; after: any }>(
      `select actor, after from audit_log where action = 'reconciliation.run' and subject = 'sparkwash' order by at desc limit 1`,
    );
    expect(run!.actor).toMatch(/^admin:/);
    expect(run!.after).toEqual({ checked: report.checked, fixed: report.fixed.length, unreadable: report.unreadable });
    const runsAfter = await t.db.query(`select count(*)::int as n from audit_log where action = 'reconciliation.run'`);
    expect(runsAfter[0].n).toBe(runsBefore[0].n + 1);
    await t.app.outbox.drain();
  });

  it('is for admins only', async () => {
    const res = await t.graphql(RECONCILE, { p: 'sparkwash' }, { bearer: await t.memberToken('m') });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('the scheduled reconciliation with several workers', () => {
  it('reconciles each partner once when two workers run the job at the same moment', async () => {
    await member();
    await t.app.outbox.drain();
    const job = t.app.modules.jobs().find((j) => j.name === 'partner-reconciliation')!;
    const real = t.app.provisioning.get('sparkwash')!;
    let statusCalls = 0;
    // A slow partner: the first run is still asking when the second starts.
    const slow = {
      ...real,
      status: async (entitlementId: string) => {
        statusCalls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return real.status(entitlementId);
      },
    };
    const deps = { ...t.app.deps, partnerProvisioning: new Map([['sparkwash', slow]]) };
    const [candidates] = await t.db.query<{ n: string }>(
      `select count(*) as n from entitlement e join benefit b on b.id = e.benefit_id
       where b.partner_id = 'sparkwash' and e.period_start <= now() and e.period_end > now() and e.status in ('PENDING_PROVISION', 'ACTIVE', 'REVOKED')`,
    );
    const scope = { orm: t.app.orm, deps, logger: t.app.deps.logger, now: new Date() };
    await Promise.all([job.run(scope), job.run(scope)]);
    expect(Number(candidates!.n)).toBeGreaterThan(0);
    expect(statusCalls).toBe(Number(candidates!.n));
  });
});
