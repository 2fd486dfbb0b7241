import type { PartnerAdapter } from './adapter.js';
import { brewbar } from './brewbar/index.js';
import { skymiles } from './skymiles/index.js';
import { sparkwash } from './sparkwash/index.js';
import { streamflix } from './streamflix/index.js';

/** Every built-in partner adapter; each is one subgraph of the supergraph, named by its `id`. */
export const partnerAdapters: PartnerAdapter[] = [sparkwash, streamflix, skymiles, brewbar] as PartnerAdapter[];

export { brewbar, skymiles, sparkwash, streamflix };
export type {
  PartnerAdapter,
  PartnerClientOptions,
  PartnerProvisioning,
  PartnerRight,
  PartnerRightStatus,
  PartnerSubgraphContext,
  RunningSandbox,
  SandboxOptions,
} from './adapter.js';
export { buildPartnerSubgraphSchema, startPartnerSubgraph } from './subgraph-server.js';
export type { PartnerSubgraphOptions, RunningPartnerSubgraph } from './subgraph-server.js';
export { DateTimeISO } from './date-time-iso-scalar.js';
