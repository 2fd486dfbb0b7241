import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The activity module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  PURCHASE_NOT_FOUND: {
    http: 200,
    extensions: [],
    meaning: "A refund's `refundOf` names no purchase of this member in this channel; nothing was recorded.",
  },
  BIRTHDAY_ALREADY_SET: {
    http: 200,
    extensions: [],
    meaning: 'The member set their birthday before; it is set once (support corrects a mistake). Nothing changed.',
  },
  REFUND_EXCEEDS_PURCHASE: {
    http: 200,
    extensions: ['refundable'],
    meaning: 'The refund is larger than what is left of its purchase (`extensions.refundable`, minor units); nothing was recorded.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class ActivityError extends AppError {
  static purchaseNotFound(channel: string, externalId: string): ActivityError {
    return new ActivityError('PURCHASE_NOT_FOUND', `No purchase ${externalId} of this member in channel ${channel}: a refund names the purchase it reverses.`);
  }

  static birthdayAlreadySet(): ActivityError {
    return new ActivityError('BIRTHDAY_ALREADY_SET', 'Your birthday is set already; it can be set once. Ask support to correct it.');
  }

  static refundExceedsPurchase(refundable: number): ActivityError {
    return new ActivityError('REFUND_EXCEEDS_PURCHASE', `The refund is larger than what is left of the purchase (${refundable} minor units can still be refunded).`, { refundable });
  }
}
