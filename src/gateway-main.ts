// Runs the gateway on its own, the production shape: it composes the subgraphs it is given
// (fetching each one's SDL through `_service { sdl }`) and serves the public port.
//   SUBGRAPHS="membership=http://10.0.0.5:4001/graphql,sparkwash=http://10.0.0.6:4011/graphql" \
//     node dist/src/gateway-main.js
// Default SUBGRAPHS: the built-in subgraphs at their standalone localhost ports. With
// DATABASE_URL, partners' own registered subgraphs are composed in too. SUBGRAPH_SECRET must
// be the subgraphs' own (outside production: the file under the shared DATA_DIR).
import 'reflect-metadata';
import { connectOrm } from './platform/db/orm.js';
import { Authenticator, IdentityTokenVerifier } from './modules/auth/index.js';
import { Closers, openDevIssuer, openPublicPort, signingKeyStoreOptions, statusListsOf, subgraphSecretOf } from './runtime/app.js';
import { signingFetch } from './hosting/subgraph-signature.js';
import { builtInSubgraphs } from './composition/subgraph-catalog.js';
import type { SubgraphDefinition } from './composition/supergraph.js';
import { loadConfig } from './platform/config.js';
import { createLogger } from './platform/logger.js';
import { FileSigningKeyStore } from './modules/token/index.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const closers = new Closers(logger);
// Subgraphs answer signed requests only: the SDL fetch and the readiness probe sign too.
const subgraphFetch = signingFetch(await subgraphSecretOf(config));

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'shutting down');
  await closers.closeAll();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

async function subgraphList(): Promise<Array<{ name: string; url: string }>> {
  const configured = process.env.SUBGRAPHS;
  if (!configured) return (await builtInSubgraphs()).map(({ name, url }) => ({ name, url }));
  return configured.split(',').map((entry) => {
    const [name, url] = entry.split('=').map((s) => s.trim());
    if (!name || !url) throw new Error(`SUBGRAPHS: expected name=url pairs, got "${entry}"`);
    return { name, url };
  });
}

async function fetchSdl(subgraph: { name: string; url: string }): Promise<SubgraphDefinition> {
  const response = await subgraphFetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
    signal: AbortSignal.timeout(5000),
  });
  const body = (await response.json()) as { data?: { _service?: { sdl?: string } } };
  const sdl = body.data?._service?.sdl;
  if (!sdl) throw new Error(`Subgraph ${subgraph.name} at ${subgraph.url} did not return its SDL`);
  return { ...subgraph, typeDefs: sdl };
}

async function reachable(subgraphs: Array<{ name: string; url: string }>): Promise<string[]> {
  const problems = await Promise.all(
    subgraphs.map(async (s) => {
      try {
        const r = await subgraphFetch(s.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{ __typename }"}',
          signal: AbortSignal.timeout(2000),
        });
        return r.ok ? null : `subgraph ${s.name} answered HTTP ${r.status}`;
      } catch {
        return `subgraph ${s.name} unreachable`;
      }
    }),
  );
  return problems.filter((p): p is string => p !== null);
}

try {
  const list = await subgraphList();
  const subgraphs = await Promise.all(list.map(fetchSdl));
  const keyStore = await FileSigningKeyStore.open(config.signingKeysDir, signingKeyStoreOptions(config, logger));
  // With DATABASE_URL the gateway also serves the subgraphs partners registered at run
  // time (picking up new registrations within seconds) and the token status lists.
  const orm = config.databaseUrl ? await connectOrm({ databaseUrl: config.databaseUrl, poolSize: 2 }) : undefined;
  if (orm) closers.push(() => orm.close(), 'database connections');
  const port = await openPublicPort(
    {
      config,
      logger,
      keyStore,
      readiness: () => reachable(list),
      identityTokens: new IdentityTokenVerifier(Authenticator.issuersFor(config.auth, (await openDevIssuer(config))?.publicKey), config.auth.audience),
      ...(orm ? { statusLists: { lists: statusListsOf(config, keyStore), orm } } : {}),
    },
    closers,
  );
  await port.serve(subgraphs, orm);
  const url = port.url;
  console.log(`gateway listening on ${url}/graphql over ${list.map((s) => `${s.name} ${s.url}`).join(', ')}`);
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  console.error(error instanceof Error ? error.message : error);
  await closers.closeAll();
  process.exit(1);
}
