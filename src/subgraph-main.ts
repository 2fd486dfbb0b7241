// Runs one subgraph on its own, the production shape (each subgraph its own stateless
// process behind the gateway):
//   node dist/src/subgraph-main.js membership      (needs DATABASE_URL)
//   node dist/src/subgraph-main.js sparkwash       (PARTNER_SPARKWASH_URL/_API_KEY, or its sandbox outside production)
// SUBGRAPH_PORT sets the port (default: 4001 for membership, 4011… for partners), SUBGRAPH_HOST the interface.
// It answers only requests the gateway signed with SUBGRAPH_SECRET (the same value in every process).
import 'reflect-metadata';
import { partnerAdapters } from '../partners/index.js';
import { Closers, openCore, startPartnerSubgraphs, subgraphSecretOf } from './runtime/app.js';
import { startMembershipSubgraph } from './hosting/membership-subgraph.js';
import { FIRST_PARTNER_SUBGRAPH_PORT, MEMBERSHIP_SUBGRAPH_PORT } from './composition/subgraph-catalog.js';
import { loadConfig } from './platform/config.js';
import { createLogger } from './platform/logger.js';

const name = process.argv[2];
const names = ['membership', ...partnerAdapters.map((a) => a.id)];
if (!name || !names.includes(name)) {
  console.error(`usage: node dist/src/subgraph-main.js <${names.join('|')}>`);
  process.exit(2);
}
const config = loadConfig();
const logger = createLogger(config.logLevel);
const closers = new Closers(logger);
const host = process.env.SUBGRAPH_HOST ?? '127.0.0.1';
const partnerIndex = partnerAdapters.findIndex((a) => a.id === name);
const port = Number(process.env.SUBGRAPH_PORT ?? (name === 'membership' ? MEMBERSHIP_SUBGRAPH_PORT : FIRST_PARTNER_SUBGRAPH_PORT + partnerIndex));

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal, subgraph: name }, 'shutting down');
  await closers.closeAll();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  let url: string;
  if (name === 'membership') {
    if (!config.databaseUrl) throw new Error('The membership subgraph on its own needs DATABASE_URL');
    const core = await openCore({ config, databaseUrl: config.databaseUrl, logger, seed: false }, closers);
    const subgraph = await startMembershipSubgraph({
      orm: core.orm,
      authenticator: core.authenticator,
      deps: core.deps,
      host,
      port,
      development: config.nodeEnv === 'development',
      secret: await subgraphSecretOf(config),
      logger,
    });
    closers.push(() => subgraph.close());
    url = subgraph.url;
  } else {
    const partners = await startPartnerSubgraphs(config, closers, { only: name, port, logger });
    url = partners.subgraphs[0]!.url;
  }
  // One line on stdout, so a supervisor (or the benchmark) can read where it listens.
  console.log(`subgraph ${name} listening on ${url}`);
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  console.error(error instanceof Error ? error.message : error);
  await closers.closeAll();
  process.exit(1);
}
