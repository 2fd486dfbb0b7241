// The two upload formats, read as streams: NDJSON (one JSON object per line) and CSV (a header
// row naming the columns, RFC 4180 quoting: fields in double quotes may hold commas, newlines
// and doubled quotes). Pure: no database, no network. A line that does not parse becomes a
// rejected line with a coded reason; only a CSV header that names no usable columns refuses the
// whole file.
import { AppError, type InputProblem } from '../../platform/errors.js';
import { ActivityType } from '../activity/index.js';

/** Longest line (a CSV record: all of it) read; a longer one is rejected without being held in memory. */
export const MAX_LINE_BYTES = 64 * 1024;
/** How much of a rejected line the report keeps. */
export const MAX_RAW_CHARS = 1_000;
/** Lanes an import's lines are spread over, by member: one worker at a time per lane. */
export const LANES = 16;

/** An activity as a line gives it: the fields of `ActivityInput`, `occurredAt` as an ISO string. */
export interface ImportedActivity {
  memberId: string;
  type: ActivityType;
  channel: string;
  externalId: string;
  amount: { amount: number; currency: string } | null;
  refundOf: string | null;
  occurredAt: string | null;
  /** A purchase paid partly with points. */
  pointsUsed: number | null;
}

export type LineRejection = { code: 'MALFORMED_LINE' | 'BAD_USER_INPUT'; message: string };

/** One line of an upload, parsed: an activity to record, or why it cannot be. */
export type ParsedLine = { line: number; activity: ImportedActivity } | { line: number; rejected: LineRejection; raw: string | null };

/** The fields of an activity line, as NDJSON keys and CSV column names. */
export const ACTIVITY_FIELDS = ['memberId', 'type', 'channel', 'externalId', 'amount', 'currency', 'refundOf', 'occurredAt', 'pointsUsed'] as const;
type CsvColumn = (typeof ACTIVITY_FIELDS)[number];
const REQUIRED: readonly CsvColumn[] = ['memberId', 'type', 'channel', 'externalId'];
const NDJSON_FIELDS = ACTIVITY_FIELDS.filter((f) => f !== 'currency');
const TYPES = new Set<string>(Object.values(ActivityType));
/** RFC 3339 date-time with a zone, as the GraphQL `DateTimeISO` scalar takes it. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** The lane of a member's lines (FNV-1a of the id): the same member, the same lane. */
export function laneOf(memberId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < memberId.length; i++) {
    hash ^= memberId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % LANES;
}

// ---------------------------------------------------------------------------------------------
// NDJSON

/** A line of text and where it is (1-based); `tooLong` when it was longer than the limit (its text dropped). */
export interface TextLine {
  line: number;
  text: string;
  tooLong: boolean;
}

/**
 * The non-blank lines of a byte stream, split on `\n` (a trailing `\r` dropped, a leading BOM
 * too), each at most `maxBytes`: a longer one is counted and reported, never buffered whole.
 */
export async function* textLines(body: AsyncIterable<Uint8Array>, maxBytes = MAX_LINE_BYTES): AsyncGenerator<TextLine> {
  let pieces: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 1;
  const take = (piece: Buffer) => {
    if (tooLong || piece.length === 0) return;
    if (size + piece.length > maxBytes) {
      tooLong = true;
      pieces = [];
      return;
    }
    pieces.push(piece);
    size += piece.length;
  };
  const finish = (): TextLine | null => {
    let text = tooLong ? '' : Buffer.concat(pieces, size).toString('utf8');
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const done = tooLong || text.trim() !== '' ? { line, text, tooLong } : null;
    pieces = [];
    size = 0;
    tooLong = false;
    line++;
    return done;
  };
  for await (const chunk of body) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(0x0a, start);
      if (newline === -1) {
        take(bytes.subarray(start));
        break;
      }
      take(bytes.subarray(start, newline));
      const done = finish();
      if (done) yield done;
      start = newline + 1;
    }
  }
  if (size > 0 || tooLong) {
    const done = finish();
    if (done) yield done;
  }
}

