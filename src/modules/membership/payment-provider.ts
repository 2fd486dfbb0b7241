import { randomUUID } from 'node:crypto';

export interface ChargeRequest {
  /** Our payment id: providers dedupe on it, so a retried charge is charged once. */
  paymentId: string;
  memberId: string;
  amount: number;
  currency: string;
  description: string;
}

export type ChargeOutcome = 'SUCCEEDED' | 'PENDING' | 'FAILED';

export interface ChargeResult {
  outcome: ChargeOutcome;
  providerReference: string;
}

/**
 * A payment provider (WeChat Pay, Alipay, cards). `PENDING` means the provider confirms
 * later, asynchronously; the membership waits in PENDING_PAYMENT until
 * `MembershipService.settlePayment` is told the outcome.
 */
export interface PaymentProvider {
  readonly name: string;
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Refunds a settled charge in full; idempotent by our payment id. */
  refund(request: RefundRequest): Promise<ChargeResult>;
}

export interface RefundRequest {
  paymentId: string;
  providerReference: string | null;
  amount: number;
  currency: string;
}

/** The development provider: every charge succeeds at once. */
export class DevPaymentProvider implements PaymentProvider {
  readonly name = 'dev';

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    return { outcome: 'SUCCEEDED', providerReference: `dev_${request.paymentId}_${randomUUID().slice(0, 8)}` };
  }

  async refund(request: RefundRequest): Promise<ChargeResult> {
    return { outcome: 'SUCCEEDED', providerReference: `dev_refund_${request.paymentId}` };
  }
}
