// The partner SDK: everything a partner adapter (partners/<id>/) builds on, and the port the
// coalition's core drives. It imports nothing from the rest of the tree; adapters import
// only this file. Hosting a subgraph (Apollo Server) is ./hosting.ts, which the processes
// that serve subgraphs import: loading this file loads no server.
export type {
  PartnerAdapter,
  PartnerClientOptions,
  PartnerProvisioning,
  PartnerRight,
  PartnerRightStatus,
  PartnerSandbox,
  PartnerSubgraphContext,
  RunningSandbox,
  SandboxOptions,
} from './adapter.js';
export { DateTimeISO } from './date-time-iso-scalar.js';
export { CodedError, formatSubgraphError, InputValidator, isInternalError, PARTNER_ERROR_CODES } from './errors.js';
export type { CodedErrorClass } from './errors.js';
export type { InputProblem } from './errors.js';
export { DEFAULT_LOCALE, localize, negotiateLocale, SUPPORTED_LOCALES } from './localized.js';
export type { Locale, LocalizedText } from './localized.js';
export type { SubgraphLogger } from './logger.js';
export { PartnerHttp, PartnerRightsResource, rightsResourceProvisioning } from './partner-http.js';
export type { PartnerAnswer, PartnerCallOptions, PartnerCircuitState, PartnerHttpClientOptions, PartnerRightGrant, PartnerRightRecord } from './partner-http.js';
export { loadSubgraphSecret, signingFetch, signSubgraphRequest, SUBGRAPH_SIGNATURE_HEADER, verifySubgraphRequest } from './subgraph-signature.js';
export { loadPartnerTypeDefs } from './type-defs-loader.js';
export { assertWebhookSecrets, generateWebhookSecret, signWebhook, verifyWebhook, WebhookVerificationError } from './webhook-signature.js';
export type { WebhookRequestHeaders, WebhookVerificationReason } from './webhook-signature.js';
