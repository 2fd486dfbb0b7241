import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requireAdmin } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import { ReconciliationReportType } from './provisioning.types.js';
import type { ReconciliationReport } from './reconciliation.js';

@Resolver()
export class ProvisioningResolver {
  @Mutation(() => ReconciliationReportType, {
    description: "Compares a partner's view of current rights with ours now and repairs drift (admins)",
  })
  reconcilePartner(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: RequestContext): Promise<ReconciliationReport> {
    requireAdmin(ctx.principal, 'reconcilePartner');
    return ctx.services.provisioning.reconcile(partnerId, auditContextOf(ctx));
  }
}
