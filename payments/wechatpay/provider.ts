import type { KeyObject } from 'node:crypto';
import {
  PaymentNotificationError,
  type ChargeRequest,
  type ChargeResult,
  type FailureReason,
  type MandateRequest,
  type MandateResult,
  type PaymentNotification,
  type PaymentProvider,
  type RefundRequest,
  type RefundResult,
} from '../sdk/index.js';
import { WechatPayError } from './errors.js';
import {
  answerMessage,
  AUTHORIZATION_SCHEMA,
  authorizationHeader,
  decryptResource,
  fromOutNo,
  newNonce,
  RESOURCE_ALGORITHM,
  requestMessage,
  rsaPrivateKey,
  rsaPublicKey,
  rsaSign,
  rsaVerify,
  SIGNATURE_HEADERS,
  timestampWithinTolerance,
  toOutNo,
  unixSeconds,
  type WireContract,
  type WireError,
  type WireNotification,
  type WireRefund,
  type WireTransaction,
} from './protocol.js';
import { wechatpaySettingsFrom, type EnvLike, type WechatPaySettings } from './settings.js';

/** The provider's name in our records and in the notification endpoint's path. */
export const WECHATPAY_PROVIDER_NAME = 'wechatpay';

/** Options that are not settings: for tests. */
export interface WechatPayProviderOptions {
  /** The clock, in epoch milliseconds, that request timestamps and the 5-minute tolerance use. @default Date.now */
  now?: () => number;
}

/**
 * Signed refusals of a charge that are its outcome (`FAILED`), by WeChat Pay's error code.
 * Any other refusal is a {@link WechatPayError}: nothing was decided about the payment.
 */
const CHARGE_REFUSALS: Readonly<Record<string, FailureReason>> = {
  NOTENOUGH: 'INSUFFICIENT_FUNDS',
  TRADE_ERROR: 'DECLINED',
  ACCOUNTERROR: 'DECLINED',
  RULE_LIMIT: 'DECLINED',
  CONTRACT_NOT_EXIST: 'MANDATE_INVALID',
  CONTRACT_ERROR: 'MANDATE_INVALID',
  CONTRACT_TERMINATED: 'MANDATE_INVALID',
};

/** Signed refusals of a refund that are its outcome (`FAILED`). */
const REFUND_REFUSALS = new Set(['NOT_ENOUGH', 'INVALID_REQUEST', 'USER_ACCOUNT_ABNORMAL', 'ORDER_CLOSED']);

/** A failed deduction's reason, from 委托代扣's `err_code` (or the trade state). */
export function failureReasonOf(errCode: string | undefined, tradeState?: string): FailureReason {
  if (errCode && CHARGE_REFUSALS[errCode]) return CHARGE_REFUSALS[errCode];
  if (tradeState === 'CLOSED' || tradeState === 'REVOKED') return 'EXPIRED';
  return 'OTHER';
}

/** A transaction's outcome as the port says it. */
export function chargeResultOf(transaction: Pick<WireTransaction, 'trade_state' | 'transaction_id' | 'err_code'>): ChargeResult {
  const reference = transaction.transaction_id ? { providerReference: transaction.transaction_id } : {};
  switch (transaction.trade_state) {
    case 'SUCCESS':
    case 'REFUND': // refunded later: the charge itself succeeded
      return { outcome: 'SUCCEEDED', ...reference };
    case 'PAYERROR':
    case 'CLOSED':
    case 'REVOKED':
      return { outcome: 'FAILED', ...reference, failureReason: failureReasonOf(transaction.err_code, transaction.trade_state) };
    default: // NOTPAY, USERPAYING, ACCEPT
      return { outcome: 'PENDING', ...reference };
  }
}

interface Answer {
  status: number;
  body: unknown;
}

