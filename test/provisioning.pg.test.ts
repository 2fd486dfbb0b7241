import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxWorker } from '../src/modules/provisioning/outbox-worker.js';
import { createLogger } from '../src/platform/logger.js';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function subscribeMember(): Promise<{ bearer: string; carWashId: string }> {
  const { bearer, entitlementIds } = await t.subscribedMember();
  return { bearer, carWashId: entitlementIds.CAR_WASH! };
}

async function sandboxState(): Promise<{ effects: Array<{ eventId: string; action: string; entitlementId: string }>; provisioningCalls: Record<string, number> }> {
  const sandbox = t.app.sandboxes.get('sparkwash')!;
  const res = await fetch(`${sandbox.url}/admin/state`, { headers: { authorization: `Bearer ${sandbox.apiKey}` } });
  return res.json() as Promise<any>;
}

/** Undelivered events for sparkwash (the partner these tests are about). */
async function undelivered(): Promise<number> {
  const [row] = await t.db.query(`select count(*)::int as n from outbox_event where delivered_at is null and partner_id = 'sparkwash'`);
  return row.n;
}

const CAR_WASH_PASS = `{ me { entitlements { benefit { code } carWash { status memberNumber } } } }`;

describe('provisioning through the outbox', () => {
  it('writes the provisioning event with the entitlement and delivers it to the partner', async () => {
    const { bearer, carWashId } = await subscribeMember();
    const events = await t.db.query(`select partner_id, type from outbox_event where entitlement_id = $1`, [carWashId]);
    expect(events).toEqual([{ partner_id: 'sparkwash', type: 'right.activate' }]);

    const before = await t.graphql(CAR_WASH_PASS, {}, { bearer });
    expect(before.data.me.entitlements.find((e: any) => e.benefit.code === 'CAR_WASH').carWash.status).toBe('NOT_PROVISIONED');
    await t.app.outbox.drain();
    expect(await undelivered()).toBe(0);
    const after = await t.graphql(CAR_WASH_PASS, {}, { bearer });
    const pass = after.data.me.entitlements.find((e: any) => e.benefit.code === 'CAR_WASH').carWash;
    expect(pass.status).toBe('ACTIVE');
    expect(pass.memberNumber).toEqual(expect.any(String));
  });

  it('provisions every right exactly once at the partner when the worker is killed after the partner accepted, 100 times', async () => {
    await t.app.outbox.drain();
    const members = [];
    for (let i = 0; i < 100; i++) members.push(await subscribeMember());
    expect(await undelivered()).toBe(100);

    const sandbox = t.app.sandboxes.get('sparkwash')!;
    const worker = path.resolve('dist/test/support/outbox-crash-worker.js');
    await fs.access(worker);
    // The worker must be the app's twin: same pseudonym secret, so a redelivery is byte-identical.
    const secret = (await fs.readFile(path.join(path.dirname(t.keysDir), 'secrets', 'pseudonym.key'), 'utf8')).trim();
    const killOnce = () =>
      new Promise<NodeJS.Signals | null>((resolve, reject) => {
        const child = spawn(process.execPath, [worker], {
          env: { ...process.env, DATABASE_URL: t.db.url, SANDBOX_URL: sandbox.url, SANDBOX_API_KEY: sandbox.apiKey, PSEUDONYM_SECRET: secret },
          stdio: 'ignore',
        });
        child.on('error', reject);
        child.on('exit', (_code, signal) => resolve(signal));
      });
    let kills = 0;
    // Four workers at a time; each claims a different event and dies right after the partner's 2xx.
    while (kills < 100) {
      const signals = await Promise.all(Array.from({ length: Math.min(4, 100 - kills) }, killOnce));
      expect(signals.every((s) => s === 'SIGKILL')).toBe(true);
      kills += signals.length;
    }
    // No kill got to mark its event delivered.
    expect(await undelivered()).toBe(100);

    // After the lease of the killed deliveries runs out, a healthy worker delivers them again.
    const afterLease = new OutboxWorker(t.app.orm, {
      targets: t.app.provisioning,
      pseudonyms: t.app.deps.pseudonyms,
      logger: createLogger('silent'),
      now: () => new Date(Date.now() + 61_000),
    });
    const drained = await afterLease.drain(500);
    const left = await t.db.query(
      `select id, entitlement_id, attempts, last_error from outbox_event where delivered_at is null and partner_id = 'sparkwash'`,
    );
    expect(left).toEqual([]);
    expect(drained.retrying + drained.dead).toBe(0);
    const state = await sandboxState();
    const created = state.effects.filter((e) => e.action === 'PASS_CREATED');
    for (const { carWashId } of members) {
      expect(created.filter((e) => e.entitlementId === carWashId)).toHaveLength(1);
    }
    // Every event reached the partner twice (the killed delivery and the redelivery) and
    // was applied once; each counted two attempts.
    const events = await t.db.query(`select id, attempts from outbox_event where entitlement_id = any($1::uuid[])`, [members.map((m) => m.carWashId)]);
    expect(events).toHaveLength(100);
    for (const event of events) {
      expect(state.provisioningCalls[event.id]).toBe(2);
      expect(event.attempts).toBe(2);
    }
    // A hundred worker processes started and killed: about 1.5 s of CPU each to start (module
    // loading), 100 s alone on 2 cores, more beside the other test files in CI.
  }, 300_000);

  it('keeps the member page up while the partner is down, then drains the backlog when it is back', async () => {
    await t.app.outbox.drain();
    const sandbox = t.app.sandboxes.get('sparkwash')!;
    const fast = new OutboxWorker(t.app.orm, {
      targets: t.app.provisioning,
      pseudonyms: t.app.deps.pseudonyms,
      logger: createLogger('silent'),
      baseDelayMs: 1,
      maxDelayMs: 5,
    });
    sandbox.setDown(true);
    try {
      const { bearer } = await subscribeMember();
      const down = await fast.drain(3);
      expect(down.retrying).toBeGreaterThan(0);
      expect(await undelivered()).toBe(1);
      const [event] = await t.db.query(`select attempts, last_error from outbox_event where delivered_at is null and partner_id = 'sparkwash'`);
      expect(event.attempts).toBeGreaterThan(0);
      expect(event.last_error).toMatch(/sparkwash/i);

      const page = await t.graphql(`{ me { membership { status } entitlements { benefit { code } remaining carWash { status } } } }`, {}, { bearer });
      expect(page.data.me.membership.status).toBe('ACTIVE');
      const carWash = page.data.me.entitlements.find((e: any) => e.benefit.code === 'CAR_WASH');
      expect(carWash).toMatchObject({ remaining: 4, carWash: null });
      const error = page.errors?.find((e) => e.path?.includes('carWash'));
      expect(error?.extensions?.code).toBe('DOWNSTREAM_SERVICE_ERROR');
      expect(error?.message).toMatch(/sparkwash/i);
    } finally {
      sandbox.setDown(false);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const back = await fast.drain(10);
    expect(back.delivered).toBeGreaterThanOrEqual(1);
    expect(await undelivered()).toBe(0);
  });
});
