// `npm start`: the whole gateway in one process tree, on the embedded PostgreSQL unless
// DATABASE_URL points elsewhere.
import 'reflect-metadata';
import { flushCompileCache } from 'node:module';
import path from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from './platform/db/embedded-postgres.js';
import { BUILT_IN_PARTNERS, loadSandboxes } from './built-in-partners.js';
import { loadMessagingSandbox, MESSAGING_ADAPTER } from './built-in-messaging.js';
import { loadPaymentSandbox, PAYMENT_ADAPTER } from './built-in-payments.js';
import { startApp, type RunningApp } from './runtime/app.js';
import { loadConfig } from './platform/config.js';
import { createLogger } from './platform/logger.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
let embedded: RunningPostgres | undefined;
let app: RunningApp | undefined;
let stopping = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await app?.close();
  await embedded?.stop();
  logger.info('stopped');
  process.exit(0);
}
// embedded-postgres installs its own SIGINT/SIGTERM hook that stops the database and exits
// at once, under the app's open connections. Ours must be the only one: app first, then
// the database, then exit.
function ownSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void shutdown(signal));
  }
}
ownSignals();

try {
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const dataDir = path.join(config.dataDir, 'pg');
    console.log(`Starting embedded PostgreSQL (data in ${dataDir}, port ${config.embeddedPgPort})…`);
    embedded = await startEmbeddedPostgres({ dataDir, port: config.embeddedPgPort });
    ownSignals();
    if (embedded.initialised) console.log('  initialised a new database cluster');
    databaseUrl = embedded.url;
  }
  app = await startApp({
    config,
    databaseUrl,
    logger,
    partners: BUILT_IN_PARTNERS,
    // Sandboxes stand in for partners left unconfigured; production loads none (it requires PARTNER_<ID>_URL).
    ...(config.nodeEnv === 'production' ? {} : { sandboxes: await loadSandboxes() }),
    // Likewise the payment provider's sandbox, when PAYMENT_WECHATPAY_* is not set.
    paymentAdapter: PAYMENT_ADAPTER,
    ...(config.nodeEnv === 'production' ? {} : { paymentSandbox: await loadPaymentSandbox() }),
    // And the messaging provider's, when MESSAGING_WECHAT_SUBSCRIBE_* is not set.
    messagingAdapter: MESSAGING_ADAPTER,
    ...(config.nodeEnv === 'production' ? {} : { messagingSandbox: await loadMessagingSandbox() }),
  });
  // With Node's compile cache on (NODE_COMPILE_CACHE, as the tests set it), keep what this start compiled now: the cache
  // is otherwise written at exit, never by a process that is killed, and the next start compiles it all again.
  flushCompileCache();
  printBanner(app, databaseUrl);
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  console.error(error instanceof Error ? error.message : error);
  await app?.close();
  await embedded?.stop();
  process.exit(1);
}

function printBanner(running: RunningApp, databaseUrl: string): void {
  const base = config.publicUrl;
  const db = new URL(databaseUrl);
  const seed = running.seed;
  const lines = [
    '',
    'Coalition gateway is up',
    `  GraphQL          ${base}/graphql${config.nodeEnv === 'development' ? '   (IDE in a browser)' : ''}`,
    `  Console          ${base}/console   (product managers and partners; sign in with a dev:credential)`,
    `  JWKS             ${base}/.well-known/jwks.json`,
    `  Issuer metadata  ${base}/.well-known/entitlement-issuer`,
    `  Status lists     ${base}/.well-known/status-lists   (token revocation, per partner)`,
    `  Health           ${base}/healthz   ${base}/readyz`,
    `  Metrics          ${running.metricsUrl}   (own port, METRICS_PORT; not on the public port)`,
    `  Database         ${embedded ? 'embedded' : 'external'} PostgreSQL at ${db.host}${db.pathname}`,
    `  Subgraphs        ${running.subgraphs.map((s) => `${s.name} ${s.url}`).join(', ')}`,
    `  Sandbox partners ${[...running.sandboxes.entries()].map(([id, s]) => `${id} ${s.url}`).join(', ') || 'none'}`,
    `  Payments         ${running.payments.name}${running.paymentSandbox ? ` sandbox ${running.paymentSandbox.url}   (scenarios: PUT ${running.paymentSandbox.url}/sandbox/scenarios)` : ' (configured)'}; notifications on ${base}/payments/${running.payments.name}/notify`,
    `  Messaging        ${running.messaging ? `${running.messaging.name}${running.messagingSandbox ? ` sandbox ${running.messagingSandbox.url}   (sent: GET ${running.messagingSandbox.url}/sandbox/messages; scenarios: PUT …/sandbox/scenarios)` : ' (configured)'}` : 'none (moments are recorded, not sent)'}`,
    seed
      ? `  Demo catalog     ${seed.seeded ? 'seeded' : 'already present'}: plans ${seed.plans.join(', ')}; benefits ${seed.benefits.join(', ')}; partners ${seed.partners.join(', ')}`
      : '',
    ...(seed?.voucherPools ?? []).map(
      (pool) =>
        `  Voucher pool     ${pool.benefitCode} (${pool.partnerId}): ${pool.available} codes left${pool.seeded ? ` (${pool.seeded} demo codes seeded)` : ''}`,
    ),
    seed
      ? `  Loyalty program  ${seed.loyalty.seeded ? 'seeded' : 'already present'}: tiers ${seed.loyalty.tiers.join(', ')}; rewards ${seed.loyalty.rewards.join(', ')}; member day MEMBER_DAY_18 (Gold and above, double points on the 18th)`
      : '',
    '',
    config.nodeEnv === 'production'
      ? ''
      : [
          'Try it:',
          '  npm run -s dev:credential -- member alice     # a member JWT',
          '  npm run -s dev:credential -- partner sparkwash # a partner API key (shown once)',
          '  npm run demo                                   # the README\'s "Try it" path, step by step',
          `  curl -s ${base}/graphql -H 'content-type: application/json' -d '{"query":"{ plans { code name price { amount currency } } }"}'`,
          '',
        ].join('\n'),
    'Ctrl-C stops everything, the embedded database included.',
  ];
  console.log(lines.filter((l) => l !== '').join('\n'));
}
