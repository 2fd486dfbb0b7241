// Runs one subgraph on its own, the production shape (each subgraph its own stateless
// process behind the gateway):
//   node dist/src/subgraph-main.js membership      (needs DATABASE_URL and PAYMENT_WECHATPAY_*)
//   node dist/src/subgraph-main.js sparkwash       (PARTNER_SPARKWASH_URL/_API_KEY, or its sandbox outside production)
// SUBGRAPH_PORT sets the port (default: 4001 for membership, 4011… for partners), SUBGRAPH_HOST the interface.
// With METRICS_PORT, a subgraph serves Prometheus `/metrics` there (SQL statements sent, heap, …).
// It answers only requests the gateway signed with SUBGRAPH_SECRET (the same value in every process).
// The membership subgraph runs no jobs (workers do); given the partners' APIs it serves admins'
// reconciliations too.
// A partner subgraph's process loads the partner SDK and its adapter only: the core (modules,
// ORM entities, type-graphql) is imported for the membership subgraph alone.
import 'reflect-metadata';
import { loadSubgraphSecret } from '../partners/sdk/index.js';
import { BUILT_IN_PARTNERS, loadSandboxes } from './built-in-partners.js';
import { MESSAGING_ADAPTER } from './built-in-messaging.js';
import { PAYMENT_ADAPTER } from './built-in-payments.js';
import { standaloneSubgraphPort } from './composition/subgraph-catalog.js';
import { connectPartners, startPartnerSubgraphs } from './runtime/partners.js';
import { runStandalone } from './runtime/standalone.js';

const name = process.argv[2];
const names = ['membership', ...BUILT_IN_PARTNERS.map((a) => a.id)];
if (!name || !names.includes(name)) {
  console.error(`usage: node dist/src/subgraph-main.js <${names.join('|')}>`);
  process.exit(2);
}
await runStandalone(`subgraph ${name}`, async ({ config, logger, closers }) => {
  const host = config.subgraphHost;
  const port = config.subgraphPort ?? standaloneSubgraphPort(name, BUILT_IN_PARTNERS);
  let url: string;
  const secret = await loadSubgraphSecret({ secret: config.subgraphSecret, file: config.subgraphSecretFile });
  const development = config.nodeEnv === 'development';
  if (name === 'membership') {
    if (!config.databaseUrl) throw new Error('The membership subgraph on its own needs DATABASE_URL');
    // Admins' reconciliations reach the partners configured here (no sandboxes: those belong to one process).
    const configured = BUILT_IN_PARTNERS.filter((p) => config.partnerEndpoints.has(p.id));
    const partners = await connectPartners(configured, config, closers);
    const [{ openCore }, { startMembershipSubgraph }, { connectPayments }, { connectMessaging }] = await Promise.all([
      import('./runtime/core.js'),
      import('./hosting/membership-subgraph.js'),
      import('./runtime/payments.js'),
      import('./runtime/messaging.js'),
    ]);
    // Members subscribe and pay here: the provider must be configured (PAYMENT_WECHATPAY_*).
    const payments = await connectPayments(PAYMENT_ADAPTER, config, closers);
    // Messages go out from workers; here only when configured (a test clock's advance delivers its members' moments).
    const messaging = await connectMessaging(MESSAGING_ADAPTER, config, closers);
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
    const subgraph = await startMembershipSubgraph({ ...core, host, port, development, secret, logger });
    closers.push(() => subgraph.close());
    url = subgraph.url;
  } else {
    const partner = BUILT_IN_PARTNERS.filter((p) => p.id === name);
    const connected = await connectPartners(partner, config, closers, config.nodeEnv === 'production' ? {} : { sandboxes: await loadSandboxes() });
    const [subgraph] = await startPartnerSubgraphs(partner, connected, { secret, development, logger, host, port }, closers);
    url = subgraph!.url;
  }
  if (config.metricsPortGiven) {
    const { Metrics, startMetricsServer } = await import('./edge/metrics.js');
    const metrics = await startMetricsServer(new Metrics(), { host: config.metricsHost, port: config.metricsPort });
    closers.push(() => metrics.close(), 'metrics server');
    url += ` (metrics ${metrics.url})`;
  }
  return `subgraph ${name} listening on ${url}`;
});
