import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requireAdmin } from '../auth/index.js';
import type { RequestContext } from '../../hosting/request-scope.js';
import { AppError } from '../../platform/errors.js';
import { ReconciliationReportType } from './provisioning.types.js';
import type { ReconciliationReport } from './reconciliation.js';

@Resolver()
export class ProvisioningResolver {
  @Mutation(() => ReconciliationReportType, {
    description: "Compares a partner's view of current rights with ours now and repairs drift (admins)",
  })
  reconcilePartner(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: RequestContext): Promise<ReconciliationReport> {
    requireAdmin(ctx.principal, 'reconcilePartner');
    const reconcile = ctx.partnerOperations?.reconcile;
    if (!reconcile) throw AppError.notFound('Partner', partnerId);
    return reconcile(partnerId, auditContextOf(ctx));
  }
}