/**
 * The WeChat Pay API v3 adapter (or its sandbox's: same protocol). Every request is signed
 * with the merchant key; every answer used must carry a valid signature by the platform key,
 * within 5 minutes. Accepts typed settings or an env-like record (`process.env`, a sandbox's
 * `adapterSettings`), read by {@link wechatpaySettingsFrom}.
 */
export function createWechatPayProvider(settings: WechatPaySettings | EnvLike, options: WechatPayProviderOptions = {}): PaymentProvider {
  return new WechatPayProvider(isTyped(settings) ? settings : wechatpaySettingsFrom(settings), options);
}

function isTyped(settings: WechatPaySettings | EnvLike): settings is WechatPaySettings {
  return typeof (settings as WechatPaySettings).mchId === 'string' && typeof (settings as WechatPaySettings).baseUrl === 'string';
}

class WechatPayProvider implements PaymentProvider {
  readonly name = WECHATPAY_PROVIDER_NAME;
  private readonly privateKey: KeyObject;
  private readonly platformKey: KeyObject;
  private readonly now: () => number;

  constructor(
    private readonly settings: WechatPaySettings,
    options: WechatPayProviderOptions,
  ) {
    this.privateKey = rsaPrivateKey(settings.merchantPrivateKey, 'merchantPrivateKey');
    this.platformKey = rsaPublicKey(settings.platformPublicKey, 'platformPublicKey');
    this.now = options.now ?? Date.now;
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const outTradeNo = outNo(request.paymentId, 'paymentId');
    checkAmount(request.amount, 'amount');
    checkCurrency(request.currency);
    const amount = { total: request.amount, currency: 'CNY' };
    const description = request.description.slice(0, 127);
    const answer = request.mandateId
      ? await this.call('POST', '/v3/papay/pay/transactions/apply', {
          appid: this.settings.appId,
          out_trade_no: outTradeNo,
          description,
          transaction_notify_url: this.settings.notifyUrl,
          contract_id: request.mandateId,
          amount,
        })
      : await this.call('POST', '/v3/pay/transactions/jsapi', {
          appid: this.settings.appId,
          mchid: this.settings.mchId,
          description,
          out_trade_no: outTradeNo,
          notify_url: this.settings.notifyUrl,
          amount,
          payer: { openid: request.payerId },
        });
    if (isSuccess(answer)) return { outcome: 'PENDING' };
    const error = answer.body as WireError;
    // A retry of a charge already decided (paid, or closed after a failure): the order says how.
    if (error.code === 'ORDERPAID' || error.code === 'ORDER_CLOSED') return this.query(request.paymentId);
    const reason = CHARGE_REFUSALS[error.code];
    if (reason) return { outcome: 'FAILED', failureReason: reason };
    throw refusal(answer, 'charge');
  }

  async createMandate(request: MandateRequest): Promise<MandateResult> {
    const code = outNo(request.mandateRequestId, 'mandateRequestId');
    checkAmount(request.maxAmount, 'maxAmount');
    checkCurrency(request.currency);
    const planId = this.settings.planId;
    if (planId === undefined) throw new WechatPayError('CONFIGURATION', 'set PAYMENT_WECHATPAY_PLAN_ID (the 委托代扣 template id) to sign mandates');
    // WeChat Pay's template (plan_id) carries the deduction limits; maxAmount is ours to enforce.
    const signing = await this.call('POST', '/v3/papay/sign/contracts/pre-entrust-sign', {
      sign_scene: 'SIGN_SCENE_APP',
      appid: this.settings.appId,
      openid: request.payerId,
      plan_id: planId,
      out_contract_code: code,
      contract_display_account: request.planCode.slice(0, 32),
      contract_notify_url: this.settings.notifyUrl,
      out_user_code: request.payerId.slice(0, 32),
    });
    if (!isSuccess(signing)) throw refusal(signing, 'mandate signing');
    const preSignId = field(signing.body, 'pre_entrustweb_id');
    const contract = await this.call('GET', `/v3/papay/sign/contracts/plan-id/${planId}/out-contract-code/${encodeURIComponent(code)}`);
    // Not signed yet: the payer has still to confirm (the pre-sign id names the pending request).
    if (contract.status === 404) return { mandateId: preSignId, status: 'PENDING' };
    if (!isSuccess(contract)) throw refusal(contract, 'mandate query');
    const wire = contract.body as WireContract;
    const mandateId = field(wire, 'contract_id');
    return { mandateId, status: wire.contract_state === 'ADD' ? 'ACTIVE' : 'REFUSED' };
  }

