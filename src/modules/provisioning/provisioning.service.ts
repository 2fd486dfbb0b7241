import type { EntityManager } from '@mikro-orm/postgresql';
import type { PartnerProvisioning } from '../../../partners/sdk/index.js';
import { AppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { AuditContext } from '../audit/index.js';
import { reconcilePartner, type ReconciliationReport } from './reconciliation.js';

export interface ProvisioningServiceOptions {
  /** Provisioning on each partner's side, by partner id; absent where no partner is configured. */
  targets: ReadonlyMap<string, PartnerProvisioning> | undefined;
  logger: Logger;
  now?: () => Date;
}

/** What admins ask of partners' provisioning: a reconciliation now. */
export class ProvisioningService {
  constructor(
    private readonly em: EntityManager,
    private readonly options: ProvisioningServiceOptions,
  ) {}

  /** Reconciles one partner now, audited as `audit`'s actor; NOT_FOUND for a partner without provisioning here. */
  async reconcile(partnerId: string, audit: AuditContext): Promise<ReconciliationReport> {
    const target = this.options.targets?.get(partnerId);
    if (!target) throw AppError.notFound('Partner', partnerId);
    const report = await reconcilePartner(() => this.em.fork(), partnerId, target, {
      audit,
      ...(this.options.now ? { now: this.options.now() } : {}),
    });
    if (report.fixed.length || report.unreadable) this.options.logger.warn({ report }, 'reconciliation repaired drift');
    return report;
  }
}
