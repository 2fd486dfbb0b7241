import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The entitlement module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  QUOTA_EXHAUSTED: { http: 200, extensions: ['remaining'], meaning: 'Not enough uses left in this period (`extensions.remaining` says how many are); nothing was taken.' },
  ENTITLEMENT_INACTIVE: {
    http: 200,
    extensions: ['status'],
    meaning: 'The right cannot be used now: pending, suspended, revoked or outside its period (`extensions.status`).',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

/** Why a right cannot be used. */
export class EntitlementError extends AppError {
  static quotaExhausted(remaining: number, requested: number): EntitlementError {
    return new EntitlementError('QUOTA_EXHAUSTED', `Quota exhausted: ${remaining} left in this period, ${requested} requested`, { remaining });
  }

  static inactive(status: string): EntitlementError {
    return new EntitlementError('ENTITLEMENT_INACTIVE', `The entitlement is ${status}, not ACTIVE`, { status });
  }
}
