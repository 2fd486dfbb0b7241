// The built-in partners' sandboxes in a process of their own, as partners are in production: a
// run whose workers deliver hundreds of events a second then loads this process, not the one that
// drives the run (and, in tests, receives the payment provider's notifications). The partners'
// acknowledgements go to `SANDBOX_ACKNOWLEDGE_BASE_URL` (`…/partners/<id>/events`, a worker's port).
//
// Ready line: `partner sandboxes listening on <base64url JSON>`, the JSON being
// `{ <partner id>: { url, apiKey, callbackSecret, webhookSecrets? } }`: what a worker's
// PARTNER_<ID>_* settings need (see partnerSandboxEnv). Stops on SIGTERM.
import { generateWebhookSecret, type RunningSandbox } from '../partners/sdk/index.js';
import { loadSandboxes } from '../src/built-in-partners.js';
import type { SandboxSettings } from './partner-sandboxes.js';

const acknowledgeBase = process.env.SANDBOX_ACKNOWLEDGE_BASE_URL?.replace(/\/$/, '');
const running: RunningSandbox[] = [];
const settings: Record<string, SandboxSettings> = {};
for (const [id, sandbox] of await loadSandboxes()) {
  const callbackSecret = generateWebhookSecret();
  const started = await sandbox.start(
    acknowledgeBase ? { acknowledgeUrl: `${acknowledgeBase}/partners/${id}/events`, acknowledgeSecrets: [callbackSecret] } : {},
  );
  running.push(started);
  settings[id] = { url: started.url, apiKey: started.apiKey, callbackSecret, ...(started.webhookSecrets?.length ? { webhookSecrets: started.webhookSecrets } : {}) };
}
console.log(`partner sandboxes listening on ${Buffer.from(JSON.stringify(settings)).toString('base64url')}`);

const stop = async () => {
  await Promise.allSettled(running.map((sandbox) => sandbox.close()));
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
