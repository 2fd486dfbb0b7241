import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The token module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  TOKEN_INVALID: {
    http: 200,
    extensions: [],
    meaning: 'Not a token we signed for this partner: bad signature, unknown key, wrong audience or type, malformed (the message says which).',
  },
  TOKEN_EXPIRED: { http: 200, extensions: [], meaning: 'The token is past its `exp`; the member asks for a fresh one.' },
  TOKEN_REVOKED: { http: 200, extensions: [], meaning: 'The token\'s status-list entry was flipped (its right was suspended or revoked since it was issued).' },
  ALREADY_REDEEMED: { http: 200, extensions: [], meaning: 'The token was redeemed before; a token is presented once (a retry with the same idempotency key gets the first answer).' },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

/** Why an entitlement token is refused. */
export class TokenError extends AppError {
  static invalid(reason: string): TokenError {
    return new TokenError('TOKEN_INVALID', `Invalid entitlement token: ${reason}`);
  }

  static invalidCard(reason: string): TokenError {
    return new TokenError('TOKEN_INVALID', `Invalid membership card: ${reason}`);
  }

  static expiredCard(): TokenError {
    return new TokenError('TOKEN_EXPIRED', 'The membership card has expired; ask the member to show it again (the app makes a fresh one)');
  }

  static expired(): TokenError {
    return new TokenError('TOKEN_EXPIRED', 'The entitlement token has expired; ask the member for a fresh one');
  }

  static revoked(): TokenError {
    return new TokenError('TOKEN_REVOKED', 'This entitlement token was revoked (see its status list entry); ask the member for a fresh one');
  }

  static alreadyRedeemed(): TokenError {
    return new TokenError('ALREADY_REDEEMED', 'This token has already been redeemed; a token is presented once');
  }
}
