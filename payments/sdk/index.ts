// The payment SDK: the port the coalition's core drives to take members' money, implemented
// once per provider under payments/<provider>/ (WeChat Pay API v3 style, Alipay, cards) and by
// the core's development provider. It imports nothing from the rest of the tree; adapters
// import only this file. Money is an integer amount in minor units with its ISO currency.

/** How a charge ended, or that the provider will say later (a notification, or a query). */
export type ChargeOutcome = 'SUCCEEDED' | 'PENDING' | 'FAILED';

/** Why a charge failed, as far as the provider says. */
export type FailureReason = 'DECLINED' | 'INSUFFICIENT_FUNDS' | 'MANDATE_INVALID' | 'EXPIRED' | 'OTHER';

export interface ChargeRequest {
  /** Our payment id: the provider's order number (`out_trade_no`); a retried charge is charged once. */
  paymentId: string;
  /** Who pays, as the provider knows them (a pseudonymous payer id, never a name). */
  payerId: string;
  amount: number;
  currency: string;
  /** What the member sees on the receipt. */
  description: string;
  /** Charge this recurring-payment mandate (a renewal) instead of asking the payer now. */
  mandateId?: string;
}

export interface ChargeResult {
  outcome: ChargeOutcome;
  /** The provider's reference for the charge (`transaction_id`); absent while it has none. */
  providerReference?: string;
  /** With `FAILED`. */
  failureReason?: FailureReason;
}

export interface MandateRequest {
  /** Our id for the mandate (`contract_code`): asking again with it returns the same mandate. */
  mandateRequestId: string;
  payerId: string;
  /** The plan the mandate pays for and what each charge may be at most. */
  planCode: string;
  maxAmount: number;
  currency: string;
}

export interface MandateResult {
  /** The provider's id of the mandate (`contract_id`), what later charges name. */
  mandateId: string;
  status: 'ACTIVE' | 'PENDING' | 'REFUSED';
}

export interface RefundRequest {
  /** Our refund id (`out_refund_no`): a retried refund is refunded once. */
  refundId: string;
  paymentId: string;
  providerReference: string | null;
  /** What to give back, at most what was paid. */
  amount: number;
  /** What was paid (providers check refunds against it). */
  paidAmount: number;
  currency: string;
}

export interface RefundResult {
  outcome: ChargeOutcome;
  providerReference?: string;
}

/** A verified, decoded asynchronous notification about one of our charges. */
export interface PaymentNotification {
  /** The provider's id of the notification: the same notification delivered twice is applied once. */
  notificationId: string;
  /** Our payment id it is about. */
  paymentId: string;
  outcome: Exclude<ChargeOutcome, 'PENDING'>;
  providerReference?: string;
  failureReason?: FailureReason;
}

/** A notification that does not verify: forged, altered, too old, or not ours. */
export class PaymentNotificationError extends Error {
  constructor(
    readonly reason: 'BAD_SIGNATURE' | 'TIMESTAMP_OUT_OF_TOLERANCE' | 'UNDECRYPTABLE' | 'MALFORMED' | 'UNSUPPORTED',
    message: string,
  ) {
    super(message);
    this.name = 'PaymentNotificationError';
  }
}

/**
 * A payment provider. Every call is idempotent by our ids (payment, mandate request, refund).
 * A charge may end at once or `PENDING`: the provider then confirms asynchronously with a
 * signed notification (to our notification endpoint), and `query` reads the outcome when no
 * notification comes.
 */
export interface PaymentProvider {
  /** Its name in our records (`payment.provider`) and in the notification endpoint's path. */
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Asks the payer for a recurring-payment mandate (WeChat Pay 委托代扣, Alipay 周期扣款). */
  createMandate(request: MandateRequest): Promise<MandateResult>;
  /** Reads a charge's outcome (`PENDING` while undecided). */
  query(paymentId: string): Promise<ChargeResult>;
  /** Refunds part or all of a settled charge. */
  refund(request: RefundRequest): Promise<RefundResult>;
  /**
   * Verifies an asynchronous notification (signature, timestamp, decryption) and decodes it.
   *
   * @throws PaymentNotificationError for anything that does not verify.
   */
  parseNotification(headers: Readonly<Record<string, string | undefined>>, rawBody: string): Promise<PaymentNotification>;
}

/** How to start a payment provider's sandbox (a real HTTP server on loopback). */
export interface PaymentSandboxOptions {
  /** Where the sandbox POSTs its signed notifications (our endpoint). */
  notifyUrl?: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 */
  port?: number;
}

/** Starts a provider's sandbox (development and tests only). */
export type PaymentSandboxStarter = (options: PaymentSandboxOptions) => Promise<RunningPaymentSandbox>;

/** A running payment sandbox and what an adapter needs to talk to it. */
export interface RunningPaymentSandbox {
  /** Base URL of its API. */
  url: string;
  /** The settings its adapter is configured with (as `PAYMENT_<PROVIDER>_…` would give them). */
  adapterSettings: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A provider as the composition root sees it: its name, the environment variables it is
 * configured by (`PAYMENT_<PROVIDER>_…`, like partners' `PARTNER_<ID>_…`) and how to build it
 * from them, or from a sandbox's `adapterSettings`.
 */
export interface PaymentAdapter {
  readonly name: string;
  /** Prefix of its environment variables, e.g. `PAYMENT_WECHATPAY_`. */
  readonly envPrefix: string;
  /** Builds the provider from its settings; throws naming what to set when something is missing. */
  create(settings: Readonly<Record<string, string | undefined>>): PaymentProvider;
}
