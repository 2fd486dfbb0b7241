// Activities per second through the bulk import: N purchases (100,000 by default) of members
// already in the database, uploaded as one NDJSON file to POST /admin/activity-imports on a worker
// process (the compiled worker-main, as production runs it), applied by that worker's import job
// (each line through ActivityService.record: the member's lock, points ledger, tier book). The
// rate is the import's own, from the first line claimed to the last outcome written (database
// clock). Beside it, the raw rate of INSERTs of the same rows into `activity` sent with `pg`, one
// statement each over as many connections as the worker's pool: what a row costs with no rule.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import pg from 'pg';

export interface ImportBenchResult {
  /** Purchases in the file. */
  activities: number;
  /** Members they are spread over (round-robin). */
  members: number;
  workers: number;
  /** Lanes the worker applies at once (`ACTIVITY_IMPORT_CONCURRENCY`). */
  concurrency: number;
  bytes: number;
  /** The upload, streamed into the import's lines (client clock). */
  uploadSeconds: number;
  /** From the first line claimed to the last outcome written (database clock). */
  seconds: number;
  activitiesPerSecond: number;
  /** Every line accepted once, one activity each, nothing rejected. */
  exact: boolean;
  raw: { rows: number; connections: number; seconds: number; insertsPerSecond: number };
  /** How many raw INSERTs one imported activity costs, in time. */
  rawOverImport: number;
}

const MARK = 'bench-import';
const CHANNEL = 'bench-import';

/** `count` members on real time (joined a day ago), as a migration of members would leave them. */
export async function seedImportMembers(databaseUrl: string, count: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const ids = Array.from({ length: count }, () => randomUUID());
    for (let i = 0; i < ids.length; i += 5_000) {
      await client.query(`insert into member (id, issuer, subject, created_at) select id, $2, id::text, now() - interval '1 day' from unnest($1::uuid[]) as id`, [
        ids.slice(i, i + 5_000),
        MARK,
      ]);
    }
    await client.query('analyze member');
    return ids;
  } finally {
    await client.end();
  }
}

/** The purchase of line `i` (0-based): members round-robin, ¥50.00 to ¥149.99. */
function purchase(i: number, members: readonly string[]): { memberId: string; externalId: string; amount: number } {
  return { memberId: members[i % members.length]!, externalId: `B-${i}`, amount: 5_000 + ((i * 7_919) % 10_000) };
}

/**
 * Writes the file, uploads it to `uploadUrl` as `admin`, waits for the worker to finish it
 * (logging progress every 10 s), checks every line was accepted once, then times the raw INSERTs.
 */
export async function measureImport(options: {
  databaseUrl: string;
  /** The worker's base URL (its WORKER_PORT serves /admin/activity-imports). */
  uploadUrl: string;
  adminToken: string;
  members: readonly string[];
  count: number;
  concurrency: number;
  /** Raw INSERTs timed. @default min(count, 20,000) */
  rawRows?: number;
  log: (line: string) => void;
  alive?: () => void;
  timeoutMs?: number;
}): Promise<ImportBenchResult> {
  const { log, count, members } = options;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-import-'));
  const file = path.join(dir, 'purchases.ndjson');
  try {
    const out = createWriteStream(file);
    for (let i = 0; i < count; i++) {
      const p = purchase(i, members);
      const line = `{"memberId":"${p.memberId}","type":"PURCHASE","channel":"${CHANNEL}","externalId":"${p.externalId}","amount":{"amount":${p.amount},"currency":"CNY"}}\n`;
      if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    out.end();
    await finished(out);
    const bytes = (await fs.stat(file)).size;

    log(`import: uploading ${count.toLocaleString('en-US')} purchases of ${members.length.toLocaleString('en-US')} members (${(bytes / 1024 / 1024).toFixed(1)} MB of NDJSON)…`);
    const uploadStarted = process.hrtime.bigint();
    const response = await fetch(`${options.uploadUrl}/admin/activity-imports`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-length': String(bytes), authorization: `Bearer ${options.adminToken}` },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    const uploadSeconds = Number(process.hrtime.bigint() - uploadStarted) / 1e9;
    const answer = (await response.json()) as { id?: string; totalLines?: number };
    if (response.status !== 202 || !answer.id) throw new Error(`import upload: HTTP ${response.status} ${JSON.stringify(answer).slice(0, 500)}`);
    log(`  uploaded in ${uploadSeconds.toFixed(1)} s (${(bytes / 1024 / 1024 / uploadSeconds).toFixed(1)} MB/s): import ${answer.id}, ${answer.totalLines} lines`);

    const client = new pg.Client({ connectionString: options.databaseUrl });
    await client.connect();
    try {
      const waitStarted = Date.now();
      const deadline = waitStarted + (options.timeoutMs ?? 60 * 60_000);
      let last = { at: Date.now(), processed: 0 };
      let row: { status: string; processed: number; accepted: number; duplicates: number; rejected: number; seconds: number | null };
      for (;;) {
        options.alive?.();
        row = (
          await client.query<typeof row>(
            `select status, processed, accepted, duplicates, rejected, extract(epoch from finished_at - started_at)::float8 as seconds from activity_import where id = $1`,
            [answer.id],
          )
        ).rows[0]!;
        if (row.status === 'DONE' || row.status === 'FAILED') break;
        if (Date.now() > deadline) throw new Error(`import: only ${row.processed}/${count} lines applied after ${Math.round((Date.now() - waitStarted) / 1000)} s`);
        if (Date.now() - last.at >= 10_000) {
          const rate = (row.processed - last.processed) / ((Date.now() - last.at) / 1000);
          log(`  import: ${row.processed.toLocaleString('en-US')}/${count.toLocaleString('en-US')} lines (${row.status}), ${rate.toFixed(0)}/s over the last ${Math.round((Date.now() - last.at) / 1000)} s`);
          last = { at: Date.now(), processed: row.processed };
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      const [activities] = (await client.query<{ n: number }>(`select count(*)::int as n from activity where channel = $1`, [CHANNEL])).rows;
      const exact = row.status === 'DONE' && row.accepted === count && row.duplicates === 0 && row.rejected === 0 && activities!.n === count;
      const raw = await rawInserts(options.databaseUrl, members, Math.min(count, options.rawRows ?? 20_000));
      const seconds = row.seconds ?? Number.NaN;
      return {
        activities: count,
        members: members.length,
        workers: 1,
        concurrency: options.concurrency,
        bytes,
        uploadSeconds,
        seconds,
        activitiesPerSecond: count / seconds,
        exact,
        raw,
        rawOverImport: raw.insertsPerSecond / (count / seconds),
      };
    } finally {
      await client.end();
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The same purchase rows INSERTed into `activity` with `pg`, one statement each, over 10 connections (a worker's pool). */
async function rawInserts(databaseUrl: string, members: readonly string[], rows: number): Promise<ImportBenchResult['raw']> {
  const connections = 10;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  try {
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < rows) {
          const p = purchase(next++, members);
          await pool.query(
            `insert into activity (id, member_id, type, channel, external_id, amount, currency, occurred_at, posted_at, points, request_hash, seq)
             values (gen_random_uuid(), $1, 'PURCHASE', 'bench-raw', $2, $3, 'CNY', now(), now(), $4, 'raw', nextval('activity_seq'))`,
            [p.memberId, p.externalId, p.amount, Math.floor(p.amount / 100)],
          );
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { rows, connections, seconds, insertsPerSecond: rows / seconds };
  } finally {
    await pool.end();
  }
}
