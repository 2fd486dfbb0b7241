import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError, InputValidator } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';
import { ActivityImportFormat, ActivityImportLineOutcome, ActivityImportStatus } from './activity-import.entity.js';
import { laneOf, parseUpload, type ParsedLine } from './import-format.js';

/** An import and its progress. */
export interface ActivityImportView {
  id: string;
  createdBy: string;
  format: ActivityImportFormat;
  status: ActivityImportStatus;
  totalLines: number;
  bytes: number;
  processed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Lines with an outcome, in percent of the total (0-100). */
  percent: number;
  /** Lines given an outcome per second since a worker started it (to its end, or now); null before. */
  linesPerSecond: number | null;
  failure: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One line of an import's report. */
export interface ActivityImportLineView {
  line: number;
  /** Null while the line waits for a worker. */
  outcome: ActivityImportLineOutcome | null;
  code: string | null;
  message: string | null;
  activityId: string | null;
  memberId: string | null;
  externalId: string | null;
  /** The line as uploaded, when it did not parse. */
  raw: string | null;
}

export interface ActivityImportLinePage {
  edges: Array<{ cursor: string; node: ActivityImportLineView }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const MAX_LINES_PAGE = 500;
export const MAX_IMPORTS_PAGE = 100;
/** Parsed lines written per INSERT while an upload streams in. */
const WRITE_CHUNK = 1_000;

interface ImportRow {
  id: string;
  created_by: string;
  format: ActivityImportFormat;
  status: ActivityImportStatus;
  total_lines: number;
  bytes: string;
  processed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  failure: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  elapsed_seconds: number | null;
}

const IMPORT_COLUMNS = `id, created_by, format, status, total_lines, bytes, processed, accepted, duplicates, rejected, failure, created_at, started_at, finished_at,
  extract(epoch from coalesce(finished_at, now()) - started_at)::float8 as elapsed_seconds`;

/**
 * Bulk imports of activities: an upload streamed into `activity_import_line` (bounded memory
 * whatever its size; one transaction, so a refused or broken upload leaves nothing), its
 * progress, and its per-line report. Workers apply the lines (see ActivityImportWorker).
 */
export class ActivityImportService {
  constructor(private readonly em: EntityManager) {}

  /**
   * Stores an upload as a QUEUED import. Lines that do not parse are stored REJECTED with their
   * code at once; the rest wait for a worker. An error from `body` (the upload broke off, or grew
   * past its limit) or a CSV header that names no usable columns (BAD_USER_INPUT) stores nothing.
   */
  async receive(createdBy: string, format: ActivityImportFormat, body: AsyncIterable<Uint8Array>): Promise<ActivityImportView> {
    let bytes = 0;
    const counted = (async function* () {
      for await (const chunk of body) {
        bytes += chunk.length;
        yield chunk;
      }
    })();
    return this.em.fork().transactional(async (tx) => {
      const [created] = await tx.execute<{ id: string }[]>(`insert into activity_import (id, created_by, format, status) values (gen_random_uuid(), ?, ?, ?) returning id`, [
        createdBy,
        format,
        ActivityImportStatus.QUEUED,
      ]);
      const id = created!.id;
      const writer = new LineWriter(tx, id);
      for await (const line of parseUpload(format, counted)) await writer.add(line);
      await writer.flush();
      if (writer.total === 0) throw AppError.badInput([{ field: 'body', message: 'has no activity lines' }]);
      if (writer.lanes.size > 0) {
        await tx.execute(`insert into activity_import_lane (import_id, lane) select ?, unnest(?::smallint[])`, [id, `{${[...writer.lanes].sort((a, b) => a - b).join(',')}}`]);
      }
      // A file of lines that all failed to parse is done already.
      const done = writer.pending === 0;
      await tx.execute(
        `update activity_import set total_lines = ?, bytes = ?, processed = ?, rejected = ?, status = ?,
           started_at = case when ? then now() end, finished_at = case when ? then now() end
         where id = ?`,
        [writer.total, bytes, writer.rejected, writer.rejected, done ? ActivityImportStatus.DONE : ActivityImportStatus.QUEUED, done, done, id],
      );
      return this.getIn(tx, id);
    });
  }

  /** One import; NOT_FOUND for an unknown id. */
  get(id: string): Promise<ActivityImportView> {
    return this.getIn(this.em, id);
  }

  /** The most recent imports, newest first. */
  async recent(first: number): Promise<ActivityImportView[]> {
    new InputValidator().check(Number.isInteger(first) && first >= 0 && first <= MAX_IMPORTS_PAGE, 'first', `must be between 0 and ${MAX_IMPORTS_PAGE}`).throwIfInvalid();
    const rows = await this.em.execute<ImportRow[]>(`select ${IMPORT_COLUMNS} from activity_import order by created_at desc, id desc limit ?`, [first]);
    return rows.map(importView);
  }

