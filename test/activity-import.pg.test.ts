// Bulk imports of activities (NDJSON and CSV) through the public port: an admin uploads a file,
// a worker applies its lines through the same rules as recordActivity, and the per-line report
// says what became of each (accepted, duplicate, or rejected with the API's code). Balances come
// out as if every line had been recorded one by one. Real PostgreSQL, real HTTP.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/platform/logger.js';
import { startTestApp, type TestApp } from './support/app.js';
import { balances, drainUntilFinished, importWorker, progress, report, upload } from './support/imports.js';

let t: TestApp;
let admin: string;
const MAX_BYTES = 64 * 1024;

beforeAll(async () => {
  t = await startTestApp({ env: { ACTIVITY_IMPORT_MAX_BYTES: String(MAX_BYTES) } });
  admin = await t.adminToken('import-admin');
});
afterAll(async () => {
  await t?.close();
});

/** A member on real time, as the gateway creates one on first use. */
async function member(): Promise<string> {
  const bearer = await t.memberToken(`member-${randomUUID()}`);
  const me = await t.graphql(`{ me { id } }`, {}, { bearer });
  return me.data.me.id as string;
}

async function recordActivity(input: Record<string, unknown>) {
  const res = await t.graphql(`mutation($input: ActivityInput!) { recordActivity(input: $input) { id points } }`, { input }, { bearer: admin });
  return res;
}

async function tierOf(memberId: string): Promise<string> {
  const [row] = await t.db.query<{ tier_code: string }>(`select tier_code from member_tier where member_id = $1`, [memberId]);
  return row?.tier_code ?? 'MEMBER';
}

const yuan = (n: number) => ({ amount: n * 100, currency: 'CNY' });

/**
 * The mixed file of the NDJSON test, for members `a` and `b` with their own channel ids (`tag`):
 * good lines, repeats (in the file, and of an activity recorded before), a refund after its
 * purchase, and every kind of bad line. `null` stands for a line that is not an activity.
 */
function mixedLines(a: string, b: string, tag: string): Array<Record<string, unknown> | string> {
  return [
    { memberId: a, type: 'PURCHASE', channel: 'online-shop', externalId: `${tag}-P1`, amount: yuan(150) }, // 1 accepted
    { memberId: a, type: 'PURCHASE', channel: 'online-shop', externalId: `${tag}-P1`, amount: yuan(150) }, // 2 duplicate in the file
    { memberId: a, type: 'PURCHASE', channel: 'app', externalId: `${tag}-E1`, amount: yuan(100) }, // 3 duplicate of an earlier activity
    { memberId: a, type: 'REFUND', channel: 'online-shop', externalId: `${tag}-R1`, refundOf: `${tag}-P1`, amount: yuan(50) }, // 4 refund after its purchase
    '', // 5 blank: not a line
    { memberId: b, type: 'PURCHASE', channel: 'store-pos', externalId: `${tag}-P2`, amount: yuan(200) }, // 6 accepted
    { memberId: randomUUID(), type: 'PURCHASE', channel: 'app', externalId: `${tag}-X1`, amount: yuan(10) }, // 7 unknown member
    { memberId: a, type: 'PURCHASE', channel: 'app', externalId: `${tag}-X2`, amount: { amount: 0, currency: 'CNY' } }, // 8 zero amount
    { memberId: a, type: 'PURCHASE', channel: 'app', externalId: `${tag}-X3`, amount: { amount: 1000, currency: 'USD' } }, // 9 wrong currency
    '{"memberId": "oops", "type": "PURCHASE"', // 10 malformed JSON
    { memberId: b, type: 'REFUND', channel: 'store-pos', externalId: `${tag}-X4`, refundOf: `${tag}-NOPE`, amount: yuan(5) }, // 11 no such purchase
    { memberId: a, type: 'REFUND', channel: 'online-shop', externalId: `${tag}-X5`, refundOf: `${tag}-P1`, amount: yuan(200) }, // 12 more than is left
    { memberId: b, type: 'CHECK_IN', channel: 'app', externalId: `${tag}-C1` }, // 13 accepted
    { memberId: a, type: 'PURCHASE', channel: 'online-shop', externalId: `${tag}-P1`, amount: yuan(151) }, // 14 same id, other data
  ];
}

