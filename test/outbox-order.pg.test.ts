// Per-entitlement order of provisioning events: an activate that failed and waits out its
// backoff, or whose delivery outlived its lease, must never reach the partner after the
// revoke queued behind it, with one worker or several draining at once. The partner's own
// state (SparkWash's sandbox, a real HTTP server) is the judge.
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerProvisioning, RunningSandbox } from '../partners/sdk/index.js';
import { sparkwash, SparkwashClient } from '../partners/sparkwash/index.js';
import { callSandbox, sandboxAdminState } from '../partners/testing/sandbox.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { OutboxWorker, type OutboxWorkerOptions } from '../src/modules/provisioning/outbox-worker.js';
import { createLogger } from '../src/platform/logger.js';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
let admin: string;
/** A second connection pool on the same database: the other worker, as another process would have. */
let otherOrm: MikroORM;

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('ops');
  otherOrm = await connectOrm({ databaseUrl: t.db.url, entities: [], poolSize: 4 });
});
afterAll(async () => {
  await otherOrm?.close();
  await t?.close();
});

function partnerSandbox(): RunningSandbox {
  return t.app.sandboxes.get('sparkwash')!;
}

/**
 * SparkWash provisioning over its real client and sandbox. A client of its own: these tests
 * fail many calls on purpose while the partner is down, and the app's client would open its
 * circuit breaker (fail-fast for 10 s) for the tests that follow.
 */
function sparkwashProvisioning(): PartnerProvisioning {
  const sandbox = partnerSandbox();
  return sparkwash.provisioning(new SparkwashClient({ baseUrl: sandbox.url, apiKey: sandbox.apiKey, breaker: { consecutiveFailures: 1_000_000 } }));
}

/** A worker for SparkWash's events only (other partners' events stay where they are). */
function worker(options: Partial<OutboxWorkerOptions> & { orm?: MikroORM; target?: PartnerProvisioning } = {}): OutboxWorker {
  const { orm = t.app.orm, target = sparkwashProvisioning(), ...rest } = options;
  return new OutboxWorker(orm, {
    targets: new Map([['sparkwash', target]]),
    pseudonyms: t.app.deps.pseudonyms,
    logger: createLogger('silent'),
    ...rest,
  });
}

/** A clock past every backoff and lease these tests create. */
const later = () => new Date(Date.now() + 5 * 60_000);

async function drainEverything(): Promise<void> {
  await worker({ now: later }).drain(1000);
  expect(await t.db.query(`select id from outbox_event where partner_id = 'sparkwash' and delivered_at is null`)).toEqual([]);
}

async function revoke(entitlementId: string): Promise<void> {
  const res = await t.graphql(
    `mutation($id: ID!) { revokeEntitlement(entitlementId: $id, reason: "order test") { id status } }`,
    { id: entitlementId },
    { bearer: admin },
  );
  expect(res.errors).toBeUndefined();
  expect(res.data.revokeEntitlement.status).toBe('REVOKED');
}

interface EventRow {
  id: string;
  type: 'right.activate' | 'right.revoke';
  attempts: number;
  available_at: Date;
  delivered_at: Date | null;
  last_error: string | null;
}

async function eventsOf(entitlementId: string): Promise<EventRow[]> {
  return t.db.query<EventRow>(
    `select id, type, attempts, available_at, delivered_at, last_error from outbox_event
     where entitlement_id = $1 order by created_at`,
    [entitlementId],
  );
}

interface SandboxState {
  passes: Array<{ entitlementId: string; status: string }>;
  effects: Array<{ eventId: string; action: string; entitlementId: string }>;
  provisioningCalls: Record<string, number>;
}

