// Batch claims under real concurrency: two delivery workers, each with its own connection pool
// (as two processes would have) and several lanes claiming batches at once, drain thousands of
// provisioning events, four per entitlement (activate, revoke, activate, revoke), each created
// right behind the previous one, so a claim that took events by due time alone would put an
// entitlement's activate and revoke in one batch, or in two lanes at once. The partners' own
// sandboxes (real HTTP servers) are the judges: each must have applied every event once, each
// entitlement's in the order they were created.
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerProvisioning } from '../partners/sdk/index.js';
import { sandboxAdminState } from '../partners/testing/sandbox.js';
import { OutboxWorker } from '../src/modules/provisioning/outbox-worker.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { createLogger } from '../src/platform/logger.js';
import { startTestApp, type TestApp } from './support/app.js';

let t: TestApp;
/** The second worker's pool on the same database. */
let otherOrm: MikroORM;

beforeAll(async () => {
  t = await startTestApp();
  otherOrm = await connectOrm({ databaseUrl: t.db.url, entities: [], poolSize: 4 });
});
afterAll(async () => {
  await otherOrm?.close();
  await t?.close();
});

const RIGHTS = ['STREAMING_VIP', 'CAR_WASH', 'COFFEE', 'SKYMILES_BONUS'];
const CHAIN = ['right.activate', 'right.revoke', 'right.activate', 'right.revoke'] as const;
/** Effects a partner records on its own later (a credit, an account linked): not deliveries. */
const PARTNER_INITIATED = new Set(['MILES_CREDITED', 'CONVERSION_REJECTED', 'RIGHT_LINKED']);

interface Seeded {
  /** Event ids per entitlement, in creation order. */
  events: Map<string, string[]>;
  partnerOf: Map<string, string>;
}

/** `members` members with the four PLUS rights each, every right with the four events of {@link CHAIN}. */
async function seed(members: number): Promise<Seeded> {
  const [plan] = await t.db.query<{ plan_id: string; version_id: string }>(
    `select p.id as plan_id, bv.id as version_id from plan p join bundle_version bv on bv.bundle_id = p.bundle_id where p.code = 'PLUS' order by bv.version desc limit 1`,
  );
  const benefits = await t.db.query<{ id: string; partner_id: string; quota: number | null }>(
    `select b.id, b.partner_id, bb.quota from bundle_benefit bb join benefit b on b.id = bb.benefit_id where bb.bundle_version_id = $1 and b.code = any($2::text[])`,
    [plan!.version_id, RIGHTS],
  );
  expect(benefits).toHaveLength(4);
  const memberIds = Array.from({ length: members }, () => randomUUID());
  const membershipIds = memberIds.map(() => randomUUID());
  const rights = memberIds.flatMap((memberId, m) => benefits.map((benefit) => ({ id: randomUUID(), memberId, membershipId: membershipIds[m]!, benefit })));
  const events = rights.flatMap((right) => CHAIN.map((type) => ({ id: randomUUID(), type, right })));
  const start = new Date(Date.now() - 86_400_000);
  const end = new Date(start.getTime() + 365 * 86_400_000);
  await t.db.query(`insert into member (id, issuer, subject) select id, 'outbox-workers', id::text from unnest($1::uuid[]) as id`, [memberIds]);
  await t.db.query(
    `insert into membership (id, member_id, plan_id, bundle_version_id, status, idempotency_key, current_period_start, current_period_end, auto_renew)
     select m.id, m.member_id, $3, $4, 'ACTIVE', 'outbox-workers', $5, $6, false from unnest($1::uuid[], $2::uuid[]) as m(id, member_id)`,
    [membershipIds, memberIds, plan!.plan_id, plan!.version_id, start, end],
  );
  await t.db.query(
    `insert into entitlement (id, member_id, membership_id, benefit_id, status, period_start, period_end, quota)
     select r.id, r.member_id, r.membership_id, r.benefit_id, 'ACTIVE', $5, $6, r.quota
     from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $7::int[]) as r(id, member_id, membership_id, benefit_id, quota)`,
    [rights.map((r) => r.id), rights.map((r) => r.memberId), rights.map((r) => r.membershipId), rights.map((r) => r.benefit.id), start, end, rights.map((r) => r.benefit.quota)],
  );
  // Created a millisecond apart, each entitlement's four in a row: due in exactly that order.
  await t.db.query(
    `insert into outbox_event (id, partner_id, type, entitlement_id, created_at)
     select e.id, e.partner_id, e.type, e.entitlement_id, now() - interval '1 hour' + e.n * interval '1 millisecond'
     from unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) with ordinality as e(id, partner_id, type, entitlement_id, n)`,
    [events.map((e) => e.id), events.map((e) => e.right.benefit.partner_id), events.map((e) => e.type), events.map((e) => e.right.id)],
  );
  const seeded: Seeded = { events: new Map(), partnerOf: new Map() };
  for (const event of events) {
    seeded.events.set(event.right.id, [...(seeded.events.get(event.right.id) ?? []), event.id]);
    seeded.partnerOf.set(event.right.id, event.right.benefit.partner_id);
  }
  return seeded;
}

/**
 * Watches the partner calls of both workers: how many are in flight, in all, per entitlement, and
 * per worker and partner.
 */