const EXPECTED_NDJSON: Array<[number, string, string | null]> = [
  [1, 'ACCEPTED', null],
  [2, 'DUPLICATE', null],
  [3, 'DUPLICATE', null],
  [4, 'ACCEPTED', null],
  [6, 'ACCEPTED', null],
  [7, 'REJECTED', 'NOT_FOUND'],
  [8, 'REJECTED', 'BAD_USER_INPUT'],
  [9, 'REJECTED', 'BAD_USER_INPUT'],
  [10, 'REJECTED', 'MALFORMED_LINE'],
  [11, 'REJECTED', 'PURCHASE_NOT_FOUND'],
  [12, 'REJECTED', 'REFUND_EXCEEDS_PURCHASE'],
  [13, 'ACCEPTED', null],
  [14, 'REJECTED', 'IDEMPOTENCY_CONFLICT'],
];

describe('NDJSON import', () => {
  it('applies good lines, reports repeats as DUPLICATE and each bad line with its code, and leaves balances as if each line had been recorded on its own', async () => {
    const [a, b, twinA, twinB] = await Promise.all([member(), member(), member(), member()]);
    const tag = randomUUID().slice(0, 8);
    // Recorded before the import: line 3 repeats it.
    for (const [m, prefix] of [
      [a, tag],
      [twinA, `${tag}-twin`],
    ] as const) {
      const earlier = await recordActivity({ memberId: m, type: 'PURCHASE', channel: 'app', externalId: `${prefix}-E1`, amount: yuan(100) });
      expect(earlier.errors).toBeUndefined();
    }

    const file = mixedLines(a, b, tag)
      .map((l) => (typeof l === 'string' ? l : JSON.stringify(l)))
      .join('\n');
    const answer = await upload(t, `${file}\n`, 'application/x-ndjson', admin);
    expect(answer.status).toBe(202);
    expect(answer.location).toBe(`/admin/activity-imports/${answer.body.id}`);
    expect(answer.body).toMatchObject({ status: 'QUEUED', format: 'NDJSON', totalLines: 13, processed: 1, rejected: 1, percent: 7.6 });

    const done = await drainUntilFinished(t, admin, answer.body.id, importWorker(t));
    expect(done).toMatchObject({ status: 'DONE', totalLines: 13, processed: 13, accepted: 4, duplicates: 2, rejected: 7, percent: 100 });
    expect(done.linesPerSecond).toBeGreaterThan(0);

    const lines = await report(t, admin, answer.body.id);
    expect(lines.map((l) => [l.line, l.outcome, l.code])).toEqual(EXPECTED_NDJSON);
    expect(lines.find((l) => l.line === 9)!.message).toBe('Invalid input: amount.currency: must be CNY, the currency the program uses');
    expect(lines.find((l) => l.line === 10)).toMatchObject({ raw: '{"memberId": "oops", "type": "PURCHASE"', memberId: null, message: expect.stringMatching(/^Not valid JSON/) });
    // A repeat names the activity it repeats.
    expect(lines.find((l) => l.line === 2)!.activityId).toBe(lines.find((l) => l.line === 1)!.activityId);
    const rejected = await report(t, admin, answer.body.id, 'REJECTED', 2);
    expect(rejected.map((l) => l.line)).toEqual([7, 8, 9, 10, 11, 12, 14]);

    // The same lines for twin members, one mutation at a time, in file order.
    const outcomes: Array<string | null> = [];
    for (const line of mixedLines(twinA, twinB, `${tag}-twin`)) {
      if (typeof line === 'string') continue;
      const res = await recordActivity(line);
      outcomes.push(res.errors?.[0]?.extensions?.code ?? null);
    }
    expect(outcomes).toEqual(EXPECTED_NDJSON.filter(([n]) => n !== 10).map(([, outcome, code]) => (outcome === 'REJECTED' ? code : null)));
    const points = await balances(t, [a, b, twinA, twinB]);
    expect(points.get(a)).toBe(200); // 150 + 100 − 50
    expect(points.get(b)).toBe(205); // 200 + a check-in's 5
    expect([points.get(twinA), points.get(twinB)]).toEqual([points.get(a), points.get(b)]);
    expect([await tierOf(a), await tierOf(b)]).toEqual([await tierOf(twinA), await tierOf(twinB)]);
  });
});

