import { describe, expect, it } from 'vitest';
import { csvColumns, csvRecords, laneOf, LANES, parseCsvRecord, parseNdjsonLine, parseUpload, textLines, type ParsedLine } from './import-format.js';

const MEMBER = '0b6f8a44-3a4e-4d7a-9d3e-6f1f4b0c2a11';

/** The text as a stream cut into chunks of `size` bytes (boundaries anywhere: inside a quote, a CRLF, a UTF-8 character). */
async function* chunks(text: string, size = 3): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('NDJSON lines', () => {
  it('splits on newlines across chunk boundaries, drops CRs, a BOM and blank lines, and numbers lines as in the file', async () => {
    const lines = await all(textLines(chunks('\ufeff{"a":1}\r\n\n  \n{"b":"ü"}\n{"c":3}', 2)));
    expect(lines).toEqual([
      { line: 1, text: '{"a":1}', tooLong: false },
      { line: 4, text: '{"b":"ü"}', tooLong: false },
      { line: 5, text: '{"c":3}', tooLong: false },
    ]);
  });

  it('reports a line over the limit without holding it, and goes on with the next', async () => {
    const lines = await all(textLines(chunks(`${'x'.repeat(50)}\n{"ok":true}\n`, 7), 20));
    expect(lines).toEqual([
      { line: 1, text: '', tooLong: true },
      { line: 2, text: '{"ok":true}', tooLong: false },
    ]);
  });

  it('parses an activity with the fields of ActivityInput', () => {
    const parsed = parseNdjsonLine({
      line: 7,
      tooLong: false,
      text: JSON.stringify({
        memberId: MEMBER,
        type: 'PURCHASE',
        channel: 'store-pos',
        externalId: 'R-1',
        amount: { amount: 12_50, currency: 'CNY' },
        occurredAt: '2027-01-15T10:00:00+08:00',
        pointsUsed: 300,
      }),
    });
    expect(parsed).toEqual({
      line: 7,
      activity: {
        memberId: MEMBER,
        type: 'PURCHASE',
        channel: 'store-pos',
        externalId: 'R-1',
        amount: { amount: 1250, currency: 'CNY' },
        refundOf: null,
        occurredAt: '2027-01-15T02:00:00.000Z',
        pointsUsed: 300,
      },
    });
  });

  it('rejects malformed JSON and non-objects as MALFORMED_LINE, keeping the raw line', () => {
    expect(parseNdjsonLine({ line: 1, tooLong: false, text: '{"memberId": ' })).toMatchObject({ rejected: { code: 'MALFORMED_LINE', message: expect.stringMatching(/^Not valid JSON/) }, raw: '{"memberId": ' });
    expect(parseNdjsonLine({ line: 2, tooLong: false, text: '[1,2]' })).toMatchObject({ rejected: { code: 'MALFORMED_LINE', message: expect.stringMatching(/^Not a JSON object/) } });
  });

  it('reports every field problem of a line together as BAD_USER_INPUT', () => {
    const parsed = parseNdjsonLine({
      line: 3,
      tooLong: false,
      text: JSON.stringify({ memberId: 5, type: 'BUY', channel: 'app', amount: { amount: 1.5, currency: 'CNY' }, externalID: 'x', occurredAt: 'yesterday', pointsUsed: '10' }),
    });
    expect(parsed).toMatchObject({ rejected: { code: 'BAD_USER_INPUT' } });
    const message = (parsed as Extract<ParsedLine, { rejected: unknown }>).rejected.message;
    for (const part of ['externalID: is not a field', 'amount.amount: must be a whole number', 'memberId: must be a string', 'externalId: is required', 'type: must be one of', 'occurredAt: must be an ISO 8601 instant', 'pointsUsed: must be a whole number of points']) {
      expect(message).toContain(part);
    }
  });
});