/** One NDJSON line: a JSON object with the fields of `ActivityInput`. */
export function parseNdjsonLine(line: TextLine): ParsedLine {
  if (line.tooLong) return tooLong(line.line);
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    return rejected(line.line, 'MALFORMED_LINE', `Not valid JSON: ${(error as Error).message}`, line.text);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return rejected(line.line, 'MALFORMED_LINE', 'Not a JSON object: each line is one activity, {"memberId": …, "type": …, "channel": …, "externalId": …}', line.text);
  }
  const object = value as Record<string, unknown>;
  const problems: InputProblem[] = [];
  for (const key of Object.keys(object)) {
    if (!(NDJSON_FIELDS as readonly string[]).includes(key)) problems.push({ field: key, message: `is not a field of an activity (${NDJSON_FIELDS.join(', ')})` });
  }
  let amount: ImportedActivity['amount'] = null;
  const money = object.amount;
  if (money !== undefined && money !== null) {
    if (typeof money !== 'object' || Array.isArray(money)) {
      problems.push({ field: 'amount', message: 'must be an object {"amount": <minor units>, "currency": "CNY"}' });
    } else {
      const m = money as Record<string, unknown>;
      for (const key of Object.keys(m)) if (key !== 'amount' && key !== 'currency') problems.push({ field: `amount.${key}`, message: 'is not a field of an amount (amount, currency)' });
      if (typeof m.amount !== 'number' || !Number.isSafeInteger(m.amount)) problems.push({ field: 'amount.amount', message: 'must be a whole number of minor units' });
      if (typeof m.currency !== 'string') problems.push({ field: 'amount.currency', message: 'must be a string (the ISO 4217 currency)' });
      if (problems.length === 0) amount = { amount: m.amount as number, currency: m.currency as string };
    }
  }
  const points = object.pointsUsed;
  let pointsUsed: number | null = null;
  if (points !== undefined && points !== null) {
    if (typeof points !== 'number' || !Number.isSafeInteger(points)) problems.push({ field: 'pointsUsed', message: 'must be a whole number of points' });
    else pointsUsed = points;
  }
  return activityOf(line.line, (name) => object[name], amount, pointsUsed, problems, line.text);
}

// ---------------------------------------------------------------------------------------------
// CSV

/** A CSV record and where it starts (1-based). */
export interface CsvRecord {
  line: number;
  fields: string[];
  tooLong: boolean;
  /** Why the record breaks RFC 4180 (text after a closing quote, a quote left open), if it does. */
  malformed: string | null;
}

enum CsvState {
  FieldStart,
  Unquoted,
  Quoted,
  /** A `"` inside a quoted field: the closing quote, or the first of a doubled one. */
  QuoteInQuoted,
  /** After a closing quote: only `,` or the end of the record may follow. */
  AfterQuote,
}

/**
 * The records of a CSV byte stream (RFC 4180: `,` between fields, CRLF or LF between records,
 * fields in `"` may hold `,`, newlines and `""`). Blank lines are skipped; a record longer than
 * `maxChars` is reported as too long, its text dropped as it streams by.
 */
