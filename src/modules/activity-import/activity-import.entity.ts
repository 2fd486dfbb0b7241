import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

export enum ActivityImportFormat {
  /** One JSON object per line, the fields of `ActivityInput`. */
  NDJSON = 'NDJSON',
  /** A header row naming the columns, then one activity per row (RFC 4180 quoting). */
  CSV = 'CSV',
}

export enum ActivityImportStatus {
  /** Stored, waiting for a worker. */
  QUEUED = 'QUEUED',
  /** Workers are applying its lines. */
  RUNNING = 'RUNNING',
  /** Every line has its outcome. */
  DONE = 'DONE',
  /** Workers gave up on it (an internal error repeated); lines without an outcome were not applied. */
  FAILED = 'FAILED',
}

export enum ActivityImportLineOutcome {
  /** Recorded by this line. */
  ACCEPTED = 'ACCEPTED',
  /** The same (channel, externalId) was already recorded, before or by an earlier line of the file. */
  DUPLICATE = 'DUPLICATE',
  /** Not recorded: the line does not parse, or the activity was refused (the code says why). */
  REJECTED = 'REJECTED',
}

/**
 * An uploaded file of activities (NDJSON or CSV) and its progress. The counters move in the
 * transaction that writes the outcomes they count, so `processed` is always the number of lines
 * with an outcome. Times are the database's clock (workers on several machines agree on it).
 */
@Entity({ tableName: 'activity_import' })
@Index({ properties: ['createdAt'] })
export class ActivityImport {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The admin (member id) who uploaded it. */
  @Property({ type: 'uuid' })
  createdBy!: string;

  @Enum({ items: () => ActivityImportFormat, nativeEnumName: 'activity_import_format' })
  format!: ActivityImportFormat;

  @Enum({ items: () => ActivityImportStatus, nativeEnumName: 'activity_import_status' })
  status!: ActivityImportStatus;

  /** Activity lines in the file (blank lines and the CSV header are not counted). */
  @Property({ type: 'integer', default: 0 })
  totalLines: Opt<number> = 0;

  /** Size of the upload in bytes. */
  @Property({ type: 'bigint', default: 0 })
  bytes: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  processed: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  accepted: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  duplicates: Opt<number> = 0;

  @Property({ type: 'integer', default: 0 })
  rejected: Opt<number> = 0;

  /** Why it FAILED. */
  @Property({ type: 'text', nullable: true })
  failure?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  /** When a worker first claimed it. */
  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;
}

/**
 * One line of an import and its outcome, written once. `lane` partitions the lines by member:
 * one worker at a time applies a lane's lines, in file order, so a member's refund follows its
 * purchase; different lanes run at once. A line that did not parse is stored REJECTED with its
 * raw text; one that did keeps its parsed input for the workers.
 */
@Entity({ tableName: 'activity_import_line' })
@Index({
  name: 'activity_import_line_pending',
  expression: `create index "activity_import_line_pending" on "activity_import_line" ("import_id", "lane", "line_no") where "outcome" is null`,
})
@Index({
  name: 'activity_import_line_not_accepted',
  expression: `create index "activity_import_line_not_accepted" on "activity_import_line" ("import_id", "line_no") where "outcome" <> 'ACCEPTED'`,
})
export class ActivityImportLine {
  @ManyToOne({ entity: () => ActivityImport, primary: true, deleteRule: 'cascade' })
  import!: Rel<ActivityImport>;

  /** Where the line (a CSV record: where it starts) is in the file, from 1. */
  @PrimaryKey({ type: 'integer' })
  lineNo!: number;

  @Property({ type: 'smallint' })
  lane!: number;

  /** The parsed activity (`ImportedActivity`); null when the line did not parse. */
  @Property({ type: 'json', nullable: true })
  input?: unknown;

  /** The line as uploaded (a CSV row: its fields joined by commas; at most 1,000 characters), kept only when it did not parse. */
  @Property({ type: 'text', nullable: true })
  raw?: string | null;

  @Enum({ items: () => ActivityImportLineOutcome, nativeEnumName: 'activity_import_line_outcome', nullable: true })
  outcome?: ActivityImportLineOutcome | null;

  @Property({ type: 'text', nullable: true })
  errorCode?: string | null;

  @Property({ type: 'text', nullable: true })
  errorMessage?: string | null;

  /** The activity it recorded (ACCEPTED) or repeated (DUPLICATE). */
  @Property({ type: 'uuid', nullable: true })
  activityId?: string | null;
}

/**
 * A lane of an import: the unit workers claim, under a lease (`FOR UPDATE SKIP LOCKED`). While
 * a batch of its lines is in flight, `attempt_at`/`attempt_through` say since when and up to
 * which line: a worker resuming after a crash knows which activities those lines recorded.
 */
@Entity({ tableName: 'activity_import_lane' })
@Index({
  name: 'activity_import_lane_open',
  expression: `create index "activity_import_lane_open" on "activity_import_lane" ("import_id") where "done_at" is null`,
})
export class ActivityImportLane {
  @ManyToOne({ entity: () => ActivityImport, primary: true, deleteRule: 'cascade' })
  import!: Rel<ActivityImport>;

  @PrimaryKey({ type: 'smallint' })
  lane!: number;

  /** The worker holding the lane. */
  @Property({ type: 'text', nullable: true })
  leaseOwner?: string | null;

  /** Until when it holds it (or, after a failure, before when nobody may take it). */
  @Property({ type: 'datetime', nullable: true })
  leaseUntil?: Date | null;

  /** When the batch in flight (or the first unfinished one) started. */
  @Property({ type: 'datetime', nullable: true })
  attemptAt?: Date | null;

  /** The last line of the batch in flight. */
  @Property({ type: 'integer', nullable: true })
  attemptThrough?: number | null;

  /** Batches that failed in a row (an internal error); the import fails at the limit. */
  @Property({ type: 'integer', default: 0 })
  failures: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', nullable: true })
  doneAt?: Date | null;
}
