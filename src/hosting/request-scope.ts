import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditContext } from '../modules/audit/index.js';
import type { Principal } from '../modules/auth/index.js';
import { BenefitService, bundleLoaders } from '../modules/bundle/index.js';
import {
  entitlementLoaders,
  EntitlementService,
  EntitlementTokenService,
} from '../modules/entitlement/index.js';
import { MembershipService, type PaymentProvider } from '../modules/membership/index.js';
import { partnerLoaders, PartnerKeyService, PartnerSubgraphService } from '../modules/partner/index.js';
import { builtInSubgraphs } from '../composition/subgraph-catalog.js';
import { planLoaders, PlanService } from '../modules/plan/index.js';
import { PrivacyService } from '../modules/privacy/index.js';
import { RedemptionHistoryService, redemptionLoaders, RedemptionService } from '../modules/redemption/index.js';
import { SettlementService } from '../modules/settlement/index.js';
import type { ReconciliationReport } from '../modules/provisioning/reconciliation.js';
import type { Locale } from '../platform/localized.js';
import { voucherLoaders, VoucherService } from '../modules/voucher/index.js';
import type { EntitlementTokenSigner, EntitlementTokenVerifier, MemberPseudonymizer, StatusLists } from '../modules/token/index.js';

/** Long-lived collaborators shared by every request. */
export interface AppDependencies {
  timeZone: string;
  /** Partners with a provisioning adapter: their rights are provisioned through the outbox. */
  provisionedPartners: readonly string[];
  payments: PaymentProvider;
  signer: EntitlementTokenSigner;
  verifier: EntitlementTokenVerifier;
  pseudonyms: MemberPseudonymizer;
  /** Partners' token status lists: entries for new tokens. */
  statusLists: StatusLists;
  /** How long after a redemption its partner may void it, in seconds (`REDEMPTION_VOID_WINDOW_SECONDS`). @default 900 */
  redemptionVoidWindowSeconds?: number;
  now?: () => Date;
  /** Set once the partner adapters run in this process. */
  partnerOperations?: PartnerOperations;
  /** Tells this process's gateway that partner subgraph registrations changed. */
  onSubgraphsChanged?: () => Promise<void>;
}

/** What only a process running partner adapters can do (undefined in a standalone subgraph). */
export interface PartnerOperations {
  /** Reconciles one partner now, audited as `audit`'s actor; NOT_FOUND for a partner without provisioning. */
  reconcile(partnerId: string, audit: AuditContext): Promise<ReconciliationReport>;
}

/** One request's view: its own EntityManager fork, fresh DataLoaders and services bound to them. */
export interface RequestContext {
  requestId: string;
  partnerOperations?: PartnerOperations | undefined;
  principal: Principal;
  locale: Locale;
  loaders: Loaders;
  services: Services;
}

export type Loaders = ReturnType<typeof createLoaders>;
export type Services = ReturnType<typeof createServices>;

export function createLoaders(em: EntityManager) {
  return {
    ...bundleLoaders(em),
    ...partnerLoaders(em),
    ...planLoaders(em),
    ...entitlementLoaders(em),
    ...voucherLoaders(em),
    ...redemptionLoaders(em),
  };
}

export function createServices(em: EntityManager, deps: AppDependencies) {
  const clock = deps.now ? { now: deps.now } : {};
  const entitlements = new EntitlementService(em, { timeZone: deps.timeZone, provisionedPartners: deps.provisionedPartners, ...clock });
  return {
    plans: new PlanService(em),
    vouchers: new VoucherService(em, { ...clock }),
    partnerKeys: new PartnerKeyService(em),
    partnerSubgraphs: new PartnerSubgraphService(em, {
      builtIns: () => builtInSubgraphs(),
      ...(deps.onSubgraphsChanged ? { onChange: deps.onSubgraphsChanged } : {}),
    }),
    entitlements,
    memberships: new MembershipService(em, { payments: deps.payments, entitlements, timeZone: deps.timeZone, ...clock }),
    tokens: new EntitlementTokenService(em, { entitlements, signer: deps.signer, pseudonyms: deps.pseudonyms, statusLists: deps.statusLists }),
    redemptions: new RedemptionService(em, {
      verifier: deps.verifier,
      ...(deps.redemptionVoidWindowSeconds !== undefined ? { voidWindowSeconds: deps.redemptionVoidWindowSeconds } : {}),
      ...clock,
    }),
    redemptionHistory: new RedemptionHistoryService(em),
    benefits: new BenefitService(em),
    settlements: new SettlementService(em),
    privacy: new PrivacyService(em, { pseudonyms: deps.pseudonyms, provisionedPartners: deps.provisionedPartners, ...clock }),
    /** What partners see instead of a member id. */
    pseudonyms: deps.pseudonyms,
  };
}