export async function* csvRecords(body: AsyncIterable<Uint8Array>, maxChars = MAX_LINE_BYTES): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder('utf-8');
  // Widened: TypeScript would narrow it to its first value, not seeing `scan` change it.
  let state = CsvState.FieldStart as CsvState;
  let fields: string[] = [];
  let field = '';
  let size = 0;
  let tooLong = false;
  let malformed: string | null = null;
  let line = 1;
  let recordLine = 1;
  let blank = true;
  let first = true;

  const add = (text: string) => {
    if (tooLong) return;
    size += text.length;
    if (size > maxChars) {
      tooLong = true;
      fields = [];
      field = '';
      return;
    }
    field += text;
  };
  const endField = () => {
    if (!tooLong) fields.push(field);
    field = '';
    state = CsvState.FieldStart;
  };
  const endRecord = (): CsvRecord | null => {
    endField();
    const record = blank && !tooLong ? null : { line: recordLine, fields: tooLong ? [] : fields, tooLong, malformed };
    fields = [];
    size = 0;
    tooLong = false;
    malformed = null;
    blank = true;
    recordLine = line;
    return record;
  };

  function* scan(text: string): Generator<CsvRecord> {
    let i = 0;
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    let run = i; // start of the characters not yet added to the field
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (state) {
        case CsvState.Quoted:
          if (c === 0x22) {
            add(text.slice(run, i));
            state = CsvState.QuoteInQuoted;
          } else if (c === 0x0a) line++;
          continue;
        case CsvState.QuoteInQuoted:
          if (c === 0x22) {
            add('"');
            state = CsvState.Quoted;
            run = i + 1;
            continue;
          }
          state = CsvState.AfterQuote;
          break; // the character after the closing quote, below
        default:
          break;
      }
      // Outside quotes.
      if (c === 0x2c) {
        if (state === CsvState.Unquoted) add(text.slice(run, i));
        blank = false;
        endField();
        run = i + 1;
      } else if (c === 0x0a) {
        if (state === CsvState.Unquoted) add(text.slice(run, i).replace(/\r$/, ''));
        line++;
        const record = endRecord();
        if (record) yield record;
        run = i + 1;
      } else if (c === 0x0d) {
        // A CR outside quotes ends a CRLF (or is dropped).
        if (state === CsvState.Unquoted) add(text.slice(run, i));
        run = i + 1;
      } else if (state === CsvState.FieldStart) {
        blank = false;
        if (c === 0x22) {
          state = CsvState.Quoted;
          run = i + 1;
        } else {
          state = CsvState.Unquoted;
          run = i;
        }
      } else if (state === CsvState.AfterQuote) {
        malformed ??= 'Text after a closing quote: a quoted field ends at its quote (write a quote inside one as "")';
        run = i + 1;
      }
    }
    // What is left of this chunk belongs to the field being read.
    if (state === CsvState.Unquoted || state === CsvState.Quoted) add(text.slice(run));
  }

  for await (const chunk of body) yield* scan(decoder.decode(chunk, { stream: true }));
  yield* scan(decoder.decode());
  if (state === CsvState.Quoted) malformed ??= 'A quoted field is not closed before the end of the file';
  if (!blank || state !== CsvState.FieldStart || fields.length > 0 || tooLong) {
    const record = endRecord();
    if (record) yield record;
  }
}

/** The columns a CSV header names, by position; refuses a header with unknown, repeated or missing columns. */
export function csvColumns(header: CsvRecord): CsvColumn[] {
  const problems: InputProblem[] = [];
  if (header.tooLong || header.malformed) throw AppError.badInput([{ field: 'header', message: header.malformed ?? 'is longer than 64 KB' }]);
  const columns = header.fields.map((name, i) => {
    const wanted = name.trim().replace(/_/g, '').toLowerCase();
    const column = ACTIVITY_FIELDS.find((f) => f.toLowerCase() === wanted);
    if (!column) problems.push({ field: `header column ${i + 1}`, message: `"${name.trim()}" is not a column of an activity (${ACTIVITY_FIELDS.join(', ')})` });
    return column!;
  });
  for (const column of new Set(columns)) {
    if (column && columns.filter((c) => c === column).length > 1) problems.push({ field: `header column ${column}`, message: 'is named twice' });
  }
  for (const column of REQUIRED) if (!columns.includes(column)) problems.push({ field: `header column ${column}`, message: 'is required' });
  if (problems.length) throw AppError.badInput(problems);
  return columns;
}

