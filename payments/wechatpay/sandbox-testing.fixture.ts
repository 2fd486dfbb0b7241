import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningPaymentSandbox } from '../sdk/index.js';
import type { WechatPaySandboxScenario } from './sandbox-server.js';

// Test fixture: our side of WeChat Pay's notifications (a real HTTP server on loopback) and the
// sandbox's admin endpoints.

/** One notification the receiver got, exactly as sent. */
export interface ReceivedNotification {
  /** Header names lower-cased, as Node gives them to a handler. */
  headers: Record<string, string>;
  /** The raw body, as signed. */
  body: string;
  /** The status the receiver answered. */
  answered: number;
}

export interface NotificationReceiver {
  url: string;
  received: ReceivedNotification[];
  /** Statuses to answer the next notifications with, in order; 200 once they run out. */
  answerNext(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const received: ReceivedNotification[] = [];
  const queued: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answered = queued.shift() ?? 200;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      received.push({ headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered, { 'content-type': 'application/json' });
      res.end(answered === 200 ? '' : JSON.stringify({ code: 'FAIL', message: 'try again' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/payments/wechatpay/notifications`,
    received,
    answerNext: (...statuses) => queued.push(...statuses),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` every 10 ms until it returns something truthy; fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 3000, what = 'the condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The sandbox's `GET /sandbox/state`. */
export interface SandboxState {
  merchant: { mchid: string; appid: string; planId: number };
  orders: Array<{ out_trade_no: string; trade_state: string; transaction_id?: string; scenario: string; refunded: number; amount: { total: number } }>;
  mandates: Array<{ contract_id: string; out_contract_code: string; contract_state: string; openid: string }>;
  refunds: Array<{ refund_id: string; out_refund_no: string; out_trade_no: string; status: string; amount: { refund: number } }>;
  notifications: Array<{
    id: string;
    out_trade_no: string;
    event_type: string;
    delivered: boolean;
    deliveries: Array<{ at: string; status?: number; error?: string; replay: boolean }>;
  }>;
  scenarios: Array<{ payerId?: string; amount?: number; scenario: string; delayMs?: number }>;
}

export async function sandboxState(sandbox: RunningPaymentSandbox): Promise<SandboxState> {
  const response = await fetch(`${sandbox.url}/sandbox/state`);
  if (response.status !== 200) throw new Error(`GET /sandbox/state answered ${response.status}`);
  return (await response.json()) as SandboxState;
}

/** `PUT /sandbox/scenarios`; returns the response for tests of the endpoint itself. */
export function putScenario(
  sandbox: RunningPaymentSandbox,
  rule: { payerId?: string; amount?: number; scenario: WechatPaySandboxScenario | string; delayMs?: number },
): Promise<Response> {
  return fetch(`${sandbox.url}/sandbox/scenarios`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
}

/** Sets a scenario, failing the test when the sandbox refuses it. */
export async function setScenario(
  sandbox: RunningPaymentSandbox,
  rule: { payerId?: string; amount?: number; scenario: WechatPaySandboxScenario; delayMs?: number },
): Promise<void> {
  const response = await putScenario(sandbox, rule);
  if (response.status !== 200) throw new Error(`PUT /sandbox/scenarios answered ${response.status}: ${await response.text()}`);
}

/** `POST /sandbox/notifications/{id}/replay`: the receiver's answer to the re-sent notification. */
export async function replayNotification(
  sandbox: RunningPaymentSandbox,
  id: string,
  options: { verbatim?: boolean; signedSecondsAgo?: number } = {},
): Promise<{ status?: number; error?: string }> {
  const response = await fetch(`${sandbox.url}/sandbox/notifications/${encodeURIComponent(id)}/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options),
  });
  if (response.status !== 200) throw new Error(`replay answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { status?: number; error?: string };
}
