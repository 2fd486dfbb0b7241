// Runs the gateway on its own, the production shape: it composes the subgraphs it is given
// (fetching each one's SDL through `_service { sdl }`) and serves the public port.
//   SUBGRAPHS="membership=http://10.0.0.5:4001/graphql,sparkwash=http://10.0.0.6:4011/graphql" \
//     node dist/src/gateway-main.js
// Default SUBGRAPHS: the built-in subgraphs at their standalone localhost ports. With
// DATABASE_URL, partners' own registered subgraphs are composed in too and the token status
// lists are served. SUBGRAPH_SECRET must be the subgraphs' own (outside production: the file
// under the shared DATA_DIR). The gateway loads no module definition, entity or sandbox.
import { loadSubgraphSecret, signingFetch } from '../partners/sdk/index.js';
import { BUILT_IN_PARTNERS } from './built-in-partners.js';
import { standaloneSubgraphPort } from './composition/subgraph-catalog.js';
import type { SubgraphDefinition } from './composition/supergraph.js';
import { loadErrorCatalog } from './modules/index.js';
import { Authenticator, IdentityTokenVerifier } from './modules/auth/index.js';
import { FileSigningKeyStore, loadPseudonymSecret, MemberPseudonymizer } from './modules/keys/index.js';
import type { AppConfig } from './platform/config.js';
import { connectOrm } from './platform/db/orm.js';
import { openDevIssuer, signingKeyStoreOptions, statusListsOf } from './runtime/keys.js';
import { openPublicPort } from './runtime/public-port.js';
import { runStandalone } from './runtime/standalone.js';

function subgraphList(config: AppConfig): Array<{ name: string; url: string }> {
  return (
    config.subgraphs ??
    ['membership', ...BUILT_IN_PARTNERS.map((p) => p.id)].map((name) => ({
      name,
      url: `http://localhost:${standaloneSubgraphPort(name, BUILT_IN_PARTNERS)}/graphql`,
    }))
  );
}

async function fetchSdl(subgraphFetch: typeof fetch, subgraph: { name: string; url: string }): Promise<SubgraphDefinition> {
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

async function reachable(subgraphFetch: typeof fetch, subgraphs: Array<{ name: string; url: string }>): Promise<string[]> {
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

await runStandalone('gateway', async ({ config, logger, closers }) => {
  // Subgraphs answer signed requests only: the SDL fetch and the readiness probe sign too.
  const subgraphFetch = signingFetch(await loadSubgraphSecret({ secret: config.subgraphSecret, file: config.subgraphSecretFile }));
  const list = subgraphList(config);
  const subgraphs = await Promise.all(list.map((s) => fetchSdl(subgraphFetch, s)));
  const keyStore = await FileSigningKeyStore.open(config.signingKeysDir, signingKeyStoreOptions(config, logger));
  // With DATABASE_URL the gateway also serves the subgraphs partners registered at run time
  // (picking up new registrations within seconds) and the token status lists: plain SQL, no entities.
  const orm = config.databaseUrl ? await connectOrm({ databaseUrl: config.databaseUrl, entities: [], poolSize: 2 }) : undefined;
  if (orm) closers.push(() => orm.close(), 'database connections');
  const port = await openPublicPort(config, logger, closers);
  await port.serve({
    subgraphs,
    errors: await loadErrorCatalog(),
    keyStore,
    identityTokens: new IdentityTokenVerifier(Authenticator.issuersFor(config.auth, (await openDevIssuer(config))?.publicKey), config.auth.audience),
    readiness: () => reachable(subgraphFetch, list),
    ...(orm
      ? {
          orm,
          statusLists: statusListsOf(config, keyStore),
          // Partners' registered subgraphs get a member assertion with that partner's pseudonym.
          pseudonyms: new MemberPseudonymizer(await loadPseudonymSecret({ secret: config.pseudonymSecret, file: config.pseudonymSecretFile })),
        }
      : {}),
  });
  return `gateway listening on ${port.url}/graphql over ${list.map((s) => `${s.name} ${s.url}`).join(', ')}`;
});
