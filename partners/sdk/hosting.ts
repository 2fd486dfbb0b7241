// The partner SDK's subgraph hosting: serving an adapter's subgraph (and the membership
// subgraph) over HTTP with Apollo Server. Apart from index.ts so that what only provisions or
// calls partners (delivery workers, adapters loaded for their clients) does not load Apollo:
// about half a second of CPU at every process start. It imports nothing from the rest of the tree.
export { buildPartnerSubgraphSchema, startPartnerSubgraph } from './subgraph-server.js';
export type { PartnerSubgraphOptions, RunningPartnerSubgraph } from './subgraph-server.js';
export { operationLogPlugin, startSubgraphHttp } from './subgraph-http.js';
export type { RunningSubgraphHttp, SubgraphHttpOptions } from './subgraph-http.js';
