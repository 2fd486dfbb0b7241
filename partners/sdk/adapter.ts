import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { DocumentNode } from 'graphql';
import type { LocalizedText } from './localized.js';

/**
 * What every partner subgraph resolver sees, built from the headers the gateway forwards.
 */
export interface PartnerSubgraphContext {
  /** The member's `Accept-Language`, for picking localized names. */
  acceptLanguage?: string | undefined;
  /** The gateway's request id (`X-Request-Id`), passed on to the partner's API for tracing. */
  requestId?: string | undefined;
}

/** How to reach a partner's API (its real one, or the sandbox). */
export interface PartnerClientOptions {
  /** Base URL of the partner's API, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  /** The API key the partner issued to us, sent as `Authorization: Bearer …`. */
  apiKey: string;
  /** Per-call timeout in milliseconds. @default 2000 */
  timeoutMs?: number;
  /**
   * Standard Webhooks secrets (`whsec_…`) we sign the webhooks we send this partner with;
   * more than one during a rotation. Only partners that take webhooks need them.
   */
  webhookSecrets?: string[];
}

/** How to start a sandbox partner server. */
export interface SandboxOptions {
  /** Interface to bind; keep it on loopback. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Delay added before every partner API response, in milliseconds. @default 0 */
  latencyMs?: number;
  /** Share of partner API calls answered with 503, from 0 to 1. @default 0 */
  failureRate?: number;
  /** Where a partner that confirms rights asynchronously posts its signed `right.acknowledged` events. */
  acknowledgeUrl?: string;
  /** Standard Webhooks secrets it signs those events with. */
  acknowledgeSecrets?: string[];
}

/** A sandbox partner server listening on loopback. */
export interface RunningSandbox {
  /** Base URL of its API, without a trailing slash. */
  url: string;
  /** The API key it accepts (random per start). */
  apiKey: string;
  close(): Promise<void>;
  /** Test hook: while down, every partner API call is answered with 503. */
  setDown(down: boolean): void;
  /** For a partner that takes webhooks: the secrets it verifies ours with. */
  webhookSecrets?: string[];
}

/** One member's right as the partner must see it: pseudonymous, never the member's identity. */
export interface PartnerRight {
  entitlementId: string;
  /** The member's pseudonym for this partner (the entitlement token's `sub`). */
  memberPseudonym: string;
  benefitCode: string;
  validFrom: Date;
  validUntil: Date;
  /** Uses granted for the period; null means unlimited. */
  quota: number | null;
}

/** Where a right stands on the partner's side. */
export type PartnerRightStatus = 'ACTIVE' | 'PENDING' | 'REVOKED' | 'UNKNOWN';

/**
 * Provisioning on the partner's side, driven by the provisioning outbox. Every call is
 * idempotent: by `entitlementId` for its effect, and by `eventId` for the call itself (a
 * retried event has exactly one effect). Calls come side by side (each worker makes up to
 * `OUTBOX_LANES` × `OUTBOX_CONCURRENCY` at once), but never two for one entitlement at a time:
 * an entitlement's events come one after another, in the order they were queued.
 */
export interface PartnerProvisioning {
  /** Activates (or updates) the right; `PENDING` when the partner acknowledges later. */
  provision(right: PartnerRight, eventId: string): Promise<{ status: 'ACTIVE' | 'PENDING' }>;
  /** Revokes the right; revoking an unknown or already revoked right succeeds. */
  revoke(entitlementId: string, eventId: string): Promise<void>;
  /** Reads the right's status; `UNKNOWN` when the partner has never heard of it. */
  status(entitlementId: string): Promise<{ status: PartnerRightStatus; validUntil?: Date }>;
}

/**
 * One partner plugged into the graph: its subgraph, its API client, provisioning on its
 * side and a sandbox of its API. Implemented once per folder under `partners/`.
 */
export interface PartnerAdapter<Client = unknown> {
  /** Partner slug: the token's aud, this folder's name, the subgraph name. */
  readonly id: string;
  readonly name: LocalizedText;
  /** SDL of its Federation 2 subgraph (read from ./schema.graphql). */
  readonly typeDefs: DocumentNode;
  /** Resolvers for typeDefs, given a client for the partner's API. */
  resolvers(client: Client): GraphQLResolverMap<PartnerSubgraphContext>;
  /** A client for the partner's real (or sandbox) API. */
  createClient(options: PartnerClientOptions): Client;
  /** Provisioning on the partner's side (used by the outbox worker): activate/revoke a right, read its status. Idempotent by `right.entitlementId`. */
  provisioning(client: Client): PartnerProvisioning;
}

/**
 * A partner's sandbox: a real HTTP server on loopback playing the partner's API, for the demo
 * and the tests. Development and tests only: it lives in the partner's `sandbox-server.ts`,
 * which production code never imports.
 */
export interface PartnerSandbox {
  /** The adapter's id. */
  readonly id: string;
  start(options?: SandboxOptions): Promise<RunningSandbox>;
}
