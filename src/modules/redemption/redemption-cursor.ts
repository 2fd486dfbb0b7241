import { AppError } from '../../platform/errors.js';
import { isUuid } from '../../platform/loader.js';

/**
 * A position in a partner's redemption history, newest first: the row's `created_at` in
 * microseconds since the epoch (PostgreSQL's own precision, so no two instants collapse)
 * and its id, which breaks ties. Rows inserted later sort before any cursor already
 * handed out, so they never shift the pages that follow it.
 */
export interface RedemptionPosition {
  /** `created_at` in microseconds since 1970-01-01T00:00:00Z, as a decimal string (beyond 2^53). */
  createdAtMicros: string;
  id: string;
}

const PREFIX = 'r1:';
const MICROS = /^-?\d{1,19}$/;

/** The opaque cursor of a position: base64url, meant to be passed back as `after`. */
export function encodeRedemptionCursor(position: RedemptionPosition): string {
  return Buffer.from(`${PREFIX}${position.createdAtMicros}:${position.id}`, 'utf8').toString('base64url');
}

/** The position of a cursor from {@link encodeRedemptionCursor}; BAD_USER_INPUT for anything else. */
export function decodeRedemptionCursor(cursor: string, field = 'after'): RedemptionPosition {
  const invalid = () => AppError.badInput([{ field, message: 'is not a cursor of this connection' }]);
  if (cursor.length > 200) throw invalid();
  const bytes = Buffer.from(cursor, 'base64url');
  // Only the canonical spelling: base64url leaves spare bits that decode to the same bytes.
  if (bytes.toString('base64url') !== cursor) throw invalid();
  const text = bytes.toString('utf8');
  if (!text.startsWith(PREFIX)) throw invalid();
  const [createdAtMicros, id, ...rest] = text.slice(PREFIX.length).split(':');
  if (rest.length > 0 || !createdAtMicros || !MICROS.test(createdAtMicros) || !id || !isUuid(id)) throw invalid();
  return { createdAtMicros, id: id.toLowerCase() };
}
