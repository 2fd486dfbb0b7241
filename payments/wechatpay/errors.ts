/** Why a call to WeChat Pay did not give an outcome. */
export type WechatPayErrorCode =
  /** We refused to send it: the request cannot be expressed to WeChat Pay (an id too long, not CNY, …). Nothing was sent. */
  | 'INVALID_REQUEST'
  /** The settings lack what the call needs (e.g. `PAYMENT_WECHATPAY_PLAN_ID` for a mandate). Nothing was sent. */
  | 'CONFIGURATION'
  /** No answer (connection refused, reset, timeout): the outcome is unknown; retry with the same ids, or query. */
  | 'NO_ANSWER'
  /** An answer whose signature is missing, wrong, stale or by an unknown key: it is ignored. */
  | 'ANSWER_NOT_VERIFIED'
  /** WeChat Pay refused our signature (HTTP 401): check the merchant key, serial and clock. */
  | 'UNAUTHORIZED'
  /** A verified refusal that is not a payment outcome (e.g. `PARAM_ERROR`, `ORDER_NOT_EXIST`, `SYSTEM_ERROR`); see `providerCode`. */
  | 'REFUSED'
  /** A verified answer we cannot read. */
  | 'UNEXPECTED_ANSWER';

/**
 * A call to WeChat Pay that ended without an outcome. A charge's business refusal (declined,
 * insufficient funds, invalid mandate) is not an error but a `FAILED` result; this is for
 * everything else. `retryable` tells whether the same call (same ids) may succeed later.
 */
export class WechatPayError extends Error {
  constructor(
    readonly code: WechatPayErrorCode,
    message: string,
    readonly details: { status?: number; providerCode?: string; retryable?: boolean } = {},
  ) {
    super(message);
    this.name = 'WechatPayError';
  }

  /** HTTP status of the answer, when there was one. */
  get status(): number | undefined {
    return this.details.status;
  }

  /** WeChat Pay's own error code (`ORDER_NOT_EXIST`, `SYSTEM_ERROR`, …), when it gave one. */
  get providerCode(): string | undefined {
    return this.details.providerCode;
  }

  /** Whether the same call, with the same ids, may give an outcome later. */
  get retryable(): boolean {
    return this.details.retryable ?? false;
  }
}