  async query(paymentId: string): Promise<ChargeResult> {
    const outTradeNo = outNo(paymentId, 'paymentId');
    const answer = await this.call(
      'GET',
      `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(this.settings.mchId)}`,
    );
    if (!isSuccess(answer)) throw refusal(answer, 'query');
    const transaction = answer.body as WireTransaction;
    if (transaction.out_trade_no !== outTradeNo || typeof transaction.trade_state !== 'string') {
      throw new WechatPayError('UNEXPECTED_ANSWER', `the query for ${outTradeNo} answered about ${String(transaction.out_trade_no)}`, { status: 200 });
    }
    return chargeResultOf(transaction);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const outTradeNo = outNo(request.paymentId, 'paymentId');
    if (!/^[A-Za-z0-9_\-|*@]{1,64}$/.test(request.refundId)) {
      throw new WechatPayError('INVALID_REQUEST', 'refundId must be 1–64 of A-Z a-z 0-9 _ - | * @ (out_refund_no)');
    }
    checkAmount(request.amount, 'amount');
    checkAmount(request.paidAmount, 'paidAmount');
    if (request.amount > request.paidAmount) {
      throw new WechatPayError('INVALID_REQUEST', `a refund of ${request.amount} is more than the ${request.paidAmount} paid`);
    }
    checkCurrency(request.currency);
    const answer = await this.call('POST', '/v3/refund/domestic/refunds', {
      ...(request.providerReference ? { transaction_id: request.providerReference } : { out_trade_no: outTradeNo }),
      out_refund_no: request.refundId,
      amount: { refund: request.amount, total: request.paidAmount, currency: 'CNY' },
    });
    if (isSuccess(answer)) {
      const refund = answer.body as WireRefund;
      const outcome = refund.status === 'SUCCESS' ? 'SUCCEEDED' : refund.status === 'PROCESSING' ? 'PENDING' : 'FAILED';
      return { outcome, providerReference: field(refund, 'refund_id') };
    }
    if (REFUND_REFUSALS.has((answer.body as WireError).code)) return { outcome: 'FAILED' };
    throw refusal(answer, 'refund');
  }