/** One CSV row under its header: empty fields are absent; `amount` and `currency` make the amount. */
export function parseCsvRecord(record: CsvRecord, columns: readonly CsvColumn[]): ParsedLine {
  if (record.tooLong) return tooLong(record.line);
  const raw = record.fields.join(',');
  if (record.malformed) return rejected(record.line, 'MALFORMED_LINE', record.malformed, raw);
  if (record.fields.length !== columns.length) {
    return rejected(record.line, 'MALFORMED_LINE', `Expected ${columns.length} fields (${columns.join(', ')}), found ${record.fields.length}`, raw);
  }
  const values = new Map<string, string>();
  columns.forEach((column, i) => {
    const value = record.fields[i]!.trim();
    if (value !== '') values.set(column, value);
  });
  const problems: InputProblem[] = [];
  let amount: ImportedActivity['amount'] = null;
  const minor = values.get('amount');
  if (minor !== undefined) {
    if (!/^[+-]?\d{1,15}$/.test(minor)) problems.push({ field: 'amount', message: 'must be a whole number of minor units' });
    else amount = { amount: Number(minor), currency: values.get('currency') ?? '' };
  }
  let pointsUsed: number | null = null;
  const points = values.get('pointsUsed');
  if (points !== undefined) {
    if (!/^[+-]?\d{1,15}$/.test(points)) problems.push({ field: 'pointsUsed', message: 'must be a whole number of points' });
    else pointsUsed = Number(points);
  }
  return activityOf(record.line, (name) => values.get(name), amount, pointsUsed, problems, raw);
}

// ---------------------------------------------------------------------------------------------

/** The activity of a line whose syntax parsed: every field's type checked, all problems reported together. */
function activityOf(
  line: number,
  value: (name: string) => unknown,
  amount: ImportedActivity['amount'],
  pointsUsed: number | null,
  problems: InputProblem[],
  raw: string,
): ParsedLine {
  const text = (name: string, required: boolean): string | null => {
    const v = value(name);
    if (v === undefined || v === null) {
      if (required) problems.push({ field: name, message: 'is required' });
      return null;
    }
    if (typeof v !== 'string') {
      problems.push({ field: name, message: 'must be a string' });
      return null;
    }
    if (v.includes('\u0000')) {
      problems.push({ field: name, message: 'must not contain NUL characters' });
      return null;
    }
    return v;
  };
  const memberId = text('memberId', true);
  const type = text('type', true);
  const channel = text('channel', true);
  const externalId = text('externalId', true);
  const refundOf = text('refundOf', false);
  let occurredAt = text('occurredAt', false);
  if (type !== null && !TYPES.has(type)) problems.push({ field: 'type', message: `must be one of ${[...TYPES].join(', ')}` });
  if (occurredAt !== null) {
    const at = new Date(occurredAt);
    if (!INSTANT.test(occurredAt) || Number.isNaN(at.getTime())) problems.push({ field: 'occurredAt', message: 'must be an ISO 8601 instant with its zone, e.g. 2027-01-15T02:00:00Z' });
    else occurredAt = at.toISOString();
  }
  if (amount && amount.currency.includes('\u0000')) problems.push({ field: 'currency', message: 'must not contain NUL characters' });
  if (problems.length) return rejected(line, 'BAD_USER_INPUT', AppError.badInput(problems).message, raw);
  return { line, activity: { memberId: memberId!, type: type as ActivityType, channel: channel!, externalId: externalId!, amount, refundOf, occurredAt, pointsUsed } };
}

function rejected(line: number, code: LineRejection['code'], message: string, raw: string | null): ParsedLine {
  return { line, rejected: { code, message }, raw: raw === null ? null : raw.replace(/\u0000/g, '\ufffd').slice(0, MAX_RAW_CHARS) };
}

function tooLong(line: number): ParsedLine {
  return { line, rejected: { code: 'MALFORMED_LINE', message: `Longer than ${MAX_LINE_BYTES / 1024} KB: an activity line is a few hundred bytes` }, raw: null };
}

/** Every line of an upload, parsed in file order (a CSV's header read first: a bad header refuses the file). */
export async function* parseUpload(format: 'NDJSON' | 'CSV', body: AsyncIterable<Uint8Array>): AsyncGenerator<ParsedLine> {
  if (format === 'NDJSON') {
    for await (const line of textLines(body)) yield parseNdjsonLine(line);
    return;
  }
  let columns: CsvColumn[] | null = null;
  for await (const record of csvRecords(body)) {
    if (!columns) columns = csvColumns(record);
    else yield parseCsvRecord(record, columns);
  }
}
