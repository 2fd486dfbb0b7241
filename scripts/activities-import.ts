// npm run -s activities:import -- [--url http://localhost:4000] [--format ndjson|csv] [--token <admin JWT>] <file.ndjson|file.csv>
// Uploads a file of activities to POST /admin/activity-imports, then follows the import through
// GraphQL (`activityImport`): one progress line (rewritten in place on a terminal, printed every
// few seconds otherwise) with the percent, lines processed of the total, accepted, duplicates
// and rejected, lines per second and the time left; at the end the first rejected lines with
// their codes, and a summary. Exit code 0 when the import finished (rejected lines included),
// 1 when it failed or could not start.
// Credentials: --token (or ACTIVITY_IMPORT_TOKEN), an admin JWT of the identity provider; in
// development, without one, an admin JWT from the dev issuer as `npm run -s dev:credential -- admin`
// makes it (same configuration: DATA_DIR).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { loadConfig } from '../src/platform/config.js';
import { devCredential } from './credentials.js';

export interface ImportCliOptions {
  /** Base URL of the server's public port. */
  url: string;
  file: string;
  /** `NDJSON` or `CSV`; from the file's extension when absent. */
  format?: 'NDJSON' | 'CSV';
  /** The admin's bearer credential. */
  token: string;
  /** Milliseconds between two looks at the progress. @default 1000 */
  pollMs?: number;
  /** Without a terminal, milliseconds between two progress lines. @default 5000 */
  printEveryMs?: number;
  /** Rejected lines shown at the end. @default 10 */
  showRejected?: number;
  /** A terminal: one progress line rewritten in place. @default process.stdout.isTTY */
  tty?: boolean;
  write?: (text: string) => void;
}

interface Progress {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'DONE' | 'FAILED';
  totalLines: number;
  processed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  percent: number;
  linesPerSecond: number | null;
  failure: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

// The operations of operations/admin.graphql, sent as text (a gateway with PERSISTED_OPERATIONS_ONLY refuses text: see the README).
const PROGRESS = `query ActivityImportProgress($id: ID!) {
  activityImport(id: $id) { id format status totalLines processed accepted duplicates rejected percent linesPerSecond failure createdAt startedAt finishedAt }
}`;
const LINES = `query ActivityImportLines($id: ID!, $outcome: ActivityImportLineOutcome, $first: Int, $after: String) {
  activityImport(id: $id) { id lines(outcome: $outcome, first: $first, after: $after) { edges { cursor node { line outcome code message activityId memberId externalId raw } } pageInfo { hasNextPage endCursor } } }
}`;

const CONTENT_TYPES = { NDJSON: 'application/x-ndjson', CSV: 'text/csv' } as const;

/** Why the import could not start or did not finish. */
export class ImportCliFailure extends Error {}

/** Uploads the file and follows the import to its end; true when it finished (DONE), false when it FAILED. */
export async function runImport(options: ImportCliOptions): Promise<boolean> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const tty = options.tty ?? process.stdout.isTTY === true;
  const base = options.url.replace(/\/+$/, '').replace(/\/graphql$/, '');
  const format = options.format ?? formatOf(options.file);
  const size = (await stat(options.file).catch(() => null))?.size;
  if (size === undefined) throw new ImportCliFailure(`No file ${options.file}`);

