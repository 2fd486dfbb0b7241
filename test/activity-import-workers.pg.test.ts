// Workers applying one import: two workers on two connection pools share a big import and apply
// every line exactly once, each member's lines in file order; a worker stopped mid-import leaves
// the rest to the next; a worker that dies mid-batch leaves its batch to the next after its
// lease, which records nothing twice and still tells the lines it had recorded (ACCEPTED) from
// repeats of older activities (DUPLICATE); an internal error that repeats fails the import.
import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModules } from '../src/modules/index.js';
import { connectOrm } from '../src/platform/db/orm.js';
import { startTestApp, type TestApp } from './support/app.js';
import { balances, drainUntilFinished, importWorker, progress, report, seedMembers, upload } from './support/imports.js';

let t: TestApp;
let admin: string;
const pools: MikroORM[] = [];

beforeAll(async () => {
  t = await startTestApp();
  admin = await t.adminToken('import-admin');
});
afterAll(async () => {
  await Promise.all(pools.map((orm) => orm.close()));
  await t?.close();
});

async function pool(): Promise<MikroORM> {
  const orm = await connectOrm({ databaseUrl: t.db.url, entities: (await loadModules()).entities(), poolSize: 4 });
  pools.push(orm);
  return orm;
}

/**
 * `rounds` purchases per member, round-robin over the members (so a member's lines are spread
 * through the file), each member refunding ¥5 of its previous purchase every fifth round: a
 * refund applied before its purchase would be rejected (PURCHASE_NOT_FOUND). Every member ends
 * with Σ(10 + round % 5) − 5 × refunds points, below any tier threshold.
 */
function purchasesAndRefunds(members: string[], rounds: number, tag: string): { ndjson: string; lines: number; pointsEach: number } {
  const out: string[] = [];
  let pointsEach = 0;
  for (let round = 0; round < rounds; round++) {
    pointsEach += 10 + (round % 5);
    for (const [m, memberId] of members.entries()) {
      out.push(JSON.stringify({ memberId, type: 'PURCHASE', channel: 'app', externalId: `${tag}-${m}-P${round}`, amount: { amount: (10 + (round % 5)) * 100, currency: 'CNY' } }));
      if (round % 5 === 4) out.push(JSON.stringify({ memberId, type: 'REFUND', channel: 'app', externalId: `${tag}-${m}-R${round}`, refundOf: `${tag}-${m}-P${round - 1}`, amount: { amount: 500, currency: 'CNY' } }));
    }
    if (round % 5 === 4) pointsEach -= 5;
  }
  return { ndjson: `${out.join('\n')}\n`, lines: out.length, pointsEach };
}

/** Who applied each line: `line → [owner, …]`. */
function applications() {
  const byLine = new Map<number, string[]>();
  return {
    byLine,
    onLine: ({ line, owner }: { line: number; owner: string }) => {
      byLine.set(line, [...(byLine.get(line) ?? []), owner]);
    },
    count: (owner: string) => [...byLine.values()].flat().filter((o) => o === owner).length,
  };
}

async function activityCount(memberIds: string[]): Promise<number> {
  const [row] = await t.db.query<{ n: string }>(`select count(*) as n from activity where member_id = any($1::uuid[])`, [memberIds]);
  return Number(row!.n);
}