describe('CSV import', () => {
  it('reads a header and quoted fields, applies a refund after its purchase and points paid, and rejects a row with a missing column', async () => {
    const [a, b] = await Promise.all([member(), member()]);
    const tag = randomUUID().slice(0, 8);
    const csv = [
      'member_id,type,channel,externalId,amount,currency,refundOf,occurredAt,pointsUsed',
      `${a},PURCHASE,store-pos,"${tag}-P,1",30000,CNY,,,`,
      `${a},REFUND,store-pos,${tag}-R1,10000,CNY,"${tag}-P,1",,`,
      `${b},PURCHASE,app,"${tag} ""quoted""",9999,CNY,,2020-01-01T00:00:00Z,`,
      `${b},CHECK_IN,app,${tag}-C1,,,,,`,
      `${b},PURCHASE,app,${tag}-P3,500,CNY`,
      `${a},PURCHASE,store-pos,"${tag}-P,1",30000,CNY,,,`,
      `${b},PURCHASE,app,"${tag}-multi`,
      `line",700,CNY,,,`,
      `${a},PURCHASE,app,${tag}-P4,5000,CNY,,,120`,
      `${a},PURCHASE,app,${tag}-P5,5000,CNY,,,9000`,
    ].join('\r\n');
    const answer = await upload(t, csv, 'text/csv; charset=utf-8', admin);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ format: 'CSV', totalLines: 9, rejected: 1 });

    const done = await drainUntilFinished(t, admin, answer.body.id, importWorker(t));
    expect(done).toMatchObject({ status: 'DONE', processed: 9, accepted: 5, duplicates: 1, rejected: 3 });
    const lines = await report(t, admin, answer.body.id);
    expect(lines.map((l) => [l.line, l.outcome, l.code, l.externalId])).toEqual([
      [2, 'ACCEPTED', null, `${tag}-P,1`],
      [3, 'ACCEPTED', null, `${tag}-R1`],
      [4, 'REJECTED', 'BAD_USER_INPUT', `${tag} "quoted"`], // before the member joined
      [5, 'ACCEPTED', null, `${tag}-C1`],
      [6, 'REJECTED', 'MALFORMED_LINE', null],
      [7, 'DUPLICATE', null, `${tag}-P,1`],
      [8, 'ACCEPTED', null, `${tag}-multi\r\nline`],
      [10, 'ACCEPTED', null, `${tag}-P4`],
      [11, 'REJECTED', 'INSUFFICIENT_POINTS', `${tag}-P5`],
    ]);
    expect(lines[2]!.message).toMatch(/occurredAt: must not be before the member joined/);
    expect(lines[4]!.message).toBe('Expected 9 fields (memberId, type, channel, externalId, amount, currency, refundOf, occurredAt, pointsUsed), found 6');
    const points = await balances(t, [a, b]);
    expect(points.get(a)).toBe(300 - 100 + 50 - 120); // a refund of ¥100, then ¥50 earned and 120 points paid
    expect(points.get(b)).toBe(5 + 7); // a check-in, ¥7
  });
});