  const started = Date.now();
  let response: Response;
  try {
    response = await fetch(`${base}/admin/activity-imports`, {
      method: 'POST',
      headers: { 'content-type': CONTENT_TYPES[format], 'content-length': String(size), authorization: `Bearer ${options.token}` },
      body: Readable.toWeb(createReadStream(options.file)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    throw new ImportCliFailure(`Could not reach ${base}: ${(error as { cause?: Error }).cause?.message ?? (error as Error).message}`);
  }
  const answer = (await response.json().catch(() => null)) as (Progress & { errors?: Array<{ message: string; extensions?: { code?: string } }> }) | null;
  if (response.status !== 202 || !answer?.id) {
    const error = answer?.errors?.[0];
    throw new ImportCliFailure(`Upload refused (HTTP ${response.status}${error?.extensions?.code ? ` ${error.extensions.code}` : ''}): ${error?.message ?? 'no answer'}`);
  }
  write(
    `uploaded ${path.basename(options.file)} (${bytes(size)}, ${format}) in ${seconds(Date.now() - started)}: import ${answer.id}, ` +
      `${count(answer.totalLines)} lines${answer.rejected ? `, ${count(answer.rejected)} of them did not parse` : ''}\n`,
  );

  const graphql = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json().catch(() => null)) as { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> } | null;
    const error = body?.errors?.[0];
    if (!body?.data || error) throw new ImportCliFailure(`GraphQL (HTTP ${res.status}): ${error ? `${error.extensions?.code ?? 'ERROR'} ${error.message}` : 'no data'}`);
    return body.data;
  };

  // The rate over the last ~10 s of polls: what the ETA assumes.
  const window: Array<{ at: number; processed: number }> = [];
  let lastPrinted = 0;
  let progress: Progress = answer;
  for (;;) {
    const now = Date.now();
    window.push({ at: now, processed: progress.processed });
    while (window.length > 2 && now - window[0]!.at > 10_000) window.shift();
    const finished = progress.status === 'DONE' || progress.status === 'FAILED';
    if (tty) write(`\r${progressLine(progress, window)}\u001b[K${finished ? '\n' : ''}`);
    else if (finished || now - lastPrinted >= (options.printEveryMs ?? 5_000)) {
      write(`${progressLine(progress, window)}\n`);
      lastPrinted = now;
    }
    if (finished) break;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
    progress = (await graphql<{ activityImport: Progress }>(PROGRESS, { id: answer.id })).activityImport;
  }

  const show = options.showRejected ?? 10;
  if (progress.rejected > 0 && show > 0) {
    const { activityImport } = await graphql<{ activityImport: { lines: { edges: Array<{ node: { line: number; code: string | null; message: string | null } }> } } }>(LINES, {
      id: answer.id,
      outcome: 'REJECTED',
      first: show,
    });
    write(`first rejected lines${progress.rejected > show ? ` (${show} of ${count(progress.rejected)})` : ''}:\n`);
    const width = String(activityImport.lines.edges.at(-1)?.node.line ?? 0).length;
    for (const { node } of activityImport.lines.edges) write(`  line ${String(node.line).padStart(width)}  ${node.code ?? ''}  ${node.message ?? ''}\n`);
  }
  const took = progress.startedAt && progress.finishedAt ? Date.parse(progress.finishedAt) - Date.parse(progress.startedAt) : null;
  write(
    `${progress.status}: ${count(progress.processed)} of ${count(progress.totalLines)} lines` +
      (took !== null ? ` in ${seconds(took)}${took > 0 ? ` (${count(Math.round((progress.processed / took) * 1000))} lines/s)` : ''}` : '') +
      `: ${count(progress.accepted)} accepted, ${count(progress.duplicates)} duplicates, ${count(progress.rejected)} rejected\n`,
  );
  if (progress.status === 'FAILED') write(`the import failed: ${progress.failure ?? 'no reason given'}; lines without an outcome were not applied\n`);
  return progress.status === 'DONE';
}

function progressLine(p: Progress, window: ReadonlyArray<{ at: number; processed: number }>): string {
  if (p.status === 'QUEUED') return `queued: ${count(p.processed)}/${count(p.totalLines)} lines, waiting for a worker…`;
  const first = window[0]!;
  const last = window.at(-1)!;
  const recent = last.at > first.at ? ((last.processed - first.processed) / (last.at - first.at)) * 1000 : null;
  const rate = recent && recent > 0 ? recent : p.linesPerSecond;
  const left = p.totalLines - p.processed;
  const eta = p.status === 'RUNNING' && rate && rate > 0 ? `  ETA ${seconds((left / rate) * 1000)}` : '';
  return (
    `${p.percent.toFixed(1).padStart(5)}%  ${count(p.processed)}/${count(p.totalLines)} lines  ` +
    `accepted ${count(p.accepted)} · duplicates ${count(p.duplicates)} · rejected ${count(p.rejected)}` +
    `${rate ? `  ${count(Math.round(rate))} lines/s` : ''}${eta}`
  );
}

function formatOf(file: string): 'NDJSON' | 'CSV' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'CSV';
  if (ext === '.ndjson' || ext === '.jsonl') return 'NDJSON';
  throw new ImportCliFailure(`Cannot tell the format of ${file} from its extension: name it .ndjson or .csv, or pass --format`);
}

const count = (n: number) => n.toLocaleString('en-US');
const bytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);
function seconds(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

async function main(): Promise<void> {
  const program = new Command('npm run -s activities:import --')
    .description('Upload a file of activities (NDJSON or CSV) and follow its import to the end.')
    .argument('<file>', 'the file: .ndjson (one JSON object per line) or .csv (a header row, then one activity per row)')
    .option('--url <url>', "the server's public URL (or ACTIVITY_IMPORT_URL)", process.env.ACTIVITY_IMPORT_URL ?? 'http://localhost:4000')
    .option('--format <format>', 'ndjson or csv (default: from the extension)')
    .option('--token <jwt>', 'an admin JWT (or ACTIVITY_IMPORT_TOKEN; default in development: one from the dev issuer)')
    .option('--admin <subject>', 'subject of the dev admin JWT', 'activities-import')
    .option('--show <n>', 'rejected lines shown at the end', '10')
    .parse();
  const [file] = program.args;
  const opts = program.opts<{ url: string; format?: string; token?: string; admin: string; show: string }>();
  const format = opts.format?.toUpperCase();
  if (format !== undefined && format !== 'NDJSON' && format !== 'CSV') throw new ImportCliFailure(`--format is ndjson or csv, not ${opts.format}`);
  let token = opts.token ?? process.env.ACTIVITY_IMPORT_TOKEN;
  if (!token) {
    if (process.env.NODE_ENV === 'production') throw new ImportCliFailure('Production has no dev issuer: pass an admin JWT with --token or ACTIVITY_IMPORT_TOKEN');
    token = (await devCredential(loadConfig(), 'admin', opts.admin)).credential;
  }
  const finished = await runImport({ url: opts.url, file: file!, token, showRejected: Number(opts.show), ...(format ? { format } : {}) });
  process.exit(finished ? 0 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    if (process.stdout.isTTY) process.stdout.write('\n');
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