  /** A page of an import's report, in file order, optionally only the lines of one outcome. */
  async lines(importId: string, args: { outcome?: ActivityImportLineOutcome | null; first: number; after?: string | null }): Promise<ActivityImportLinePage> {
    const validator = new InputValidator().check(Number.isInteger(args.first) && args.first >= 0 && args.first <= MAX_LINES_PAGE, 'first', `must be between 0 and ${MAX_LINES_PAGE}`);
    const after = args.after != null ? decodeCursor(args.after) : 0;
    validator.check(after !== null, 'after', 'is not a cursor of this report').throwIfInvalid();
    const params: unknown[] = [importId, after];
    let filter = '';
    if (args.outcome) {
      filter = ' and outcome = ?';
      params.push(args.outcome);
    }
    params.push(args.first + 1);
    const rows = await this.em.execute<
      Array<{ line_no: number; outcome: ActivityImportLineOutcome | null; error_code: string | null; error_message: string | null; activity_id: string | null; member_id: string | null; external_id: string | null; raw: string | null }>
    >(
      `select line_no, outcome, error_code, error_message, activity_id, input->>'memberId' as member_id, input->>'externalId' as external_id, raw
       from activity_import_line where import_id = ? and line_no > ?${filter} order by line_no limit ?`,
      params,
    );
    const page = rows.slice(0, args.first);
    return {
      edges: page.map((r) => ({
        cursor: encodeCursor(r.line_no),
        node: {
          line: r.line_no,
          outcome: r.outcome,
          code: r.error_code,
          message: r.error_message,
          activityId: r.activity_id,
          memberId: r.member_id,
          externalId: r.external_id,
          raw: r.raw,
        },
      })),
      pageInfo: { hasNextPage: rows.length > args.first, endCursor: page.length ? encodeCursor(page.at(-1)!.line_no) : null },
    };
  }

  private async getIn(em: EntityManager, id: string): Promise<ActivityImportView> {
    const [row] = isUuid(id) ? await em.execute<ImportRow[]>(`select ${IMPORT_COLUMNS} from activity_import where id = ?`, [id]) : [];
    if (!row) throw AppError.notFound('ActivityImport', id);
    return importView(row);
  }
}

/** Parsed lines buffered and written a chunk at a time (one INSERT of up to WRITE_CHUNK rows). */
class LineWriter {
  total = 0;
  rejected = 0;
  pending = 0;
  readonly lanes = new Set<number>();
  private rows: Array<Record<string, unknown>> = [];

  constructor(
    private readonly tx: EntityManager,
    private readonly importId: string,
  ) {}

  async add(parsed: ParsedLine): Promise<void> {
    this.total++;
    if ('activity' in parsed) {
      const lane = laneOf(parsed.activity.memberId);
      this.lanes.add(lane);
      this.pending++;
      this.rows.push({ line_no: parsed.line, lane, input: parsed.activity });
    } else {
      this.rejected++;
      this.rows.push({
        line_no: parsed.line,
        lane: 0,
        raw: parsed.raw,
        outcome: ActivityImportLineOutcome.REJECTED,
        error_code: parsed.rejected.code,
        error_message: parsed.rejected.message,
      });
    }
    if (this.rows.length >= WRITE_CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const rows = this.rows;
    this.rows = [];
    await this.tx.execute(
      `insert into activity_import_line (import_id, line_no, lane, input, raw, outcome, error_code, error_message)
       select ?, r.line_no, r.lane, r.input, r.raw, r.outcome::activity_import_line_outcome, r.error_code, r.error_message
       from jsonb_to_recordset(?::jsonb) as r(line_no int, lane smallint, input jsonb, raw text, outcome text, error_code text, error_message text)`,
      [this.importId, JSON.stringify(rows)],
    );
  }
}

function importView(row: ImportRow): ActivityImportView {
  const elapsed = row.started_at ? Number(row.elapsed_seconds) : null;
  return {
    id: row.id,
    createdBy: row.created_by,
    format: row.format,
    status: row.status,
    totalLines: row.total_lines,
    bytes: Number(row.bytes),
    processed: row.processed,
    accepted: row.accepted,
    duplicates: row.duplicates,
    rejected: row.rejected,
    percent: row.total_lines > 0 ? Math.floor((row.processed / row.total_lines) * 1000) / 10 : 100,
    linesPerSecond: elapsed === null ? null : elapsed > 0 ? row.processed / elapsed : null,
    failure: row.failure,
    createdAt: new Date(row.created_at),
    startedAt: row.started_at ? new Date(row.started_at) : null,
    finishedAt: row.finished_at ? new Date(row.finished_at) : null,
  };
}

function encodeCursor(line: number): string {
  return Buffer.from(`line:${line}`).toString('base64url');
}

function decodeCursor(cursor: string): number | null {
  const match = /^line:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : null;
}
