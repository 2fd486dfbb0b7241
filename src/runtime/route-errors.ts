import { AppError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import type { Core } from './core.js';

/** HTTP statuses of the codes whose error-table status is a GraphQL one (200). */
const HTTP_STATUS: Readonly<Record<string, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, BAD_USER_INPUT: 400, NOT_FOUND: 404 };

/**
 * A failed HTTP route's answer, as the GraphQL API would code it: `{ errors: [{ message,
 * extensions }] }` with the code's HTTP status (400 for a code GraphQL answers with 200); anything
 * uncoded is logged and answered 500 `INTERNAL_SERVER_ERROR`, with nothing internal.
 */
export function routeErrorAnswer(error: unknown, core: Pick<Core, 'errors'>, logger: Logger, what: string): { status: number; body: unknown } {
  if (error instanceof AppError) {
    const status = HTTP_STATUS[error.code] ?? core.errors.spec(error.code)?.http ?? 400;
    return { status: status === 200 ? 400 : status, body: { errors: [{ message: error.message, extensions: error.extensions }] } };
  }
  logger.error({ err: error }, `${what} failed`);
  return { status: 500, body: { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] } };
}
