import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { requireAdmin } from '../auth/index.js';
import type { RequestContext } from '../server/request-scope.js';
import type { Partner } from './partner.entity.js';
import type { CreatedApiKey } from './partner-key.service.js';
import { PartnerApiKeyCreatedType } from './partner-key.types.js';
import { PartnerType } from './partner.types.js';

@Resolver()
export class PartnerAdminResolver {
  @Query(() => [PartnerType], { description: 'Every partner of the coalition (admins)' })
  partners(@Ctx() ctx: RequestContext): Promise<Partner[]> {
    requireAdmin(ctx.principal, 'partners');
    return ctx.services.partnerKeys.listPartners();
  }

  @Mutation(() => PartnerApiKeyCreatedType, { description: 'Creates an API key for a partner (admins); the key is shown once' })
  createPartnerApiKey(@Arg('partnerId', () => ID) partnerId: string, @Ctx() ctx: RequestContext): Promise<CreatedApiKey> {
    requireAdmin(ctx.principal, 'createPartnerApiKey');
    return ctx.services.partnerKeys.create(partnerId);
  }

  @Mutation(() => Boolean, { description: 'Revokes a partner API key at once (admins); true when it was active' })
  revokePartnerApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    requireAdmin(ctx.principal, 'revokePartnerApiKey');
    return ctx.services.partnerKeys.revoke(id);
  }
}
