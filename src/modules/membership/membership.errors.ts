import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The membership module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  ALREADY_MEMBER: { http: 200, extensions: [], meaning: 'The member already holds a live membership; a member holds one at a time.' },
  TRIAL_ALREADY_USED: { http: 200, extensions: [], meaning: 'The member had a free trial before: one trial per member, ever. Subscribe without `trial` to pay now.' },
  MANDATE_REFUSED: {
    http: 200,
    extensions: [],
    meaning: 'The payment provider refused the recurring-payment mandate (a trial and auto-renewal need one); nothing changed.',
  },
  MEMBERSHIP_NOT_PAST_DUE: { http: 200, extensions: ['status'], meaning: 'Only a PAST_DUE membership can be paid this way (`extensions.status` says what it is); nothing was charged.' },
  PAYMENT_IN_PROGRESS: {
    http: 200,
    extensions: [],
    meaning: 'A charge for this period is still being confirmed by the provider; nothing new was charged. Look again in a moment.',
  },
  QUOTE_CHANGED: {
    http: 200,
    extensions: ['amount'],
    meaning:
      'A refund or plan change would no longer cost or give back the amount the member was shown (time passed, a benefit was used): `extensions.amount` is the new figure; nothing changed.',
  },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class MembershipError extends AppError {
  static alreadyMember(planCode: string): MembershipError {
    return new MembershipError('ALREADY_MEMBER', `You already hold an active ${planCode} membership`);
  }

  static trialAlreadyUsed(): MembershipError {
    return new MembershipError('TRIAL_ALREADY_USED', 'You have had a free trial before; you can subscribe without one');
  }

  static mandateRefused(): MembershipError {
    return new MembershipError('MANDATE_REFUSED', 'The payment provider did not set up automatic renewal payments; nothing changed');
  }

  static notPastDue(status: string): MembershipError {
    return new MembershipError('MEMBERSHIP_NOT_PAST_DUE', `This membership is ${status}: there is no unpaid renewal to pay`, { status });
  }

  static paymentInProgress(): MembershipError {
    return new MembershipError('PAYMENT_IN_PROGRESS', 'A payment for this period is still being confirmed; nothing new was charged');
  }

  static quoteChanged(what: 'refund' | 'plan change', amount: number, currency: string): MembershipError {
    return new MembershipError('QUOTE_CHANGED', `The ${what} is now ${amount} ${currency} (minor units); nothing changed. Confirm the new amount.`, {
      amount: { amount, currency },
    });
  }
}
