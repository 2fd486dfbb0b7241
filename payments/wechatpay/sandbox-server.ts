import { generateKeyPairSync, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { PaymentSandboxOptions, RunningPaymentSandbox } from '../sdk/index.js';
import {
  answerMessage,
  AUTHORIZATION_SCHEMA,
  chinaTime,
  CLOCK_TOLERANCE_SECONDS,
  encryptResource,
  newNonce,
  parseAuthorization,
  requestMessage,
  RESOURCE_ALGORITHM,
  rsaSign,
  rsaVerify,
  timestampWithinTolerance,
  unixSeconds,
  type ContractState,
  type TradeState,
  type WireContract,
  type WireNotification,
  type WireRefund,
  type WireTransaction,
} from './protocol.js';

// Development and tests only: plays WeChat Pay API v3 on loopback with keys made at start.
// It speaks the wire format of protocol.ts; README.md describes routes, scenarios and admin endpoints.

/** What the sandbox does with a charge or a mandate, chosen per payer id or per amount. */
export const WECHATPAY_SANDBOX_SCENARIOS = [
  'success',
  'decline',
  'insufficient_funds',
  'delayed_notification',
  'duplicated_notification',
  'notification_never_sent',
  'mandate_refused',
] as const;
export type WechatPaySandboxScenario = (typeof WECHATPAY_SANDBOX_SCENARIOS)[number];

/** How to start the WeChat Pay sandbox: the SDK's sandbox options plus delivery timing. */
export interface WechatPaySandboxOptions extends PaymentSandboxOptions {
  /** How long the payer takes to pay (or a deduction to run) before the order is decided, in milliseconds. @default 20 */
  settleAfterMs?: number;
  /** Delivery attempts per notification while the receiver answers non-2xx or not at all. @default 5 */
  notifyAttempts?: number;
  /** Wait before the first redelivery, doubled for each further one, in milliseconds. @default 100 */
  notifyRetryDelayMs?: number;
  /** Timeout of one delivery attempt, in milliseconds (WeChat Pay gives receivers 5 s). @default 5000 */
  notifyTimeoutMs?: number;
}

/** The largest request body read; more is answered 413. */
const MAX_BODY_BYTES = 64 * 1024;
/** The default `delayMs` of `delayed_notification`. */
const DEFAULT_NOTIFICATION_DELAY_MS = 1000;
/** The 委托代扣 template the sandbox knows. */
const PLAN_ID = 12535;
const OUT_NO = /^[A-Za-z0-9_\-|*]{6,32}$/;

interface ScenarioRule {
  scenario: WechatPaySandboxScenario;
  delayMs?: number;
}

interface Order {
  kind: 'JSAPI' | 'PAP';
  outTradeNo: string;
  prepayId: string;
  transactionId?: string;
  description: string;
  openid: string;
  total: number;
  contractId?: string;
  notifyUrl: string;
  tradeState: TradeState;
  tradeStateDesc: string;
  errCode?: string;
  scenario: WechatPaySandboxScenario;
  delayMs?: number;
  createdAt: string;
  successTime?: string;
  refunded: number;
}

interface Contract {
  contractId: string;
  preSignId: string;
  outContractCode: string;
  openid: string;
  displayAccount: string;
  state: ContractState;
  signedAt?: string;
  notifyUrl: string;
}

interface Refund {
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  amount: number;
  total: number;
  status: WireRefund['status'];
  createdAt: string;
}

interface Delivery {
  at: string;
  /** The receiver's HTTP status, or why there was none. */
  status?: number;
  error?: string;
  /** A delivery asked for through the replay endpoint. */
  replay: boolean;
  headers: Record<string, string>;
}

interface SentNotification {
  id: string;
  outTradeNo: string;
  eventType: string;
  notifyUrl: string;
  body: string;
  deliveries: Delivery[];
  delivered: boolean;
}

class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts a WeChat Pay API v3 sandbox on loopback: merchant and platform RSA key pairs and an
 * APIv3 key are generated at start and handed back in `adapterSettings` (the adapter's
 * `PAYMENT_WECHATPAY_*` names), so `createWechatPayProvider(sandbox.adapterSettings)` talks to it.
 */
export async function startWechatPaySandbox(options: WechatPaySandboxOptions = {}): Promise<RunningPaymentSandbox> {
  const host = options.host ?? '127.0.0.1';
  const settleAfterMs = options.settleAfterMs ?? 20;
  const notifyAttempts = options.notifyAttempts ?? 5;
  const notifyRetryDelayMs = options.notifyRetryDelayMs ?? 100;
  const notifyTimeoutMs = options.notifyTimeoutMs ?? 5000;

  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const mchId = String(randomInt(1_600_000_000, 1_999_999_999));
  const appId = `wx${randomBytes(8).toString('hex')}`;
  const apiV3Key = randomBytes(24).toString('base64url').slice(0, 32);
  const merchantSerial = randomBytes(20).toString('hex').toUpperCase();
  const platformSerial = `PUB_KEY_ID_${randomDigits(32)}`;

  const orders = new Map<string, Order>();
  const contracts = new Map<string, Contract>();
  const contractsById = new Map<string, Contract>();
  const refunds = new Map<string, Refund>();
  const notifications = new Map<string, SentNotification>();
  const byPayer = new Map<string, ScenarioRule>();
  const byAmount = new Map<number, ScenarioRule>();
  /** Nonces of verified requests, with when they may be forgotten (a request is accepted once). */
  const seenNonces = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new AbortController();
  let closed = false;

  const later = (ms: number, task: () => Promise<void> | void) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (closed) return;
      void Promise.resolve()
        .then(task)
        .catch(() => undefined);
    }, ms);
    timers.add(timer);
  };

  const scenarioFor = (openid: string, amount?: number): ScenarioRule =>
    byPayer.get(openid) ?? (amount === undefined ? undefined : byAmount.get(amount)) ?? { scenario: 'success' };

  // ---- Signing our answers and notifications --------------------------------------------

  const signedHeaders = (body: string, signedAtMs: number): Record<string, string> => {
    const timestamp = unixSeconds(signedAtMs);
    const nonce = newNonce();
    return {
      'Wechatpay-Timestamp': timestamp,
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': rsaSign(answerMessage(timestamp, nonce, body), platform.privateKey),
      'Wechatpay-Serial': platformSerial,
      'Wechatpay-Signature-Type': AUTHORIZATION_SCHEMA,
    };
  };

  const answer = (res: ServerResponse, status: number, payload?: unknown): void => {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    res.writeHead(status, {
      ...signedHeaders(body, Date.now()),
      'Request-ID': randomUUID(),
      ...(payload === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    });
    res.end(body);
  };

  const plain = (res: ServerResponse, status: number, payload?: unknown): void => {
    if (payload === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
  };

  // ---- Our requests' signatures -----------------------------------------------------------

  /** Why a request's signature is refused, or null when it verifies (its nonce is then spent). */
  const authenticate = (req: IncomingMessage, body: string): string | null => {
    const fields = parseAuthorization(headerOf(req, 'authorization'));
    if ('problem' in fields) return fields.problem;
    if (fields.mchid !== mchId) return `mchid ${fields.mchid} is not this merchant`;
    if (fields.serial_no !== merchantSerial) return `serial_no ${fields.serial_no} is not the merchant's certificate`;
    if (!timestampWithinTolerance(fields.timestamp, Date.now())) return `timestamp ${fields.timestamp} is more than ${CLOCK_TOLERANCE_SECONDS} s from now`;
    if (!rsaVerify(requestMessage(req.method ?? '', req.url ?? '', fields.timestamp, fields.nonce_str, body), fields.signature, merchant.publicKey)) {
      return 'the signature does not verify with the merchant certificate';
    }
    const now = Date.now();
    for (const [nonce, expiry] of seenNonces) if (expiry < now) seenNonces.delete(nonce);
    if (seenNonces.has(fields.nonce_str)) return `nonce_str ${fields.nonce_str} was already used (a replayed request)`;
    seenNonces.set(fields.nonce_str, now + 2 * CLOCK_TOLERANCE_SECONDS * 1000);
    return null;
  };

  // ---- Notifications ----------------------------------------------------------------------

  const wireTransaction = (order: Order): WireTransaction => ({
    mchid: mchId,
    appid: appId,
    out_trade_no: order.outTradeNo,
    ...(order.transactionId ? { transaction_id: order.transactionId } : {}),
    trade_type: order.kind,
    trade_state: order.tradeState,
    trade_state_desc: order.tradeStateDesc,
    ...(order.errCode ? { err_code: order.errCode } : {}),
    ...(order.successTime ? { success_time: order.successTime } : {}),
    payer: { openid: order.openid },
    amount: { total: order.total, currency: 'CNY', ...(order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND' ? { payer_total: order.total, payer_currency: 'CNY' } : {}) },
    ...(order.contractId ? { contract_id: order.contractId } : {}),
  });

  const notificationFor = (order: Order): SentNotification => {
    const success = order.tradeState === 'SUCCESS';
    const nonce = randomBytes(9).toString('base64url').slice(0, 12);
    const body: WireNotification = {
      id: `EV-${randomUUID()}`,
      create_time: chinaTime(Date.now()),
      resource_type: 'encrypt-resource',
      event_type: success ? 'TRANSACTION.SUCCESS' : 'TRANSACTION.FAIL',
      summary: success ? '支付成功' : '支付失败',
      resource: {
        original_type: 'transaction',
        algorithm: RESOURCE_ALGORITHM,
        ciphertext: encryptResource(JSON.stringify(wireTransaction(order)), apiV3Key, nonce, 'transaction'),
        associated_data: 'transaction',
        nonce,
      },
    };
    const sent: SentNotification = {
      id: body.id,
      outTradeNo: order.outTradeNo,
      eventType: body.event_type,
      notifyUrl: order.notifyUrl,
      body: JSON.stringify(body),
      deliveries: [],
      delivered: false,
    };
    notifications.set(sent.id, sent);
    return sent;
  };

  /** One POST of a notification; its result is recorded. */
  const post = async (sent: SentNotification, headers: Record<string, string>, replay: boolean): Promise<Delivery> => {
    const delivery: Delivery = { at: new Date().toISOString(), replay, headers };
    sent.deliveries.push(delivery);
    try {
      const response = await fetch(sent.notifyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: sent.body,
        redirect: 'manual',
        signal: AbortSignal.any([inflight.signal, AbortSignal.timeout(notifyTimeoutMs)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      delivery.status = response.status;
      if (response.status >= 200 && response.status < 300) sent.delivered = true;
    } catch (error) {
      delivery.error = (error as Error).name === 'TimeoutError' ? `no answer within ${notifyTimeoutMs} ms` : 'the connection failed';
    }
    return delivery;
  };

  /** Delivers a notification, freshly signed for each attempt, until a 2xx or the attempts run out. */
  const deliver = async (sent: SentNotification): Promise<void> => {
    for (let attempt = 0; attempt < notifyAttempts && !closed; attempt++) {
      if (attempt > 0) await delay(notifyRetryDelayMs * 2 ** (attempt - 1), undefined, { signal: inflight.signal }).catch(() => undefined);
      if (closed) return;
      const delivery = await post(sent, signedHeaders(sent.body, Date.now()), false);
      if (delivery.status !== undefined && delivery.status >= 200 && delivery.status < 300) return;
    }
  };

  /** Decides an order as its scenario says. */
  const decide = (order: Order): void => {
    const now = Date.now();
    if (order.scenario === 'decline' || order.scenario === 'insufficient_funds') {
      order.tradeState = 'PAYERROR';
      order.errCode = order.scenario === 'decline' ? 'TRADE_ERROR' : 'NOTENOUGH';
      order.tradeStateDesc = order.scenario === 'decline' ? '交易失败：银行拒绝' : '用户账户余额不足';
    } else {
      order.tradeState = 'SUCCESS';
      order.tradeStateDesc = '支付成功';
      order.transactionId = `4200${randomDigits(24)}`;
      order.successTime = chinaTime(now);
    }
  };

  /** Decides an order the payer (or the deduction) has had time to pay, and notifies per its scenario. */
  const settle = (order: Order): void => {
    if (order.tradeState !== 'NOTPAY' && order.tradeState !== 'ACCEPT') return;
    decide(order);
    switch (order.scenario) {
      case 'notification_never_sent':
        return;
      case 'delayed_notification':
        later(order.delayMs ?? DEFAULT_NOTIFICATION_DELAY_MS, () => deliver(notificationFor(order)));
        return;
      case 'duplicated_notification':
        later(0, async () => {
          const sent = notificationFor(order);
          await deliver(sent);
          await deliver(sent);
        });
        return;
      default:
        later(0, () => deliver(notificationFor(order)));
    }
  };

  // ---- API routes -------------------------------------------------------------------------

  const wireContract = (contract: Contract): WireContract => ({
    mchid: mchId,
    appid: appId,
    contract_id: contract.contractId,
    plan_id: PLAN_ID,
    out_contract_code: contract.outContractCode,
    contract_display_account: contract.displayAccount,
    contract_state: contract.state,
    ...(contract.signedAt ? { contract_signed_time: contract.signedAt } : {}),
    openid: contract.openid,
  });

  const wireRefund = (refund: Refund): WireRefund => ({
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    transaction_id: refund.transactionId,
    out_trade_no: refund.outTradeNo,
    status: refund.status,
    create_time: refund.createdAt,
    ...(refund.status === 'SUCCESS' ? { success_time: refund.createdAt } : {}),
    amount: { refund: refund.amount, total: refund.total, currency: 'CNY' },
  });

  /** An existing order asked for again with the same out_trade_no: the same order, or why not. */
  const repeatOf = (existing: Order, kind: Order['kind'], total: number, openid: string): { status: number; body: unknown } => {
    if (existing.kind !== kind || existing.total !== total || existing.openid !== openid) {
      throw new ApiProblem(400, 'INVALID_REQUEST', `out_trade_no ${existing.outTradeNo} was used with other parameters`);
    }
    if (existing.tradeState === 'SUCCESS' || existing.tradeState === 'REFUND') throw new ApiProblem(403, 'ORDERPAID', '该订单已支付');
    if (existing.tradeState === 'PAYERROR' || existing.tradeState === 'CLOSED') throw new ApiProblem(403, 'ORDER_CLOSED', '当前订单已关闭，请重新下单');
    return kind === 'JSAPI'
      ? { status: 200, body: { prepay_id: existing.prepayId } }
      : { status: 200, body: { out_trade_no: existing.outTradeNo, amount: { total: existing.total, currency: 'CNY' } } };
  };

  const jsapiOrder = (body: Record<string, unknown>) => {
    const appid = requireString(body, 'appid');
    const mchid = requireString(body, 'mchid');
    if (appid !== appId || mchid !== mchId) throw new ApiProblem(403, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    const description = requireString(body, 'description', 127);
    const outTradeNo = requireOutNo(body, 'out_trade_no');
    const notifyUrl = requireUrl(body, 'notify_url');
    const total = requireTotal(body);
    const openid = requireString(object(body, 'payer'), 'openid', 128, 'payer.openid');
    const existing = orders.get(outTradeNo);
    if (existing) return repeatOf(existing, 'JSAPI', total, openid);
    const rule = scenarioFor(openid, total);
    const order: Order = {
      kind: 'JSAPI',
      outTradeNo,
      prepayId: `wx${randomBytes(16).toString('hex')}`,
      description,
      openid,
      total,
      notifyUrl,
      tradeState: 'NOTPAY',
      tradeStateDesc: '订单未支付',
      scenario: rule.scenario,
      ...(rule.delayMs === undefined ? {} : { delayMs: rule.delayMs }),
      createdAt: chinaTime(Date.now()),
      refunded: 0,
    };
    orders.set(outTradeNo, order);
    later(settleAfterMs, () => settle(order));
    return { status: 200, body: { prepay_id: order.prepayId } };
  };

  const papayApply = (body: Record<string, unknown>) => {
    if (requireString(body, 'appid') !== appId) throw new ApiProblem(403, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    const outTradeNo = requireOutNo(body, 'out_trade_no');
    const description = requireString(body, 'description', 127);
    const notifyUrl = requireUrl(body, 'transaction_notify_url');
    const contractId = requireString(body, 'contract_id');
    const total = requireTotal(body);
    const contract = contractsById.get(contractId);
    const existing = orders.get(outTradeNo);
    if (existing) return repeatOf(existing, 'PAP', total, contract?.openid ?? '');
    if (!contract || contract.state !== 'ADD') throw new ApiProblem(403, 'CONTRACT_ERROR', '委托代扣协议不存在或已解约');
    const rule = scenarioFor(contract.openid, total);
    const order: Order = {
      kind: 'PAP',
      outTradeNo,
      prepayId: '',
      description,
      openid: contract.openid,
      total,
      contractId,
      notifyUrl,
      tradeState: 'ACCEPT',
      tradeStateDesc: '已接收，等待扣款',
      scenario: rule.scenario,
      ...(rule.delayMs === undefined ? {} : { delayMs: rule.delayMs }),
      createdAt: chinaTime(Date.now()),
      refunded: 0,
    };
    orders.set(outTradeNo, order);
    // A deduction the account cannot take is refused at once; the order stays on record (query tells the same).
    if (rule.scenario === 'decline' || rule.scenario === 'insufficient_funds') {
      decide(order);
      throw new ApiProblem(403, order.errCode!, order.tradeStateDesc);
    }
    later(settleAfterMs, () => settle(order));
    return { status: 200, body: { out_trade_no: outTradeNo, amount: { total, currency: 'CNY' } } };
  };

  const preEntrustSign = (body: Record<string, unknown>) => {
    if (requireString(body, 'appid') !== appId) throw new ApiProblem(403, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    if (body.plan_id !== PLAN_ID) throw new ApiProblem(400, 'PARAM_ERROR', `plan_id ${String(body.plan_id)} is not a template of this merchant (${PLAN_ID})`);
    const openid = requireString(body, 'openid', 128);
    const code = requireOutNo(body, 'out_contract_code');
    const displayAccount = requireString(body, 'contract_display_account', 32);
    const notifyUrl = requireUrl(body, 'contract_notify_url');
    requireString(body, 'out_user_code', 32);
    const existing = contracts.get(code);
    if (existing) {
      if (existing.openid !== openid) throw new ApiProblem(400, 'INVALID_REQUEST', `out_contract_code ${code} was used for another payer`);
      return { status: 200, body: { pre_entrustweb_id: existing.preSignId } };
    }
    // The payer signs at once, or refuses, as the scenario says.
    const refused = scenarioFor(openid).scenario === 'mandate_refused';
    const contract: Contract = {
      contractId: randomDigits(20),
      preSignId: `5778aadY9nltAsZzXixCkFIGYnV2V${randomDigits(8)}`,
      outContractCode: code,
      openid,
      displayAccount,
      state: refused ? 'REFUSED' : 'ADD',
      ...(refused ? {} : { signedAt: chinaTime(Date.now()) }),
      notifyUrl,
    };
    contracts.set(code, contract);
    contractsById.set(contract.contractId, contract);
    return { status: 200, body: { pre_entrustweb_id: contract.preSignId } };
  };

  /** `POST /sandbox/mandates` `{ payerIds }`: a signed contract for each payer, at once (load tests seed thousands). */
  const signMandates = (body: Record<string, unknown>) => {
    const payerIds = body.payerIds;
    if (!Array.isArray(payerIds) || payerIds.length === 0 || payerIds.length > 1000 || !payerIds.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 128)) {
      throw new ApiProblem(400, 'PARAM_ERROR', 'payerIds must be 1 to 1000 non-empty strings of at most 128 characters');
    }
    const mandates = (payerIds as string[]).map((openid) => {
      const contract: Contract = {
        contractId: randomDigits(20),
        preSignId: `5778aadY9nltAsZzXixCkFIGYnV2V${randomDigits(8)}`,
        outContractCode: `bulk${randomBytes(12).toString('hex')}`,
        openid,
        displayAccount: 'bulk',
        state: 'ADD',
        signedAt: chinaTime(Date.now()),
        notifyUrl: options.notifyUrl ?? '',
      };
      contracts.set(contract.outContractCode, contract);
      contractsById.set(contract.contractId, contract);
      return { payerId: openid, mandateId: contract.contractId };
    });
    return { mandates };
  };

  const refund = (body: Record<string, unknown>) => {
    const outRefundNo = requireString(body, 'out_refund_no', 64);
    const amount = object(body, 'amount');
    const refundAmount = amount.refund;
    const total = amount.total;
    if (!Number.isSafeInteger(refundAmount) || (refundAmount as number) <= 0) throw new ApiProblem(400, 'PARAM_ERROR', 'amount.refund must be a positive integer (fen)');
    if (!Number.isSafeInteger(total) || (total as number) <= 0) throw new ApiProblem(400, 'PARAM_ERROR', 'amount.total must be a positive integer (fen)');
    if (amount.currency !== 'CNY') throw new ApiProblem(400, 'PARAM_ERROR', 'amount.currency must be CNY');
    const transactionId = typeof body.transaction_id === 'string' ? body.transaction_id : undefined;
    const outTradeNo = typeof body.out_trade_no === 'string' ? body.out_trade_no : undefined;
    if (!transactionId && !outTradeNo) throw new ApiProblem(400, 'PARAM_ERROR', 'transaction_id or out_trade_no is required');
    const order = transactionId ? [...orders.values()].find((o) => o.transactionId === transactionId) : orders.get(outTradeNo!);
    if (!order) throw new ApiProblem(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    const existing = refunds.get(outRefundNo);
    if (existing) {
      if (existing.outTradeNo !== order.outTradeNo || existing.amount !== refundAmount) {
        throw new ApiProblem(400, 'INVALID_REQUEST', `out_refund_no ${outRefundNo} was used with other parameters`);
      }
      return { status: 200, body: wireRefund(existing) };
    }
    if (order.tradeState !== 'SUCCESS' && order.tradeState !== 'REFUND') throw new ApiProblem(403, 'INVALID_REQUEST', '订单未支付，不能退款');
    if (total !== order.total) throw new ApiProblem(400, 'PARAM_ERROR', `amount.total ${String(total)} is not the order's ${order.total}`);
    if (order.refunded + (refundAmount as number) > order.total) {
      throw new ApiProblem(400, 'INVALID_REQUEST', `申请退款金额超过订单可退金额 (${order.total - order.refunded} left)`);
    }
    order.refunded += refundAmount as number;
    order.tradeState = 'REFUND';
    order.tradeStateDesc = '转入退款';
    const created: Refund = {
      refundId: `50${randomDigits(27)}`,
      outRefundNo,
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId!,
      amount: refundAmount as number,
      total: order.total,
      status: 'SUCCESS',
      createdAt: chinaTime(Date.now()),
    };
    refunds.set(outRefundNo, created);
    return { status: 200, body: wireRefund(created) };
  };

  const api = (method: string, url: URL, body: Record<string, unknown>): { status: number; body: unknown } => {
    const path = url.pathname;
    if (method === 'POST' && path === '/v3/pay/transactions/jsapi') return jsapiOrder(body);
    if (method === 'POST' && path === '/v3/papay/pay/transactions/apply') return papayApply(body);
    if (method === 'POST' && path === '/v3/papay/sign/contracts/pre-entrust-sign') return preEntrustSign(body);
    if (method === 'POST' && path === '/v3/refund/domestic/refunds') return refund(body);
    let match = /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/.exec(path);
    if (method === 'GET' && match) {
      if (url.searchParams.get('mchid') !== mchId) throw new ApiProblem(400, 'PARAM_ERROR', 'mchid is required and must be this merchant');
      const order = orders.get(decodeURIComponent(match[1]!));
      if (!order) throw new ApiProblem(404, 'ORDER_NOT_EXIST', '订单不存在');
      return { status: 200, body: wireTransaction(order) };
    }
    match = /^\/v3\/papay\/sign\/contracts\/plan-id\/(\d+)\/out-contract-code\/([^/]+)$/.exec(path);
    if (method === 'GET' && match) {
      const contract = Number(match[1]) === PLAN_ID ? contracts.get(decodeURIComponent(match[2]!)) : undefined;
      if (!contract) throw new ApiProblem(404, 'RESOURCE_NOT_EXISTS', '签约协议不存在');
      return { status: 200, body: wireContract(contract) };
    }
    throw new ApiProblem(404, 'NOT_FOUND', `no ${method} ${path}`);
  };

  // ---- Admin routes (unsigned, for tests and development) ----------------------------------

  const state = () => ({
    merchant: { mchid: mchId, appid: appId, planId: PLAN_ID },
    orders: [...orders.values()].map((order) => ({ ...wireTransaction(order), scenario: order.scenario, refunded: order.refunded, notify_url: order.notifyUrl })),
    mandates: [...contracts.values()].map(wireContract),
    refunds: [...refunds.values()].map(wireRefund),
    notifications: [...notifications.values()].map((sent) => ({
      id: sent.id,
      out_trade_no: sent.outTradeNo,
      event_type: sent.eventType,
      notify_url: sent.notifyUrl,
      delivered: sent.delivered,
      deliveries: sent.deliveries.map(({ at, status, error, replay }) => ({ at, ...(status === undefined ? {} : { status }), ...(error ? { error } : {}), replay })),
    })),
    scenarios: [
      ...[...byPayer].map(([payerId, rule]) => ({ payerId, ...rule })),
      ...[...byAmount].map(([amount, rule]) => ({ amount, ...rule })),
    ],
  });

  const setScenario = (body: Record<string, unknown>) => {
    const problems: string[] = [];
    const { payerId, amount, scenario, delayMs } = body;
    if ((payerId === undefined) === (amount === undefined)) problems.push('give exactly one of payerId and amount');
    if (payerId !== undefined && (typeof payerId !== 'string' || payerId.length === 0)) problems.push('payerId must be a non-empty string');
    if (amount !== undefined && (!Number.isSafeInteger(amount) || (amount as number) <= 0)) problems.push('amount must be a positive integer (fen)');
    if (!WECHATPAY_SANDBOX_SCENARIOS.includes(scenario as WechatPaySandboxScenario)) problems.push(`scenario must be one of ${WECHATPAY_SANDBOX_SCENARIOS.join(', ')}`);
    if (delayMs !== undefined && (!Number.isSafeInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > 600_000)) problems.push('delayMs must be an integer from 0 to 600000');
    if (problems.length > 0) throw new ApiProblem(400, 'PARAM_ERROR', problems.join('; '));
    const rule: ScenarioRule = { scenario: scenario as WechatPaySandboxScenario, ...(delayMs === undefined ? {} : { delayMs: delayMs as number }) };
    if (typeof payerId === 'string') byPayer.set(payerId, rule);
    else byAmount.set(amount as number, rule);
    return typeof payerId === 'string' ? { payerId, ...rule } : { amount, ...rule };
  };

  const replay = async (id: string, body: Record<string, unknown>) => {
    const sent = notifications.get(id);
    if (!sent) throw new ApiProblem(404, 'NOT_FOUND', `no notification ${id}`);
    const { verbatim = false, signedSecondsAgo = 0 } = body;
    if (typeof verbatim !== 'boolean') throw new ApiProblem(400, 'PARAM_ERROR', 'verbatim must be a boolean');
    if (!Number.isSafeInteger(signedSecondsAgo) || (signedSecondsAgo as number) < 0) throw new ApiProblem(400, 'PARAM_ERROR', 'signedSecondsAgo must be a non-negative integer');
    let headers: Record<string, string>;
    if (verbatim) {
      // The notification exactly as first sent, as someone who captured it would send it again.
      const first = sent.deliveries[0];
      if (!first) throw new ApiProblem(409, 'NOT_SENT', `notification ${id} was never sent`);
      headers = first.headers;
    } else {
      headers = signedHeaders(sent.body, Date.now() - (signedSecondsAgo as number) * 1000);
    }
    const delivery = await post(sent, headers, true);
    return { id, ...(delivery.status === undefined ? {} : { status: delivery.status }), ...(delivery.error ? { error: delivery.error } : {}) };
  };

  const admin = async (method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = url.pathname;
    if (path === '/sandbox/state' && method === 'GET') return plain(res, 200, state());
    if (path === '/sandbox/scenarios' && method === 'PUT') return plain(res, 200, setScenario(await readJson(req)));
    if (path === '/sandbox/scenarios' && method === 'DELETE') {
      byPayer.clear();
      byAmount.clear();
      return plain(res, 204);
    }
    // Load tests: mandates signed at once for many payers (as if each had signed in the app).
    if (path === '/sandbox/mandates' && method === 'POST') return plain(res, 200, signMandates(await readJson(req)));
    // Where notifications go when the sandbox was started without a notifyUrl: taken and dropped.
    if (path === '/sandbox/notify-sink' && method === 'POST') {
      await readBody(req);
      return plain(res, 204);
    }
    const match = /^\/sandbox\/notifications\/([^/]+)\/replay$/.exec(path);
    if (match && method === 'POST') return plain(res, 200, await replay(decodeURIComponent(match[1]!), await readJson(req, true)));
    throw new ApiProblem(404, 'NOT_FOUND', `no ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const isApi = url.pathname.startsWith('/v3/');
    void (async () => {
      try {
        if (!isApi) return await admin(method, url, req, res);
        const text = (await readBody(req)).toString('utf8');
        const refused = authenticate(req, text);
        // WeChat Pay does not sign its 401: the caller could not be told from a forger.
        if (refused) return plain(res, 401, { code: 'SIGN_ERROR', message: `签名错误: ${refused}` });
        let body: Record<string, unknown> = {};
        if (method === 'POST') {
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            throw new ApiProblem(400, 'PARAM_ERROR', 'the body is not JSON');
          }
          if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiProblem(400, 'PARAM_ERROR', 'the body is not a JSON object');
        }
        const result = api(method, url, body);
        answer(res, result.status, result.body);
      } catch (error) {
        if (res.headersSent) return;
        const problem = error instanceof ApiProblem ? error : new ApiProblem(500, 'SYSTEM_ERROR', '系统错误');
        const payload = { code: problem.code, message: problem.message };
        if (isApi) answer(res, problem.status, payload);
        else plain(res, problem.status, payload);
      }
    })();
  });

  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    adapterSettings: {
      PAYMENT_WECHATPAY_URL: url,
      PAYMENT_WECHATPAY_MCH_ID: mchId,
      PAYMENT_WECHATPAY_APP_ID: appId,
      PAYMENT_WECHATPAY_API_V3_KEY: apiV3Key,
      PAYMENT_WECHATPAY_MERCHANT_SERIAL: merchantSerial,
      PAYMENT_WECHATPAY_MERCHANT_PRIVATE_KEY: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      PAYMENT_WECHATPAY_PLATFORM_SERIAL: platformSerial,
      PAYMENT_WECHATPAY_PLATFORM_PUBLIC_KEY: platform.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      PAYMENT_WECHATPAY_NOTIFY_URL: options.notifyUrl ?? `${url}/sandbox/notify-sink`,
      PAYMENT_WECHATPAY_PLAN_ID: String(PLAN_ID),
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      inflight.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- Request helpers ------------------------------------------------------------------------

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiProblem(413, 'PAYLOAD_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: IncomingMessage, emptyIsObject = false): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  if (text.length === 0 && emptyIsObject) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ApiProblem(400, 'PARAM_ERROR', 'the body must be a JSON object');
}

function object(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = body[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiProblem(400, 'PARAM_ERROR', `${key} is required (an object)`);
  return value as Record<string, unknown>;
}

function requireString(body: Record<string, unknown>, key: string, maxLength = 64, label = key): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length === 0) throw new ApiProblem(400, 'PARAM_ERROR', `${label} is required`);
  if (value.length > maxLength) throw new ApiProblem(400, 'PARAM_ERROR', `${label} is longer than ${maxLength} characters`);
  return value;
}

function requireOutNo(body: Record<string, unknown>, key: string): string {
  const value = requireString(body, key);
  if (!OUT_NO.test(value)) throw new ApiProblem(400, 'PARAM_ERROR', `${key} must be 6–32 of A-Z a-z 0-9 _ - | *`);
  return value;
}

function requireUrl(body: Record<string, unknown>, key: string): string {
  const value = requireString(body, key, 256);
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch {
    // answered below
  }
  throw new ApiProblem(400, 'PARAM_ERROR', `${key} must be an absolute http(s) URL`);
}

function requireTotal(body: Record<string, unknown>): number {
  const amount = object(body, 'amount');
  if (!Number.isSafeInteger(amount.total) || (amount.total as number) <= 0) throw new ApiProblem(400, 'PARAM_ERROR', 'amount.total must be a positive integer (fen)');
  if (amount.currency !== undefined && amount.currency !== 'CNY') throw new ApiProblem(400, 'PARAM_ERROR', 'amount.currency must be CNY');
  return amount.total as number;
}

function randomDigits(count: number): string {
  let digits = '';
  while (digits.length < count) digits += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return digits.slice(0, count);
}
