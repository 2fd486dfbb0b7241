import type { TestApp } from './app.js';

/** An order as the WeChat Pay sandbox's `GET /sandbox/state` shows it. */
export interface SandboxOrder {
  out_trade_no: string;
  trade_state: string;
  scenario: string;
  refunded: number;
  amount: { total: number };
  payer: { openid: string };
}

export interface SandboxState {
  orders: SandboxOrder[];
  refunds: Array<{ out_refund_no: string; out_trade_no: string; status: string; amount: { refund: number; total: number } }>;
  notifications: Array<{ id: string; out_trade_no: string; event_type: string; delivered: boolean; deliveries: Array<{ status?: number; replay: boolean }> }>;
  mandates: Array<{ contract_id: string; openid: string; contract_state: string }>;
}

export type SandboxScenario =
  | 'success'
  | 'decline'
  | 'insufficient_funds'
  | 'delayed_notification'
  | 'duplicated_notification'
  | 'notification_never_sent'
  | 'mandate_refused';

function sandboxUrl(t: TestApp): string {
  const sandbox = t.app.paymentSandbox;
  if (!sandbox) throw new Error('this app runs no payment sandbox');
  return sandbox.url;
}

/** Who a member is to the payment provider (the pseudonym charges carry). */
export function payerIdOf(t: TestApp, memberId: string): string {
  return t.app.deps.pseudonyms.forPartner(memberId, `payments-${t.app.payments.name}`);
}

/** Our payment id as the sandbox's `out_trade_no` (a UUID without its hyphens). */
export function outTradeNo(paymentId: string): string {
  return paymentId.replace(/-/g, '');
}

/** What the sandbox does with this member's charges and mandates from now on. */
export async function setPayerScenario(t: TestApp, memberId: string, scenario: SandboxScenario, delayMs?: number): Promise<void> {
  const response = await fetch(`${sandboxUrl(t)}/sandbox/scenarios`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ payerId: payerIdOf(t, memberId), scenario, ...(delayMs === undefined ? {} : { delayMs }) }),
  });
  if (!response.ok) throw new Error(`sandbox scenario: HTTP ${response.status} ${await response.text()}`);
}

export async function sandboxState(t: TestApp): Promise<SandboxState> {
  const response = await fetch(`${sandboxUrl(t)}/sandbox/state`);
  return (await response.json()) as SandboxState;
}

/** The sandbox's orders for one member. */
export async function ordersOf(t: TestApp, memberId: string): Promise<SandboxOrder[]> {
  const payer = payerIdOf(t, memberId);
  return (await sandboxState(t)).orders.filter((o) => o.payer?.openid === payer);
}

/** Makes the sandbox deliver a past notification again; answers our endpoint's HTTP status. */
export async function replayNotification(t: TestApp, notificationId: string, options: { verbatim?: boolean; signedSecondsAgo?: number } = {}): Promise<number> {
  const response = await fetch(`${sandboxUrl(t)}/sandbox/notifications/${encodeURIComponent(notificationId)}/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options),
  });
  const body = (await response.json()) as { status?: number };
  return body.status ?? response.status;
}
