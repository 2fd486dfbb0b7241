import { AppError } from '../../platform/errors.js';

/**
 * A position in the audit trail, newest first: the entry's `at` in microseconds since the epoch
 * (PostgreSQL's own precision), then its chain and its place in it, which break ties (the
 * trail's order: `at` descending, chain ascending, seq descending). Entries appended later sort
 * before any cursor already handed out, so they never shift the pages that follow it.
 */
export interface AuditPosition {
  /** `at` in microseconds since 1970-01-01T00:00:00Z, as a decimal string. */
  atMicros: string;
  chain: number;
  /** The entry's seq in its chain, as a decimal string (a bigint). */
  seq: string;
}

const PREFIX = 'a1:';
const INTEGER = /^-?\d{1,19}$/;

/** The opaque cursor of a position: base64url, meant to be passed back as `after`. */
export function encodeAuditCursor(position: AuditPosition): string {
  return Buffer.from(`${PREFIX}${position.atMicros}:${position.chain}:${position.seq}`, 'utf8').toString('base64url');
}

/** The position of a cursor from {@link encodeAuditCursor}; BAD_USER_INPUT for anything else. */
export function decodeAuditCursor(cursor: string, field = 'after'): AuditPosition {
  const invalid = () => AppError.badInput([{ field, message: 'is not a cursor of this connection' }]);
  if (cursor.length > 200) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  // Only the canonical spelling: base64url leaves spare bits that decode to the same bytes.
  if (bytes.toString('base64url') !== cursor) throw invalid();
  const text = bytes.toString('utf8');
  if (!text.startsWith(PREFIX)) throw invalid();
  const [atMicros, chain, seq, ...rest] = text.slice(PREFIX.length).split(':');
  if (rest.length > 0 || !atMicros || !INTEGER.test(atMicros) || !chain || !/^\d{1,5}$/.test(chain) || !seq || !/^\d{1,19}$/.test(seq)) throw invalid();
  return { atMicros, chain: Number(chain), seq };
}
