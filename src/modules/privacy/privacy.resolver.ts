import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability, requireMember } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import type { DataExportView } from './data-export.js';
import type { ErasureView } from './privacy.service.js';
import { DataExportType, MemberErasureType } from './privacy.types.js';

@Resolver()
export class PrivacyResolver {
  @Query(() => DataExportType, {
    description: 'Everything held about the calling member, as one JSON document (each export is audited)',
  })
  myDataExport(@Ctx() ctx: RequestContext): Promise<DataExportView> {
    const member = requireMember(ctx.principal, 'myDataExport');
    return ctx.services.privacy.exportData(member.memberId, auditContextOf(ctx));
  }

  @Query(() => DataExportType, {
    description: "A member's data export for a data-subject request handled by support (admins, support; audited)",
  })
  memberDataExport(@Arg('memberId', () => ID) memberId: string, @Ctx() ctx: RequestContext): Promise<DataExportView> {
    requireCapability(ctx.principal, 'memberDataExport', Capability.EXPORT);
    return ctx.services.privacy.exportData(memberId, auditContextOf(ctx));
  }

  @Mutation(() => MemberErasureType, {
    description:
      'Deletes the calling member\'s account: rights revoked, membership ended without refund, personal data erased; `confirm` must be "DELETE". The same sign-in later starts a new, empty member.',
  })
  deleteMyAccount(@Arg('confirm', () => String) confirm: string, @Ctx() ctx: RequestContext): Promise<ErasureView> {
    const member = requireMember(ctx.principal, 'deleteMyAccount');
    return ctx.services.privacy.deleteOwnAccount(member.memberId, confirm, auditContextOf(ctx));
  }

  @Mutation(() => MemberErasureType, {
    description: 'Erases a member for a data-subject request (admins, support; audited with the reason, e.g. a ticket reference)',
  })
  eraseMember(
    @Arg('memberId', () => ID) memberId: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: RequestContext,
  ): Promise<ErasureView> {
    requireCapability(ctx.principal, 'eraseMember', Capability.ERASE);
    return ctx.services.privacy.erase(memberId, reason, auditContextOf(ctx));
  }
}
