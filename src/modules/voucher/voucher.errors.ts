import { AppError, defineErrors, type ErrorCodesOf } from '../../platform/errors.js';

/** The voucher module's error codes (see ErrorSpec). */
export const errorCodes = defineErrors({
  VOUCHER_POOL_EMPTY: { http: 200, extensions: [], meaning: 'The partner\'s pool of codes for this benefit is empty right now; the quota was not used.' },
});

declare module '../../platform/errors.js' {
  interface ErrorCodeRegistry extends ErrorCodesOf<typeof errorCodes> {}
}

export class VoucherError extends AppError {
  static poolEmpty(benefitCode: string): VoucherError {
    return new VoucherError('VOUCHER_POOL_EMPTY', `No ${benefitCode} voucher is left right now; your quota was not used. Try again later.`);
  }
}
