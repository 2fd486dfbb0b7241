import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The redemption module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  ALREADY_VOIDED: { http: 200, extensions: ['redemptionId'], meaning: 'The redemption was voided before; a redemption is voided once.' },
  VOID_WINDOW_CLOSED: {
    http: 200,
    extensions: ['redemptionId', 'windowSeconds'],
    meaning: 'Too late to void: a redemption is voided within `REDEMPTION_VOID_WINDOW_SECONDS` (`extensions.windowSeconds`).',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

/** Why a redemption cannot be voided. */
export class RedemptionError extends AppError {
  static alreadyVoided(redemptionId: string): RedemptionError {
    return new RedemptionError('ALREADY_VOIDED', `Redemption ${redemptionId} has already been voided`, { redemptionId });
  }

  static voidWindowClosed(redemptionId: string, windowSeconds: number): RedemptionError {
    return new RedemptionError(
      'VOID_WINDOW_CLOSED',
      `Redemption ${redemptionId} can no longer be voided: a redemption is voided within ${windowSeconds} seconds`,
      { redemptionId, windowSeconds },
    );
  }
}