  async parseNotification(headers: Readonly<Record<string, string | undefined>>, rawBody: string): Promise<PaymentNotification> {
    const header = (name: string) => headerValue(headers, name);
    const timestamp = header(SIGNATURE_HEADERS.timestamp);
    const nonce = header(SIGNATURE_HEADERS.nonce);
    const signature = header(SIGNATURE_HEADERS.signature);
    const serial = header(SIGNATURE_HEADERS.serial);
    if (!timestamp || !nonce || !signature || !serial) {
      throw new PaymentNotificationError('MALFORMED', 'the Wechatpay-Timestamp, -Nonce, -Signature and -Serial headers are required');
    }
    const signatureType = header(SIGNATURE_HEADERS.signatureType);
    if (signatureType && signatureType !== AUTHORIZATION_SCHEMA) {
      throw new PaymentNotificationError('UNSUPPORTED', `signature type ${signatureType} is not supported (${AUTHORIZATION_SCHEMA} only)`);
    }
    if (serial !== this.settings.platformSerial) {
      throw new PaymentNotificationError('BAD_SIGNATURE', `signed with platform key ${serial}, not the configured ${this.settings.platformSerial}`);
    }
    if (!rsaVerify(answerMessage(timestamp, nonce, rawBody), signature, this.platformKey)) {
      throw new PaymentNotificationError('BAD_SIGNATURE', 'the signature does not match the body under the platform key');
    }
    if (!timestampWithinTolerance(timestamp, this.now())) {
      throw new PaymentNotificationError('TIMESTAMP_OUT_OF_TOLERANCE', `signed at ${timestamp}, more than 5 minutes from now (${unixSeconds(this.now())}): a replay or a skewed clock`);
    }
    let body: WireNotification;
    try {
      body = JSON.parse(rawBody) as WireNotification;
    } catch {
      throw new PaymentNotificationError('MALFORMED', 'the body is not JSON');
    }
    if (typeof body?.id !== 'string' || !body.id || typeof body.event_type !== 'string' || typeof body.resource !== 'object' || body.resource === null) {
      throw new PaymentNotificationError('MALFORMED', 'the body lacks id, event_type or resource');
    }
    const { algorithm, ciphertext, associated_data: associatedData = '', nonce: resourceNonce } = body.resource;
    if (algorithm !== RESOURCE_ALGORITHM) throw new PaymentNotificationError('UNSUPPORTED', `resource algorithm ${String(algorithm)} is not supported (${RESOURCE_ALGORITHM} only)`);
    if (!body.event_type.startsWith('TRANSACTION.')) throw new PaymentNotificationError('UNSUPPORTED', `event ${body.event_type} is not about a charge`);
    if (typeof ciphertext !== 'string' || typeof resourceNonce !== 'string' || typeof associatedData !== 'string') {
      throw new PaymentNotificationError('MALFORMED', 'the resource lacks ciphertext or nonce');
    }
    let transaction: WireTransaction;
    try {
      transaction = JSON.parse(decryptResource(ciphertext, this.settings.apiV3Key, resourceNonce, associatedData)) as WireTransaction;
    } catch {
      throw new PaymentNotificationError('UNDECRYPTABLE', 'the resource does not decrypt with the APIv3 key, its nonce and associated data');
    }
    if (transaction?.mchid !== this.settings.mchId) {
      throw new PaymentNotificationError('MALFORMED', `the transaction is merchant ${String(transaction?.mchid)}'s, not ours`);
    }
    if (typeof transaction.out_trade_no !== 'string' || typeof transaction.trade_state !== 'string') {
      throw new PaymentNotificationError('MALFORMED', 'the transaction lacks out_trade_no or trade_state');
    }
    const result = chargeResultOf(transaction);
    if (result.outcome === 'PENDING') {
      throw new PaymentNotificationError('UNSUPPORTED', `trade state ${transaction.trade_state} is not an outcome`);
    }
    return {
      notificationId: body.id,
      paymentId: fromOutNo(transaction.out_trade_no),
      outcome: result.outcome,
      ...(result.providerReference ? { providerReference: result.providerReference } : {}),
      ...(result.failureReason ? { failureReason: result.failureReason } : {}),
    };
  }

