// The partners' sandboxes as a child process (partner-sandboxes-main.ts), for benches and tests
// whose workers deliver to partners at full speed.
import path from 'node:path';
import { distFile, startChild, type Child } from './processes.js';

/** The compiled entry point, also when this file runs from source (under vitest). */
const MAIN = import.meta.url.endsWith('.ts') ? path.resolve('dist/bench/partner-sandboxes-main.js') : distFile('./partner-sandboxes-main.js');

/** What a worker needs to call one partner's sandbox and trust its acknowledgements. */
export interface SandboxSettings {
  url: string;
  apiKey: string;
  callbackSecret: string;
  webhookSecrets?: string[];
}

export interface PartnerSandboxesProcess {
  child: Child;
  settings: Readonly<Record<string, SandboxSettings>>;
  /** PARTNER_<ID>_URL, _API_KEY, _CALLBACK_SECRETS and _WEBHOOK_SECRETS for every partner. */
  env: NodeJS.ProcessEnv;
}

/** Starts the sandboxes' process; their acknowledgements go to `acknowledgeBaseUrl` (a worker's port). */
export async function startPartnerSandboxes(options: { acknowledgeBaseUrl?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PartnerSandboxesProcess> {
  const child = await startChild({
    name: 'partner sandboxes',
    script: MAIN,
    env: { ...(options.env ?? process.env), ...(options.acknowledgeBaseUrl ? { SANDBOX_ACKNOWLEDGE_BASE_URL: options.acknowledgeBaseUrl } : {}) },
    ready: /partner sandboxes listening on (\S+)/,
    timeoutMs: 60_000,
  });
  const settings = JSON.parse(Buffer.from(child.url, 'base64url').toString('utf8')) as Record<string, SandboxSettings>;
  return { child, settings, env: partnerSandboxEnv(settings) };
}

/** The PARTNER_<ID>_* settings that point a process at the sandboxes. */
export function partnerSandboxEnv(settings: Readonly<Record<string, SandboxSettings>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [id, sandbox] of Object.entries(settings)) {
    const prefix = `PARTNER_${id.toUpperCase()}`;
    env[`${prefix}_URL`] = sandbox.url;
    env[`${prefix}_API_KEY`] = sandbox.apiKey;
    env[`${prefix}_CALLBACK_SECRETS`] = sandbox.callbackSecret;
    if (sandbox.webhookSecrets?.length) env[`${prefix}_WEBHOOK_SECRETS`] = sandbox.webhookSecrets.join(',');
  }
  return env;
}
