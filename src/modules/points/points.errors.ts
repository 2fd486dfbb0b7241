import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The points module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  INSUFFICIENT_POINTS: {
    http: 200,
    extensions: ['balance', 'required'],
    meaning: 'The member has fewer points than the spend needs (`extensions.balance`, `extensions.required`); nothing was spent.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class PointsError extends AppError {
  static insufficient(balance: number, required: number): PointsError {
    return new PointsError('INSUFFICIENT_POINTS', `This needs ${required} points and the member has ${balance}; nothing was spent.`, { balance, required });
  }
}
