// Runs a worker on its own, the production shape (gateways ×N, subgraphs ×N, workers ×N on
// one database): the modules' jobs (provisioning outbox delivery, partner reconciliation, …)
// and due work (renewals, retries, reminders, months of rights, activity imports), each safe
// with several workers running, and partners' signed callbacks, the payment provider's
// notifications and admins' activity imports on WORKER_PORT (`POST /partners/{id}/events`,
// `POST /payments/{provider}/notify`, `/admin/activity-imports`; route them here from the public
// address), with /healthz and /readyz; with METRICS_PORT, Prometheus `/metrics` there (SQL statements sent, …). The payment provider must be configured
// (PAYMENT_WECHATPAY_*, see payments/wechatpay/README.md), and in production the messaging
// provider too (MESSAGING_WECHAT_SUBSCRIBE_*, see messaging/wechat-subscribe/README.md: workers
// deliver members' moments; outside production a worker without it leaves them waiting).
//   DATABASE_URL=postgres://… PARTNER_SPARKWASH_URL=… PARTNER_SPARKWASH_API_KEY=… … node dist/src/worker-main.js
// Every partner must be configured (PARTNER_<ID>_URL, _API_KEY, and _WEBHOOK_SECRETS /
// _CALLBACK_SECRETS where the partner uses them): a worker never starts sandboxes, since
// subgraphs and workers must reach the same partner.
import 'reflect-metadata';
import { BUILT_IN_PARTNERS } from './built-in-partners.js';
import { MESSAGING_ADAPTER } from './built-in-messaging.js';
import { PAYMENT_ADAPTER } from './built-in-payments.js';
import { databaseReadiness } from './platform/db/orm.js';
import { openCore } from './runtime/core.js';
import { connectPartners } from './runtime/partners.js';
import { connectMessaging } from './runtime/messaging.js';
import { connectPayments } from './runtime/payments.js';
import { runStandalone } from './runtime/standalone.js';
import { startWork, startWorkerPort } from './runtime/worker.js';

await runStandalone('worker', async ({ config, logger, closers }) => {
  if (!config.databaseUrl) throw new Error('A worker on its own needs DATABASE_URL');
  const partners = await connectPartners(BUILT_IN_PARTNERS, config, closers);
  const payments = await connectPayments(PAYMENT_ADAPTER, config, closers);
  // Workers deliver members' moments: production requires the provider (MESSAGING_WECHAT_SUBSCRIBE_*).
  const messaging = await connectMessaging(MESSAGING_ADAPTER, config, closers, { required: true, logger });
  const core = await openCore(
    {
      config,
      databaseUrl: config.databaseUrl,
      logger,
      partners: BUILT_IN_PARTNERS,
      partnerProvisioning: partners.provisioning,
      payments: payments.provider,
      ...(messaging.provider ? { messaging: messaging.provider } : {}),
      seed: false,
    },
    closers,
  );
  const work = startWork(core, partners, { logger, activityImportMaxBytes: config.activityImport.maxBytes }, closers);
  const port = await startWorkerPort(config, work, () => databaseReadiness(core.orm), closers);
  if (config.metricsPortGiven) {
    const { Metrics, startMetricsServer } = await import('./edge/metrics.js');
    const metrics = await startMetricsServer(new Metrics(), { host: config.metricsHost, port: config.metricsPort });
    closers.push(() => metrics.close(), 'metrics server');
  }
  return `worker listening on ${port.url} (jobs: ${core.modules.jobs().map((j) => j.name).join(', ')})`;
});
