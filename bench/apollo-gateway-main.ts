// The benchmark's baseline as a process of its own: @apollo/gateway over the subgraphs in
// SUBGRAPHS ("membership=<url>,sparkwash=<url>"), composed from their `_service { sdl }` with
// the same composition our gateway uses. Serves on HOST:PORT (default 127.0.0.1:0) and prints
// `apollo gateway listening on <url>` when ready. Signs subgraph requests with SUBGRAPH_SECRET,
// as our gateway does (the subgraphs refuse unsigned ones).
import { signingFetch } from '../partners/sdk/subgraph-signature.js';
import { composeSupergraph, type SubgraphDefinition } from '../src/composition/supergraph.js';
import { startApolloGateway, type RunningApolloGateway } from './apollo-gateway.js';

const subgraphSecret = process.env.SUBGRAPH_SECRET ?? '';

async function fetchSdl(name: string, url: string): Promise<SubgraphDefinition> {
  const response = await signingFetch(subgraphSecret)(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
    signal: AbortSignal.timeout(5000),
  });
  const body = (await response.json()) as { data?: { _service?: { sdl?: string } } };
  const sdl = body.data?._service?.sdl;
  if (!sdl) throw new Error(`Subgraph ${name} at ${url} did not return its SDL`);
  return { name, url, typeDefs: sdl };
}

let gateway: RunningApolloGateway | undefined;
async function shutdown(): Promise<void> {
  await gateway?.close().catch(() => undefined);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

try {
  const configured = process.env.SUBGRAPHS;
  if (!configured) throw new Error('SUBGRAPHS is required ("membership=<url>,sparkwash=<url>")');
  if (subgraphSecret.length < 32) throw new Error('SUBGRAPH_SECRET is required (the subgraphs\' secret, at least 32 characters)');
  const subgraphs = await Promise.all(
    configured.split(',').map((entry) => {
      const [name, url] = entry.split('=').map((s) => s.trim());
      if (!name || !url) throw new Error(`SUBGRAPHS: expected name=url pairs, got "${entry}"`);
      return fetchSdl(name, url);
    }),
  );
  gateway = await startApolloGateway(composeSupergraph(subgraphs), {
    host: process.env.HOST ?? '127.0.0.1',
    port: Number(process.env.PORT ?? 0),
  }, subgraphSecret);
  console.log(`apollo gateway listening on ${gateway.url}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await gateway?.close().catch(() => undefined);
  process.exit(1);
}
