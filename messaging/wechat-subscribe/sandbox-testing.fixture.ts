import { randomBytes } from 'node:crypto';
import type { RunningMessagingSandbox } from '../sdk/index.js';
import type { SandboxMessage, WechatSubscribeSandboxScenario } from './sandbox-server.js';

// Test fixture: the sandbox's admin endpoints, and fresh openids.

/** A fresh openid-like recipient (28 characters, as WeChat's), so one test's scenarios never touch another's. */
export function newOpenid(): string {
  return `o${randomBytes(20).toString('base64url').slice(0, 27)}`;
}

/** The sandbox's `GET /sandbox/state`. */
export interface SandboxState {
  appid: string;
  tokensIssued: number;
  tokens: Array<{ issued_at: string; expires_at: string; valid: boolean }>;
  sendCalls: number;
  messages: number;
  scenarios: Record<string, string>;
}

export async function sandboxState(sandbox: RunningMessagingSandbox): Promise<SandboxState> {
  return (await admin(sandbox, 'GET', '/sandbox/state', 200)) as SandboxState;
}

/** `GET /sandbox/messages?touser=…`: what was delivered to one recipient, in order. */
export async function messagesTo(sandbox: RunningMessagingSandbox, touser: string): Promise<SandboxMessage[]> {
  return ((await admin(sandbox, 'GET', `/sandbox/messages?touser=${encodeURIComponent(touser)}`, 200)) as { messages: SandboxMessage[] }).messages;
}

/** Sets scenarios by recipient, failing the test when the sandbox refuses them. */
export async function setScenarios(sandbox: RunningMessagingSandbox, scenarios: Record<string, WechatSubscribeSandboxScenario | null>): Promise<void> {
  await admin(sandbox, 'PUT', '/sandbox/scenarios', 200, scenarios);
}

/** `POST /sandbox/tokens/expire`: every token issued so far stops working. */
export async function expireTokens(sandbox: RunningMessagingSandbox): Promise<void> {
  await admin(sandbox, 'POST', '/sandbox/tokens/expire', 200);
}

async function admin(sandbox: RunningMessagingSandbox, method: string, path: string, expected: number, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}