  /**
   * One signed call. 2xx answers must verify; an error answer is returned only when it verifies
   * (a refusal we act on must be WeChat Pay's), otherwise it becomes a {@link WechatPayError}.
   */
  private async call(method: 'GET' | 'POST', pathAndQuery: string, payload?: unknown): Promise<Answer> {
    const url = new URL(`${this.settings.baseUrl}${pathAndQuery}`);
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const timestamp = unixSeconds(this.now());
    const nonce = newNonce();
    const signature = rsaSign(requestMessage(method, `${url.pathname}${url.search}`, timestamp, nonce, body), this.privateKey);
    const authorization = authorizationHeader({ mchid: this.settings.mchId, serial_no: this.settings.merchantSerial, timestamp, nonce_str: nonce, signature });
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          'user-agent': 'coalition-gateway-wechatpay/1',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { body }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${this.settings.timeoutMs} ms` : 'the connection failed';
      throw new WechatPayError('NO_ANSWER', `${method} ${url.pathname}: ${cause}; the outcome is unknown`, { retryable: true });
    }
    const status = response.status;
    if (status === 401) {
      throw new WechatPayError('UNAUTHORIZED', `${method} ${url.pathname}: WeChat Pay refused our signature (${errorCodeOf(text) ?? 'no code'})`, { status, providerCode: errorCodeOf(text) });
    }
    const problem = this.verifyAnswer(response.headers, text);
    if (problem) {
      if (status >= 200 && status < 300) throw new WechatPayError('ANSWER_NOT_VERIFIED', `${method} ${url.pathname}: ${problem}`, { status, retryable: true });
      throw new WechatPayError('ANSWER_NOT_VERIFIED', `${method} ${url.pathname}: HTTP ${status}, unverified (${problem})`, { status, retryable: status >= 500 || status === 429 });
    }
    let json: unknown = undefined;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        throw new WechatPayError('UNEXPECTED_ANSWER', `${method} ${url.pathname}: HTTP ${status} with a body that is not JSON`, { status });
      }
    }
    if (status >= 200 && status < 300) return { status, body: json };
    if (typeof (json as WireError | undefined)?.code !== 'string') {
      throw new WechatPayError('UNEXPECTED_ANSWER', `${method} ${url.pathname}: HTTP ${status} without an error code`, { status });
    }
    return { status, body: json };
  }

  /** Why an answer does not verify, or null when it does. */
  private verifyAnswer(headers: Headers, body: string): string | null {
    const timestamp = headers.get(SIGNATURE_HEADERS.timestamp);
    const nonce = headers.get(SIGNATURE_HEADERS.nonce);
    const signature = headers.get(SIGNATURE_HEADERS.signature);
    const serial = headers.get(SIGNATURE_HEADERS.serial);
    if (!timestamp || !nonce || !signature || !serial) return 'the answer is not signed';
    if (serial !== this.settings.platformSerial) return `the answer is signed with platform key ${serial}, not the configured ${this.settings.platformSerial}`;
    if (!rsaVerify(answerMessage(timestamp, nonce, body), signature, this.platformKey)) return "the answer's signature does not match its body";
    if (!timestampWithinTolerance(timestamp, this.now())) return `the answer was signed at ${timestamp}, more than 5 minutes from now`;
    return null;
  }
}

function isSuccess(answer: Answer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

function headerValue(headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  if (headers[name] !== undefined) return headers[name] || undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value || undefined;
  }
  return undefined;
}

function outNo(id: string, what: string): string {
  const wire = toOutNo(id);
  if (wire === null) {
    throw new WechatPayError('INVALID_REQUEST', `${what} ${JSON.stringify(id)} cannot be a WeChat Pay order number: use a UUID, or 6–32 of A-Z a-z 0-9 _ - | * that is not 32 hex digits`);
  }
  return wire;
}

function checkAmount(amount: number, what: string): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new WechatPayError('INVALID_REQUEST', `${what} must be a positive whole number of fen (got ${amount})`);
}

function checkCurrency(currency: string): void {
  if (currency !== 'CNY') throw new WechatPayError('INVALID_REQUEST', `WeChat Pay charges CNY only (got ${currency})`);
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || !value) throw new WechatPayError('UNEXPECTED_ANSWER', `the answer lacks ${name}`, { status: 200 });
  return value;
}

function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as WireError).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function refusal(answer: Answer, call: string): WechatPayError {
  const error = answer.body as WireError | undefined;
  const code = error?.code;
  return new WechatPayError('REFUSED', `${call}: WeChat Pay answered ${answer.status} ${code ?? ''} ${error?.message ?? ''}`.trim(), {
    status: answer.status,
    ...(code ? { providerCode: code } : {}),
    retryable: answer.status >= 500 || answer.status === 429 || code === 'SYSTEM_ERROR' || code === 'FREQUENCY_LIMITED',
  });
}
