import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The membership module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  ALREADY_MEMBER: { http: 200, extensions: [], meaning: 'The member already holds a live membership; a member holds one at a time.' },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class MembershipError extends AppError {
  static alreadyMember(planCode: string): MembershipError {
    return new MembershipError('ALREADY_MEMBER', `You already hold an active ${planCode} membership`);
  }
}
