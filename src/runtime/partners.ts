import { print } from 'graphql';
import { generateWebhookSecret, type PartnerAdapter, type PartnerProvisioning, type PartnerSandbox, type RunningSandbox } from '../../partners/sdk/index.js';
import { startPartnerSubgraph } from '../../partners/sdk/hosting.js';
import type { SubgraphDefinition } from '../composition/supergraph.js';
import type { AppConfig } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { Closers } from './closers.js';

/** Each partner's API client and what the core drives through it, in this process. */
export interface ConnectedPartners {
  /** The API client of each partner, by id (what its subgraph's resolvers use). */
  clients: ReadonlyMap<string, unknown>;
  /** Provisioning on each partner's side, by id (what the outbox delivers to). */
  provisioning: ReadonlyMap<string, PartnerProvisioning>;
  /** Secrets each partner signs the events it sends us with, by id. */
  callbackSecrets: ReadonlyMap<string, string[]>;
  /** Sandboxes this process started (development and tests), by id. */
  sandboxes: ReadonlyMap<string, RunningSandbox>;
}

export interface ConnectPartnersOptions {
  /** Where sandboxes post their signed acknowledgements (the process serving `/partners/{id}/events`). */
  callbackBaseUrl?: string;
  /**
   * The partners' sandboxes (development and tests only, see loadSandboxes), started for every
   * partner left unconfigured; production never gets any and needs `PARTNER_<ID>_URL`.
   */
  sandboxes?: ReadonlyMap<string, PartnerSandbox>;
}

/**
 * Connects to each partner's API: the configured one (`PARTNER_<ID>_URL` and friends), else,
 * outside production, its sandbox started on loopback and wired to call us back.
 */
export async function connectPartners(
  partners: readonly PartnerAdapter[],
  config: AppConfig,
  closers: Closers,
  options: ConnectPartnersOptions = {},
): Promise<ConnectedPartners> {
  const clients = new Map<string, unknown>();
  const provisioning = new Map<string, PartnerProvisioning>();
  const callbackSecrets = new Map<string, string[]>();
  const sandboxes = new Map<string, RunningSandbox>();
  for (const adapter of partners) {
    const endpoint = config.partnerEndpoints.get(adapter.id) ?? (await startSandbox(adapter.id, config, closers, options, sandboxes));
    if (endpoint.callbackSecrets.length) callbackSecrets.set(adapter.id, endpoint.callbackSecrets);
    const client = adapter.createClient({
      baseUrl: endpoint.url,
      apiKey: endpoint.apiKey,
      ...(endpoint.webhookSecrets.length ? { webhookSecrets: endpoint.webhookSecrets } : {}),
    });
    clients.set(adapter.id, client);
    provisioning.set(adapter.id, adapter.provisioning(client));
  }
  return { clients, provisioning, callbackSecrets, sandboxes };
}

async function startSandbox(
  id: string,
  config: AppConfig,
  closers: Closers,
  options: ConnectPartnersOptions,
  started: Map<string, RunningSandbox>,
): Promise<{ url: string; apiKey: string; webhookSecrets: string[]; callbackSecrets: string[] }> {
  const prefix = `PARTNER_${id.toUpperCase().replace(/-/g, '_')}`;
  if (config.nodeEnv === 'production') throw new Error(`Set ${prefix}_URL and ${prefix}_API_KEY: production never starts sandbox partners`);
  const sandbox = options.sandboxes?.get(id);
  if (!sandbox) throw new Error(`Set ${prefix}_URL and ${prefix}_API_KEY (no sandbox of ${id} is loaded in this process)`);
  const callbackSecrets = options.callbackBaseUrl ? [generateWebhookSecret()] : [];
  const running = await sandbox.start({
    host: '127.0.0.1',
    port: 0,
    ...(options.callbackBaseUrl ? { acknowledgeUrl: `${options.callbackBaseUrl}/partners/${id}/events`, acknowledgeSecrets: callbackSecrets } : {}),
  });
  closers.push(() => running.close(), `${id} sandbox`);
  started.set(id, running);
  return { url: running.url, apiKey: running.apiKey, webhookSecrets: running.webhookSecrets ?? [], callbackSecrets };
}

/** Serves one subgraph per partner (or only `only`) on loopback, its resolvers on the partner's client. */
export async function startPartnerSubgraphs(
  partners: readonly PartnerAdapter[],
  connected: ConnectedPartners,
  options: { secret: string; development: boolean; logger?: Logger; only?: string; host?: string; port?: number },
  closers: Closers,
): Promise<SubgraphDefinition[]> {
  const subgraphs: SubgraphDefinition[] = [];
  for (const adapter of partners) {
    if (options.only && adapter.id !== options.only) continue;
    const subgraph = await startPartnerSubgraph(adapter, {
      client: connected.clients.get(adapter.id),
      secret: options.secret,
      ...(options.logger ? { logger: options.logger } : {}),
      exposeStackTraces: options.development,
      ...(options.host !== undefined ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    closers.push(() => subgraph.close(), `${adapter.id} subgraph`);
    subgraphs.push({ name: adapter.id, url: subgraph.url, typeDefs: print(adapter.typeDefs) });
  }
  return subgraphs;
}