/** The pass as SparkWash's own API shows it. */
async function passStatus(entitlementId: string): Promise<string> {
  const response = await callSandbox(partnerSandbox(), `/v1/passes/${entitlementId}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { status: string }).status;
}

/** What the partner did for one entitlement, in the order it did it. */
function effectsFor(state: SandboxState, entitlementId: string): Array<{ eventId: string; action: string }> {
  return state.effects.filter((e) => e.entitlementId === entitlementId).map(({ eventId, action }) => ({ eventId, action }));
}

async function carWashOfNewMember(): Promise<string> {
  return (await t.subscribedMember()).entitlementIds.CAR_WASH!;
}

/** Fails the activates queued for `entitlementIds` once each, with the partner down. */
async function failActivations(entitlementIds: string[]): Promise<void> {
  partnerSandbox().setDown(true);
  try {
    // Retries 30-60 s out: none comes due again while the others fail, however slow the machine.
    const down = await worker({ baseDelayMs: 60_000 }).drain(entitlementIds.length);
    expect(down).toEqual({ delivered: 0, retrying: entitlementIds.length, dead: 0 });
  } finally {
    partnerSandbox().setDown(false);
  }
  for (const id of entitlementIds) {
    const [activate] = await eventsOf(id);
    expect(activate).toMatchObject({ type: 'right.activate', attempts: 1, delivered_at: null, last_error: expect.stringMatching(/sparkwash/i) });
  }
}

/** Every entitlement's pass ends REVOKED at the partner, created first and revoked after, once each. */
async function expectRevokedInOrder(entitlementIds: string[]): Promise<void> {
  const state = await sandboxAdminState<SandboxState>(partnerSandbox());
  for (const id of entitlementIds) {
    const [activate, revoked] = await eventsOf(id);
    expect([activate!.type, revoked!.type]).toEqual(['right.activate', 'right.revoke']);
    expect(activate!.delivered_at).not.toBeNull();
    expect(revoked!.delivered_at).not.toBeNull();
    expect(effectsFor(state, id), `partner effects for ${id}`).toEqual([
      { eventId: activate!.id, action: 'PASS_CREATED' },
      { eventId: revoked!.id, action: 'PASS_REVOKED' },
    ]);
    expect(state.passes.find((p) => p.entitlementId === id)?.status, `pass of ${id}`).toBe('REVOKED');
    const [local] = await t.db.query(`select status from entitlement where id = $1`, [id]);
    expect(local).toEqual({ status: 'REVOKED' });
  }
}

/** Counts partner calls in flight across workers, to show that deliveries really overlapped. */
function overlapMeter() {
  let inFlight = 0;
  // For its first three seconds, until two calls have been in flight together, a call waits for
  // another to start: two workers that really work at once then overlap however the scheduler
  // interleaves them on a busy machine, and workers serialized by a lock never do.
  let overlapped!: () => void;
  const overlap = new Promise<void>((resolve) => (overlapped = resolve));
  const waitUntil = Date.now() + 3000;
  const meter = {
    maxInFlight: 0,
    wrap(target: PartnerProvisioning): PartnerProvisioning {
      const measured =
        <Args extends unknown[], R>(call: (...args: Args) => Promise<R>) =>
        async (...args: Args): Promise<R> => {
          inFlight++;
          meter.maxInFlight = Math.max(meter.maxInFlight, inFlight);
          if (meter.maxInFlight >= 2) overlapped();
          else if (Date.now() < waitUntil) await Promise.race([overlap, new Promise((resolve) => setTimeout(resolve, waitUntil - Date.now()))]);
          try {
            return await call(...args);
          } finally {
            inFlight--;
          }
        };
      return {
        provision: measured((right, eventId) => target.provision(right, eventId)),
        revoke: measured((entitlementId, eventId) => target.revoke(entitlementId, eventId)),
        status: (entitlementId) => target.status(entitlementId),
      };
    },
  };
  return meter;
}

describe('per-entitlement order of provisioning events', () => {
  it('delivers a failed activate before the revoke queued during its backoff, and the partner ends with the right revoked', async () => {
    await drainEverything();
    const id = await carWashOfNewMember();
    await failActivations([id]);

    await revoke(id);
    const [activate, revoked] = await eventsOf(id);
    // The hazard: the revoke is due before the activate's retry. Only the per-entitlement
    // order of the claim keeps it behind the activate.
    expect(revoked!.available_at.getTime()).toBeLessThan(activate!.available_at.getTime());

    const back = await worker({ now: later }).drain(10);
    expect(back).toEqual({ delivered: 2, retrying: 0, dead: 0 });
    expect(await passStatus(id)).toBe('REVOKED');
    await expectRevokedInOrder([id]);
    const [retried] = await eventsOf(id);
    expect(retried!.attempts).toBe(2);
  });

  it('does not resurrect the right when an activate delivery that outlived its lease reaches the partner after the revoke', async () => {
    await drainEverything();
    const id = await carWashOfNewMember();

    // Worker A claims the activate and stalls before it reaches the partner (a GC pause, a
    // slow network) until well past its lease.
    let claimed!: () => void;
    const whenClaimed = new Promise<void>((resolve) => (claimed = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const real = sparkwashProvisioning();
    const stalled = worker({
      target: {
        provision: async (right, eventId) => {
          claimed();
          await released;
          return real.provision(right, eventId);
        },
        revoke: (entitlementId, eventId) => real.revoke(entitlementId, eventId),
        status: (entitlementId) => real.status(entitlementId),
      },
    });
    const stalledDelivery = stalled.deliverNext();
    await whenClaimed;

    await revoke(id);
    // Worker B, after A's lease ran out: the activate again (same event id), then the revoke.
    const b = await worker({ orm: otherOrm, now: later }).drain(10);
    expect(b).toEqual({ delivered: 2, retrying: 0, dead: 0 });
    expect(await passStatus(id)).toBe('REVOKED');

    // A wakes up and sends the activate: the partner has seen that event id and replays its
    // answer without applying it again; A's "delivered" mark finds the event delivered.
    release();
    expect(await stalledDelivery).toBe('delivered');
    expect(await passStatus(id)).toBe('REVOKED');
    await expectRevokedInOrder([id]);
    const [activate] = await eventsOf(id);
    const state = await sandboxAdminState<SandboxState>(partnerSandbox());
    expect(state.provisioningCalls[activate!.id]).toBe(2);
    expect(activate!.attempts).toBe(2);
  });

  it('keeps the order with two workers draining at once after failed activations and revokes', async () => {
    await drainEverything();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await carWashOfNewMember());
    await failActivations(ids);
    for (const id of ids) await revoke(id);

    const meter = overlapMeter();
    const [one, two] = await Promise.all([
      worker({ now: later, target: meter.wrap(sparkwashProvisioning()) }).drain(100),
      worker({ orm: otherOrm, now: later, target: meter.wrap(sparkwashProvisioning()) }).drain(100),
    ]);
    expect(one.delivered + two.delivered).toBe(40);
    expect(one.retrying + one.dead + two.retrying + two.dead).toBe(0);
    // Both workers delivered, at the same time.
    expect(one.delivered).toBeGreaterThan(0);
    expect(two.delivered).toBeGreaterThan(0);
    expect(meter.maxInFlight).toBe(2);
    await expectRevokedInOrder(ids);
  });

  it('keeps the order with two workers draining at once when each revoke directly follows its activate', async () => {
    await drainEverything();
    // activate 1, revoke 1, activate 2, revoke 2, …: due in that order, so a worker that took
    // events by due time alone would hand activate n and revoke n to two workers at once.
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = await carWashOfNewMember();
      await revoke(id);
      ids.push(id);
    }

    const meter = overlapMeter();
    const [one, two] = await Promise.all([
      worker({ target: meter.wrap(sparkwashProvisioning()) }).drain(100),
      worker({ orm: otherOrm, target: meter.wrap(sparkwashProvisioning()) }).drain(100),
    ]);
    expect(one.delivered + two.delivered).toBe(40);
    expect(one.delivered).toBeGreaterThan(0);
    expect(two.delivered).toBeGreaterThan(0);
    expect(meter.maxInFlight).toBe(2);
    await expectRevokedInOrder(ids);
  });
});