describe('CSV records (RFC 4180)', () => {
  it('reads quoted fields with commas, doubled quotes and newlines, CRLF or LF, whatever the chunking', async () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\r\nlines"\r\n\r\nplain,,end\n"last","",x';
    for (const size of [1, 2, 3, 5, 64]) {
      const records = await all(csvRecords(chunks(text, size)));
      expect(records.map((r) => [r.line, r.fields, r.malformed])).toEqual([
        [1, ['a', 'b', 'c'], null],
        [2, ['x, y', 'say "hi"', 'two\r\nlines'], null],
        [5, ['plain', '', 'end'], null],
        [6, ['last', '', 'x'], null],
      ]);
    }
  });

  it('flags text after a closing quote and a quote left open', async () => {
    const records = await all(csvRecords(chunks('"ab"c,d\n"open,e\nf', 4)));
    expect(records.map((r) => [r.line, r.malformed !== null])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('reports a record over the limit, even one inside quotes, and goes on', async () => {
    const records = await all(csvRecords(chunks(`"${'z'.repeat(40)}\n${'z'.repeat(40)}",1\nok,2\n`, 6), 30));
    expect(records.map((r) => [r.line, r.tooLong, r.fields])).toEqual([
      [1, true, []],
      [3, false, ['ok', '2']],
    ]);
  });

  it('maps header names to ActivityInput fields (any case, snake_case too) and refuses unknown, repeated or missing columns at once', () => {
    expect(csvColumns({ line: 1, fields: ['member_id', 'Type', 'channel', 'externalId', 'amount', 'currency'], tooLong: false, malformed: null })).toEqual([
      'memberId',
      'type',
      'channel',
      'externalId',
      'amount',
      'currency',
    ]);
    expect(() => csvColumns({ line: 1, fields: ['memberId', 'type', 'type', 'price'], tooLong: false, malformed: null })).toThrow(
      /header column 4: "price" is not a column.*header column type: is named twice.*header column channel: is required.*header column externalId: is required/,
    );
  });

  it('makes the amount of the amount and currency columns; empty fields are absent; a short row is MALFORMED_LINE', () => {
    const columns = csvColumns({ line: 1, fields: ['memberId', 'type', 'channel', 'externalId', 'amount', 'currency', 'refundOf', 'points_used'], tooLong: false, malformed: null });
    expect(parseCsvRecord({ line: 2, fields: [MEMBER, 'REFUND', 'app', 'R-2', '500', 'CNY', 'R-1', ''], tooLong: false, malformed: null }, columns)).toEqual({
      line: 2,
      activity: { memberId: MEMBER, type: 'REFUND', channel: 'app', externalId: 'R-2', amount: { amount: 500, currency: 'CNY' }, refundOf: 'R-1', occurredAt: null, pointsUsed: null },
    });
    expect(parseCsvRecord({ line: 3, fields: [MEMBER, 'PURCHASE', 'app', 'P-3', '9900', 'CNY', '', '500'], tooLong: false, malformed: null }, columns)).toMatchObject({ activity: { pointsUsed: 500 } });
    expect(parseCsvRecord({ line: 4, fields: [MEMBER, 'CHECK_IN', 'app', 'C-1', '', '', '', ''], tooLong: false, malformed: null }, columns)).toMatchObject({ activity: { amount: null, refundOf: null } });
    expect(parseCsvRecord({ line: 5, fields: [MEMBER, 'PURCHASE', 'app', 'P-9', '12.50', 'CNY', '', ''], tooLong: false, malformed: null }, columns)).toMatchObject({
      rejected: { code: 'BAD_USER_INPUT', message: 'Invalid input: amount: must be a whole number of minor units' },
    });
    expect(parseCsvRecord({ line: 6, fields: [MEMBER, 'PURCHASE', 'app', 'P-9', '100'], tooLong: false, malformed: null }, columns)).toEqual({
      line: 6,
      rejected: { code: 'MALFORMED_LINE', message: 'Expected 8 fields (memberId, type, channel, externalId, amount, currency, refundOf, pointsUsed), found 5' },
      raw: `${MEMBER},PURCHASE,app,P-9,100`,
    });
  });

  it('parses a whole upload: the header first, then each row by the line it starts on', async () => {
    const csv = `memberId,type,channel,externalId,amount,currency\n${MEMBER},PURCHASE,app,"P,1",100,CNY\n${MEMBER},CHECK_IN,app,C-1\n`;
    const lines = await all(parseUpload('CSV', chunks(csv, 5)));
    expect(lines).toEqual([
      { line: 2, activity: expect.objectContaining({ externalId: 'P,1', amount: { amount: 100, currency: 'CNY' } }) },
      { line: 3, rejected: { code: 'MALFORMED_LINE', message: expect.stringContaining('found 4') }, raw: `${MEMBER},CHECK_IN,app,C-1` },
    ]);
  });
});

describe('lanes', () => {
  it('puts a member always in the same lane, and spreads members over every lane', () => {
    expect(laneOf(MEMBER)).toBe(laneOf(MEMBER));
    const lanes = new Set(Array.from({ length: 500 }, (_, i) => laneOf(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)));
    expect(lanes.size).toBe(LANES);
  });
});