function callMeter() {
  const perEntitlement = new Map<string, number>();
  const perWorkerPartner = new Map<string, number>();
  let workers = 0;
  const meter = {
    inFlight: 0,
    maxInFlight: 0,
    /** The most calls one worker had in flight to one partner. */
    maxPerWorkerPartner: 0,
    /** Calls made while another call for the same entitlement was in flight. */
    sameEntitlementOverlaps: 0,
    wrap(targets: ReadonlyMap<string, PartnerProvisioning>): Map<string, PartnerProvisioning> {
      const worker = ++workers;
      const measured = async <R>(partnerId: string, entitlementId: string, call: () => Promise<R>): Promise<R> => {
        const same = perEntitlement.get(entitlementId) ?? 0;
        if (same > 0) meter.sameEntitlementOverlaps++;
        perEntitlement.set(entitlementId, same + 1);
        meter.maxInFlight = Math.max(meter.maxInFlight, ++meter.inFlight);
        const key = `${worker}:${partnerId}`;
        const toPartner = (perWorkerPartner.get(key) ?? 0) + 1;
        perWorkerPartner.set(key, toPartner);
        meter.maxPerWorkerPartner = Math.max(meter.maxPerWorkerPartner, toPartner);
        try {
          return await call();
        } finally {
          meter.inFlight--;
          perEntitlement.set(entitlementId, perEntitlement.get(entitlementId)! - 1);
          perWorkerPartner.set(key, perWorkerPartner.get(key)! - 1);
        }
      };
      return new Map(
        [...targets].map(([id, target]): [string, PartnerProvisioning] => [
          id,
          {
            provision: (right, eventId) => measured(id, right.entitlementId, () => target.provision(right, eventId)),
            revoke: (entitlementId, eventId) => measured(id, entitlementId, () => target.revoke(entitlementId, eventId)),
            status: (entitlementId) => target.status(entitlementId),
          },
        ]),
      );
    },
  };
  return meter;
}

describe('outbox delivery by several workers with batch claims', () => {
  it('delivers every event of thousands once, each entitlement’s in creation order, with two workers of three lanes claiming batches at once', async () => {
    await t.app.outbox.drain(10_000);
    const seeded = await seed(150);
    const meter = callMeter();
    const worker = (orm: MikroORM) =>
      new OutboxWorker(orm, {
        targets: meter.wrap(t.app.provisioning),
        pseudonyms: t.app.deps.pseudonyms,
        logger: createLogger('silent'),
        batchSize: 40,
        lanes: 3,
        concurrency: 8,
        // Three lanes of eight could put 24 calls in flight to one partner: at most 5 may be.
        partnerConcurrency: 5,
        // On a loaded machine a partner call may time out: its retry comes due within 2 s.
        baseDelayMs: 200,
        maxDelayMs: 2_000,
      });
    const undelivered = async () =>
      (
        await t.db.query<{ n: number }>(`select count(*)::int as n from outbox_event where entitlement_id = any($1::uuid[]) and delivered_at is null`, [
          [...seeded.events.keys()],
        ])
      )[0]!.n;
    const one = { delivered: 0, retrying: 0, dead: 0 };
    const two = { delivered: 0, retrying: 0, dead: 0 };
    // The workers stop when nothing is left they may take; retries waiting out their backoff are taken by another run.
    for (let run = 0; run < 10 && (run === 0 || (await undelivered()) > 0); run++) {
      if (run > 0) await setTimeout(2_500);
      const counts = await Promise.all([worker(t.app.orm).run(), worker(otherOrm).run()]);
      for (const [total, ran] of [
        [one, counts[0]],
        [two, counts[1]],
      ] as const) {
        total.delivered += ran.delivered;
        total.retrying += ran.retrying;
        total.dead += ran.dead;
      }
    }

    const total = [...seeded.events.values()].reduce((n, ids) => n + ids.length, 0);
    expect(total).toBe(2400);
    // Each event delivered once: two claims of one event would both count it.
    expect(one.delivered + two.delivered).toBe(total);
    expect(one.dead + two.dead).toBe(0);
    // Both workers delivered, with many calls in flight at once.
    expect(one.delivered).toBeGreaterThan(0);
    expect(two.delivered).toBeGreaterThan(0);
    expect(meter.maxInFlight).toBeGreaterThan(8);
    // No worker had more calls in flight to one partner than its cap, and the cap was reached.
    expect(meter.maxPerWorkerPartner).toBe(5);

    // The partners' verdict: per partner, the entitlements whose events it did not apply once
    // each in creation order; how often we called about an entitlement while a call about it was
    // still under way; and what was left undelivered.
    const wrongAtPartner: Record<string, number> = {};
    for (const partnerId of new Set(seeded.partnerOf.values())) {
      const state = await sandboxAdminState<{ effects: Array<{ eventId: string | null; action: string; entitlementId?: string; conversionId?: string }> }>(
        t.app.sandboxes.get(partnerId)!,
      );
      const applied = new Map<string, string[]>();
      for (const effect of state.effects) {
        const entitlementId = effect.entitlementId ?? effect.conversionId!;
        if (!effect.eventId || PARTNER_INITIATED.has(effect.action) || seeded.partnerOf.get(entitlementId) !== partnerId) continue;
        applied.set(entitlementId, [...(applied.get(entitlementId) ?? []), effect.eventId]);
      }
      wrongAtPartner[partnerId] = [...seeded.events].filter(([id, events]) => seeded.partnerOf.get(id) === partnerId && applied.get(id)?.join() !== events.join()).length;
    }
    expect({ wrongAtPartner, sameEntitlementOverlaps: meter.sameEntitlementOverlaps, undelivered: await undelivered() }).toEqual({
      wrongAtPartner: { streamflix: 0, sparkwash: 0, brewbar: 0, skymiles: 0 },
      sameEntitlementOverlaps: 0,
      undelivered: 0,
    });
  }, 180_000);
});
