import { AuditEntry } from './audit/audit-entry.entity.js';
import { Benefit, Bundle, BundleBenefit, BundleVersion } from './bundle/bundle.entity.js';
import { Entitlement } from './entitlement/entitlement.entity.js';
import { Member } from './member/member.entity.js';
import { Membership, Payment } from './membership/membership.entity.js';
import { Partner, PartnerApiKey } from './partner/partner.entity.js';
import { PartnerSubgraph } from './partner/partner-subgraph.entity.js';
import { Plan } from './plan/plan.entity.js';
import { InboundPartnerEvent, OutboxEvent } from './provisioning/outbox-event.entity.js';
import { Redemption } from './redemption/redemption.entity.js';
import { RedemptionVoid } from './redemption/redemption-void.entity.js';
import { IssuedToken } from './token/issued-token.entity.js';
import { StatusList } from './token/status-list.entity.js';
import { VoucherCode } from './voucher/voucher.entity.js';

/** Every entity the ORM maps, listed explicitly (no folder discovery at run time). */
export const entities = [
  Member,
  Partner,
  PartnerApiKey,
  Benefit,
  Bundle,
  BundleVersion,
  BundleBenefit,
  Plan,
  Membership,
  Payment,
  Entitlement,
  Redemption,
  RedemptionVoid,
  IssuedToken,
  StatusList,
  OutboxEvent,
  InboundPartnerEvent,
  PartnerSubgraph,
  VoucherCode,
  AuditEntry,
];