describe('the upload endpoint', () => {
  const line = () => JSON.stringify({ memberId: randomUUID(), type: 'CHECK_IN', channel: 'app', externalId: randomUUID() });
  const importCount = async () => Number((await t.db.query<{ n: string }>(`select count(*) as n from activity_import`))[0]!.n);

  it('refuses a member (403 FORBIDDEN) and a caller without a credential (401 UNAUTHENTICATED), storing nothing', async () => {
    const before = await importCount();
    const asMember = await upload(t, line(), 'application/x-ndjson', await t.memberToken(`member-${randomUUID()}`));
    expect(asMember.status).toBe(403);
    expect(asMember.body.errors[0].extensions.code).toBe('FORBIDDEN');
    const anonymous = await upload(t, line(), 'application/x-ndjson');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const forged = await upload(t, line(), 'application/x-ndjson', `${admin.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    expect(forged.body.errors[0]).toMatchObject({ message: 'Invalid credential', extensions: { code: 'UNAUTHENTICATED' } });
    expect(await importCount()).toBe(before);
  });

  it('refuses another media type (415), a body over the limit (413, declared or streamed) and a CSV without a usable header (400), storing nothing', async () => {
    const before = await importCount();
    const json = await upload(t, line(), 'application/json', admin);
    expect(json.status).toBe(415);
    expect(json.body.errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const big = Array.from({ length: 800 }, line).join('\n');
    expect(big.length).toBeGreaterThan(MAX_BYTES);
    const declared = await upload(t, big, 'application/x-ndjson', admin);
    expect(declared.status).toBe(413);
    expect(declared.body.errors[0].extensions).toEqual({ code: 'IMPORT_TOO_LARGE', maxBytes: MAX_BYTES });
    // Streamed without a length: refused once it grows past the limit.
    const streamed = await fetch(`${t.app.url}/admin/activity-imports`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${admin}` },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 8; i++) controller.enqueue(new TextEncoder().encode(big.slice((i * big.length) / 8, ((i + 1) * big.length) / 8)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as any).errors[0].extensions.code).toBe('IMPORT_TOO_LARGE');

    const header = await upload(t, 'memberId,kind,channel\nx,y,z\n', 'text/csv', admin);
    expect(header.status).toBe(400);
    expect(header.body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: expect.arrayContaining([{ field: 'header column 2', message: expect.stringContaining('"kind" is not a column') }, { field: 'header column externalId', message: 'is required' }]),
    });
    const empty = await upload(t, '\n\n', 'application/x-ndjson', admin);
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].extensions.problems).toEqual([{ field: 'body', message: 'has no activity lines' }]);
    expect(await importCount()).toBe(before);
  });

  it('answers a refusal to a client still streaming a large upload, instead of resetting the connection under it', async () => {
    const chunk = new TextEncoder().encode(`${Array.from({ length: 512 }, line).join('\n')}\n`);
    /** A body of up to 64 MB, sent a chunk at a time for as long as the server reads it. */
    const endless = () => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent > 64 * 1024 * 1024) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk);
          await new Promise((resolve) => setTimeout(resolve, 1));
        },
      });
    };
    const send = async (bearer: string) => {
      const res = await fetch(`${t.app.url}/admin/activity-imports`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${bearer}` },
        body: endless(),
        duplex: 'half',
      } as RequestInit);
      return { status: res.status, code: ((await res.json()) as any).errors[0].extensions.code };
    };
    expect(await send(admin)).toEqual({ status: 413, code: 'IMPORT_TOO_LARGE' });
    expect(await send(await t.memberToken(`member-${randomUUID()}`))).toEqual({ status: 403, code: 'FORBIDDEN' });
  });

  it('answers the import at its Location, and lists recent imports in GraphQL', async () => {
    const answer = await upload(t, `${line()}\n{not json}\n`, 'application/x-ndjson', admin);
    expect(answer.status).toBe(202);
    const got = await fetch(`${t.app.url}${answer.location}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ id: answer.body.id, status: 'QUEUED', totalLines: 2, processed: 1, rejected: 1 });
    const asMember = await fetch(`${t.app.url}${answer.location}`, { headers: { authorization: `Bearer ${await t.memberToken('nosy')}` } });
    expect(asMember.status).toBe(403);
    const unknown = await fetch(`${t.app.url}/admin/activity-imports/${randomUUID()}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).errors[0].extensions.code).toBe('NOT_FOUND');

    const recent = await t.graphql(`{ activityImports(first: 2) { id status totalLines } }`, {}, { bearer: admin });
    expect(recent.data.activityImports[0]).toEqual({ id: answer.body.id, status: 'QUEUED', totalLines: 2 });
    expect(recent.data.activityImports).toHaveLength(2);
    const missing = await t.graphql(`query($id: ID!) { activityImport(id: $id) { id } }`, { id: randomUUID() }, { bearer: admin });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await drainUntilFinished(t, admin, answer.body.id, importWorker(t));
    expect(await progress(t, admin, answer.body.id)).toMatchObject({ status: 'DONE', rejected: 2 });
  });
});

describe('npm run -s activities:import', () => {
  /** The CLI against the test app (its DATA_DIR: a dev admin JWT), the import job applying what it uploads meanwhile. */
  async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn('npm', ['run', '-s', 'activities:import', '--', ...args], {
      env: { ...process.env, NODE_ENV: 'development', DATA_DIR: t.dataDir, DATABASE_URL: t.db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let running = true;
    void exited.then(() => (running = false));
    // The module's own job, as workers and `npm start` run it (stopped by its signal after a second).
    const job = t.app.modules.jobs().find((j) => j.name === 'activity-import')!;
    while (running) {
      await job.run({ orm: t.app.orm, deps: t.app.deps, logger: createLogger('silent'), now: new Date(), signal: AbortSignal.timeout(1_000) });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return { code: await exited, stdout, stderr };
  }

  it('uploads a file, prints progress, the first rejected lines with their codes and a summary, and exits 0', async () => {
    const [a] = await Promise.all([member()]);
    const tag = randomUUID().slice(0, 8);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'import-cli-'));
    const file = path.join(dir, 'activities.csv');
    await fs.writeFile(
      file,
      [
        'memberId,type,channel,externalId,amount,currency,refundOf',
        `${a},PURCHASE,app,${tag}-P1,12000,CNY,`,
        `${randomUUID()},PURCHASE,app,${tag}-P2,100,CNY,`,
        `${a},REFUND,app,${tag}-R1,2000,CNY,${tag}-P1`,
        `${a},PURCHASE,app,${tag}-P1,12000,CNY,`,
        `${a},PURCHASE,app`,
      ].join('\n'),
    );
    try {
      const run = await cli(['--url', t.app.url, file]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^uploaded activities\.csv \(\d+ B, CSV\) in [\d.]+s: import [0-9a-f-]{36}, 5 lines, 1 of them did not parse$/);
      expect(lines).toContain('first rejected lines:');
      expect(lines.filter((l) => l.startsWith('  line '))).toEqual([
        expect.stringMatching(/^  line 3  NOT_FOUND  Member [0-9a-f-]{36} not found$/),
        '  line 6  MALFORMED_LINE  Expected 7 fields (memberId, type, channel, externalId, amount, currency, refundOf), found 3',
      ]);
      expect(lines.at(-1)).toMatch(/^DONE: 5 of 5 lines in [\dm.s]+( \([\d,]+ lines\/s\))?: 2 accepted, 1 duplicates, 2 rejected$/);
      expect(lines.some((l) => /^100\.0%  5\/5 lines  accepted 2 · duplicates 1 · rejected 2/.test(l))).toBe(true);
      expect((await balances(t, [a])).get(a)).toBe(100);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 when the import cannot start', async () => {
    const missing = await cli(['--url', 'http://127.0.0.1:9', 'nothing.ndjson']);
    expect(missing).toMatchObject({ code: 1, stderr: 'No file nothing.ndjson\n' });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'import-cli-'));
    try {
      const file = path.join(dir, 'a.ndjson');
      await fs.writeFile(file, '{}\n');
      const refused = await cli(['--url', t.app.url, '--token', await t.memberToken('not-an-admin'), file]);
      expect(refused).toMatchObject({ code: 1, stderr: 'Upload refused (HTTP 403 FORBIDDEN): A member may not call POST /admin/activity-imports\n' });
      const down = await cli(['--url', 'http://127.0.0.1:9', file]);
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/^Could not reach http:\/\/127\.0\.0\.1:9: /);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
