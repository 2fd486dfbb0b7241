import { createStreamflixClient, STREAMFLIX_ID, type StreamflixClient } from './client.js';
import { streamflixProvisioning } from './provisioning.js';
import { streamflixResolvers } from './resolvers.js';
import { loadPartnerTypeDefs, type PartnerAdapter } from '../sdk/index.js';

/**
 * Streamflix, a streaming service: the ACCESS benefit `STREAMING_VIP` (a VIP for the
 * membership year). Provisioning is by signed Standard Webhooks; a right becomes ACTIVE
 * once the member links their Streamflix account. Its subgraph adds
 * `Entitlement.streamingAccount` (status, active until, activation link).
 *
 * `createClient` reads `webhookSecrets` from its options, besides the API key: the secrets
 * the coalition signs its webhooks with. Its sandbox (`streamflixSandbox`) resolves to a
 * `RunningStreamflixSandbox`, which exposes the secrets it verifies against.
 */
export const streamflix: PartnerAdapter<StreamflixClient> = {
  id: STREAMFLIX_ID,
  name: { en: 'Streamflix', 'zh-CN': 'Streamflix 流光影视' },
  typeDefs: loadPartnerTypeDefs(import.meta.url),
  resolvers: (client) => streamflixResolvers(client),
  createClient: (options) => createStreamflixClient(options),
  provisioning: (client) => streamflixProvisioning(client),
};

export { createStreamflixClient, STREAMFLIX_ID, STREAMFLIX_WEBHOOK_PATH, StreamflixClient } from './client.js';
export type {
  ActivateRightRequest,
  RightActivateEvent,
  RightRevokeEvent,
  StreamflixCallOptions,
  StreamflixClientOptions,
  StreamflixEvent,
  StreamflixRightRecord,
  StreamflixRightStatus,
  StreamflixWebhookReceipt,
} from './client.js';
export { streamflixProvisioning } from './provisioning.js';