describe('several workers', () => {
  it('two workers on two pools share one big import: every line applied exactly once, each member in file order', async () => {
    const members = await seedMembers(t, 48);
    const file = purchasesAndRefunds(members, 40, randomUUID().slice(0, 8));
    const answer = await upload(t, file.ndjson, 'application/x-ndjson', admin);
    expect(answer.status).toBe(202);

    const applied = applications();
    const [poolA, poolB] = await Promise.all([pool(), pool()]);
    const a = importWorker(t, { orm: poolA, concurrency: 2, batchSize: 40, onLine: applied.onLine });
    const b = importWorker(t, { orm: poolB, concurrency: 2, batchSize: 40, onLine: applied.onLine });
    await Promise.all([a.drain(), b.drain()]);

    const done = await progress(t, admin, answer.body.id);
    expect(done).toMatchObject({ status: 'DONE', totalLines: file.lines, processed: file.lines, accepted: file.lines, duplicates: 0, rejected: 0 });
    // Each line applied once, by one of the two, and both took part.
    expect(applied.byLine.size).toBe(file.lines);
    expect([...applied.byLine.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    expect(applied.count(a.owner)).toBeGreaterThan(file.lines / 5);
    expect(applied.count(b.owner)).toBeGreaterThan(file.lines / 5);
    // One activity per line, each line naming its own.
    expect(await activityCount(members)).toBe(file.lines);
    const lines = await report(t, admin, answer.body.id);
    expect(new Set(lines.map((l) => l.activityId)).size).toBe(file.lines);
    const points = await balances(t, members);
    expect(members.filter((m) => points.get(m) !== file.pointsEach)).toEqual([]);
  });

  it('a worker stopped mid-import hands its lanes back; the next applies the rest, nothing twice', async () => {
    const members = await seedMembers(t, 20);
    const file = purchasesAndRefunds(members, 25, randomUUID().slice(0, 8));
    const answer = await upload(t, file.ndjson, 'application/x-ndjson', admin);
    const applied = applications();
    const stop = new AbortController();
    const first = importWorker(t, {
      concurrency: 2,
      batchSize: 25,
      onLine: (event) => {
        applied.onLine(event);
        if (applied.byLine.size === 150) stop.abort();
      },
    });
    await first.drain({ signal: stop.signal });

    const stopped = await progress(t, admin, answer.body.id);
    expect(stopped.status).toBe('RUNNING');
    // The batches in flight finished: everything it applied has its outcome, and nothing more.
    expect(stopped.processed).toBe(applied.count(first.owner));
    expect(stopped.processed).toBeGreaterThanOrEqual(150);
    expect(stopped.processed).toBeLessThan(file.lines);
    const leased = await t.db.query(`select lane from activity_import_lane where import_id = $1 and lease_owner is not null`, [answer.body.id]);
    expect(leased).toEqual([]);

    const next = importWorker(t, { onLine: applied.onLine });
    const done = await drainUntilFinished(t, admin, answer.body.id, next);
    expect(done).toMatchObject({ status: 'DONE', processed: file.lines, accepted: file.lines });
    expect(applied.count(first.owner) + applied.count(next.owner)).toBe(file.lines);
    expect([...applied.byLine.values()].filter((owners) => owners.length !== 1)).toEqual([]);
    expect(await activityCount(members)).toBe(file.lines);
    const points = await balances(t, members);
    expect(members.filter((m) => points.get(m) !== file.pointsEach)).toEqual([]);
  });

  it('a worker that dies mid-batch leaves the batch to the next after its lease: nothing recorded twice, its lines ACCEPTED, older repeats DUPLICATE', async () => {
    const [memberId] = await seedMembers(t, 1);
    const tag = randomUUID().slice(0, 8);
    const purchase = (n: number) => ({ memberId: memberId!, type: 'PURCHASE', channel: 'app', externalId: `${tag}-P${n}`, amount: { amount: 1_000, currency: 'CNY' } });
    // Lines 5 and 40 repeat activities recorded before the import.
    for (const n of [5, 40]) await t.app.services().activities.record(purchase(n) as never);
    const ndjson = Array.from({ length: 100 }, (_, i) => JSON.stringify(purchase(i + 1))).join('\n');
    const answer = await upload(t, ndjson, 'application/x-ndjson', admin);

    // The first worker records lines 1-30 of its batch of 50, then hangs for good (a dead process holding the lease).
    const applied = applications();
    let hung!: () => void;
    const hanging = new Promise<void>((resolve) => (hung = resolve));
    const dying = importWorker(t, {
      orm: await pool(),
      concurrency: 1,
      batchSize: 50,
      leaseMs: 1_500,
      onLine: (event) => {
        applied.onLine(event);
        if (event.line !== 30) return Promise.resolve();
        hung();
        return new Promise<void>(() => {});
      },
    });
    void dying.drain();
    await hanging;
    expect(await progress(t, admin, answer.body.id)).toMatchObject({ status: 'RUNNING', processed: 0 });

    const next = importWorker(t, { leaseMs: 1_500, onLine: applied.onLine });
    const done = await drainUntilFinished(t, admin, answer.body.id, next);
    expect(done).toMatchObject({ status: 'DONE', totalLines: 100, processed: 100, accepted: 98, duplicates: 2, rejected: 0 });
    // Lines 1-30 were applied twice (at least once, exactly one effect); the rest once.
    expect([...applied.byLine.entries()].filter(([, owners]) => owners.length === 2).map(([line]) => line)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const lines = await report(t, admin, answer.body.id, 'DUPLICATE');
    expect(lines.map((l) => l.line)).toEqual([5, 40]);
    expect(await activityCount([memberId!])).toBe(100);
    expect((await balances(t, [memberId!])).get(memberId!)).toBe(1_000);
  });

  it('an internal error that repeats fails the import: the lines before it keep their outcomes, the rest are not applied', async () => {
    const [memberId] = await seedMembers(t, 1);
    const tag = randomUUID().slice(0, 8);
    const ndjson = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ memberId, type: 'CHECK_IN', channel: 'app', externalId: `${tag}-C${i + 1}`, occurredAt: new Date(Date.now() - (10 - i) * 60_000).toISOString() }),
    ).join('\n');
    const answer = await upload(t, ndjson, 'application/x-ndjson', admin);
    // The database refuses line 4's activity (as a broken disk or a bug would): not a coded refusal.
    await t.db.query(`alter table activity add constraint import_test_refuses check (external_id <> '${tag}-C4')`);
    try {
      const worker = importWorker(t, { maxFailures: 2 });
      await worker.drain();
      expect(await progress(t, admin, answer.body.id)).toMatchObject({ status: 'RUNNING', processed: 3, accepted: 3 });
      const [lane] = await t.db.query<{ failures: number; last_error: string; lease_owner: string | null }>(`select failures, last_error, lease_owner from activity_import_lane where import_id = $1`, [
        answer.body.id,
      ]);
      expect(lane).toMatchObject({ failures: 1, lease_owner: null, last_error: expect.stringContaining('import_test_refuses') });
      // Retried after its backoff (1 s), failing again: the import fails.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await worker.drain();
    } finally {
      await t.db.query(`alter table activity drop constraint import_test_refuses`);
    }
    const failed = await progress(t, admin, answer.body.id);
    expect(failed).toMatchObject({ status: 'FAILED', processed: 3, accepted: 3, failure: expect.stringContaining('failed 2 times in a row') });
    expect(await activityCount([memberId!])).toBe(3);
    // A failed import is never picked up again.
    expect(await importWorker(t).drain()).toBe(0);
  });
});
