import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The reward module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  REWARD_UNAVAILABLE: {
    http: 200,
    extensions: ['rewardCode', 'reason'],
    meaning:
      'The reward cannot be redeemed now (`extensions.reason`: `UNKNOWN` no active reward has that code, `OUT_OF_STOCK` its partner has no codes left); nothing was spent.',
  },
  REWARD_NOT_CANCELABLE: {
    http: 200,
    extensions: ['redemptionId', 'reason'],
    meaning:
      'The redemption cannot be given back (`extensions.reason`: `USED` some of it was used or claimed, `DELIVERED` its partner already credited it, `ENDED` its right ended, `CANCELED` it was given back already); nothing changed.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export type UnavailableReason = 'UNKNOWN' | 'OUT_OF_STOCK';
export type NotCancelableReason = 'USED' | 'DELIVERED' | 'ENDED' | 'CANCELED';

export class RewardError extends AppError {
  static unavailable(rewardCode: string, reason: UnavailableReason): RewardError {
    const why = reason === 'UNKNOWN' ? 'no active reward has this code' : 'its partner has none left';
    return new RewardError('REWARD_UNAVAILABLE', `Reward ${rewardCode} cannot be redeemed: ${why}; nothing was spent.`, { rewardCode, reason });
  }

  static notCancelable(redemptionId: string, reason: NotCancelableReason): RewardError {
    const why = {
      USED: 'some of it was used',
      DELIVERED: 'its partner already credited it',
      ENDED: 'its right has ended',
      CANCELED: 'it was given back already',
    }[reason];
    return new RewardError('REWARD_NOT_CANCELABLE', `Redemption ${redemptionId} cannot be given back: ${why}; nothing changed.`, { redemptionId, reason });
  }
}
