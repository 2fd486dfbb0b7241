import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requireAdmin, requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import type { RequestContext } from '../../platform/context.js';
import type { Partner } from './partner.entity.js';
import type { CreatedApiKey } from './partner-api-key.js';
import { PartnerApiKeyCreatedType } from './partner-key.types.js';
import { PartnerType } from './partner.types.js';
import type { PartnerSubgraph } from './partner-subgraph.entity.js';
import { PartnerSubgraphType } from './partner-subgraph.types.js';

@Resolver()
export class PartnerAdminResolver {
  @Query(() => [PartnerType], { description: 'Every partner of the coalition (admins and every staff role)' })
  partners(@Ctx() ctx: RequestContext): Promise<Partner[]> {
    requireStaff(ctx.principal, 'partners', [StaffRole.PRODUCT_MANAGER, StaffRole.SUPPORT, StaffRole.FINANCE, StaffRole.ANALYST]);
    return ctx.services.partnerKeys.listPartners();
  }

  @Mutation(() => PartnerApiKeyCreatedType, { description: 'Creates an API key for a partner (admins); the key is shown once' })
  createPartnerApiKey(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: RequestContext): Promise<CreatedApiKey> {
    requireAdmin(ctx.principal, 'createPartnerApiKey');
    return ctx.services.partnerKeys.create(partnerId, auditContextOf(ctx));
  }

  @Query(() => [PartnerSubgraphType], { description: "Partners' own subgraphs composed into the supergraph (admins)" })
  partnerSubgraphs(@Ctx() ctx: RequestContext): Promise<PartnerSubgraph[]> {
    requireAdmin(ctx.principal, 'partnerSubgraphs');
    return ctx.services.partnerSubgraphs.list();
  }

  @Mutation(() => PartnerSubgraphType, {
    description:
      "Registers (or replaces) a partner's own subgraph (admins). It is composed with the running supergraph first: " +
      'a subgraph that does not compose is refused with BAD_USER_INPUT listing extensions.compositionErrors, and nothing changes.',
  })
  registerPartnerSubgraph(
    @Arg('partnerId', () => ID) partnerId: string,
    @Arg('url', () => String) url: string,
    @Ctx() ctx: RequestContext,
  ): Promise<PartnerSubgraph> {
    requireAdmin(ctx.principal, 'registerPartnerSubgraph');
    return ctx.services.partnerSubgraphs.register(partnerId, url, auditContextOf(ctx));
  }

  @Mutation(() => Boolean, { description: "Removes a partner's own subgraph from the supergraph (admins)" })
  unregisterPartnerSubgraph(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    requireAdmin(ctx.principal, 'unregisterPartnerSubgraph');
    return ctx.services.partnerSubgraphs.unregister(partnerId, auditContextOf(ctx));
  }

  @Mutation(() => Boolean, { description: 'Revokes a partner API key at once (admins); true when it was active' })
  revokePartnerApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    requireAdmin(ctx.principal, 'revokePartnerApiKey');
    return ctx.services.partnerKeys.revoke(id, auditContextOf(ctx));
  }
}
