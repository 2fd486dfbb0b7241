import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireMember, requirePartner } from '../../platform/guards.js';
import type { RequestContext } from '../../platform/context.js';
import type { ClaimedVoucher, VoucherPoolStatus, VoucherUploadReport } from './voucher.service.js';
import { VoucherPoolStatusType, VoucherType, VoucherUploadReportType } from './voucher.types.js';
import { type Entitlement, EntitlementType } from '../entitlement/index.js';

interface VoucherView extends ClaimedVoucher {
  qrPayload: string;
}

@Resolver(() => EntitlementType)
export class VoucherResolver {
  @Mutation(() => VoucherType, { description: 'Claims the next voucher code for one use of a VOUCHER entitlement (members)' })
  async claimVoucher(@Arg('entitlementId', () => ID) entitlementId: string, @Ctx() ctx: RequestContext): Promise<VoucherView> {
    const member = requireMember(ctx.principal, 'claimVoucher');
    const claimed = await ctx.services.vouchers.claim(member.memberId, entitlementId);
    return { ...claimed, qrPayload: qrPayload(claimed.partnerId, claimed.code) };
  }

  @FieldResolver(() => [VoucherType], { description: 'Voucher codes claimed for this entitlement, newest first' })
  async vouchers(@Root() entitlement: Entitlement, @Ctx() ctx: RequestContext): Promise<VoucherView[]> {
    const claimed = await ctx.loaders.vouchersByEntitlement.load(entitlement.id);
    return claimed.map((v) => ({ ...v, qrPayload: qrPayload(v.partnerId, v.code) }));
  }

  @Mutation(() => VoucherUploadReportType, {
    description: 'Adds codes to the voucher pool of one of your VOUCHER benefits (partners); duplicates are refused and reported',
  })
  uploadVoucherCodes(
    @Arg('benefitCode', () => String) benefitCode: string,
    @Arg('codes', () => [String]) codes: string[],
    @Ctx() ctx: RequestContext,
  ): Promise<VoucherUploadReport> {
    const partner = requirePartner(ctx.principal, 'uploadVoucherCodes');
    return ctx.services.vouchers.upload(partner.partnerId, benefitCode, codes);
  }

  @Query(() => VoucherPoolStatusType, { description: 'How many codes are left in your pool (partners)' })
  voucherPool(@Arg('benefitCode', () => String) benefitCode: string, @Ctx() ctx: RequestContext): Promise<VoucherPoolStatus> {
    const partner = requirePartner(ctx.principal, 'voucherPool');
    return ctx.services.vouchers.status(partner.partnerId, benefitCode);
  }
}

function qrPayload(partnerId: string, code: string): string {
  return `coalition-voucher:${partnerId}:${code}`;
}
