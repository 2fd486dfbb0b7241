import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { auditContextOf } from '../audit/index.js';
import { requireAdmin, requirePartner, requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import type { RequestContext } from '../../platform/context.js';
import type { Partner } from './partner.entity.js';
import type { CreatedApiKey } from './partner-api-key.js';
import { DEFAULT_ROTATION_OVERLAP_SECONDS, MAX_PARTNER_API_KEYS, MAX_ROTATION_OVERLAP_SECONDS, type PartnerApiKeyRotation, type PartnerApiKeyView } from './partner-key.service.js';
import { PartnerApiKeyCreatedType, PartnerApiKeyRotationType, PartnerApiKeyType } from './partner-key.types.js';
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

/** A partner's own API keys, managed signed in with one of them (the partner portal). */
@Resolver()
export class PartnerOwnKeyResolver {
  @Query(() => [PartnerApiKeyType], { description: "The calling partner's API keys, newest first, revoked and expired ones included (partners only)" })
  myPartnerApiKeys(@Ctx() ctx: RequestContext): Promise<PartnerApiKeyView[]> {
    const partner = requirePartner(ctx.principal, 'myPartnerApiKeys');
    return ctx.services.partnerKeys.listOwn(partner.partnerId, partner.apiKeyId);
  }

  @Mutation(() => PartnerApiKeyCreatedType, {
    description: `A new API key of the calling partner's own, shown once (partners only); API_KEY_LIMIT_REACHED at ${MAX_PARTNER_API_KEYS} keys in service`,
  })
  createMyPartnerApiKey(
    @Arg('label', () => String, { nullable: true, description: 'A name of your own for it (at most 100 characters)' }) label: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<CreatedApiKey> {
    const partner = requirePartner(ctx.principal, 'createMyPartnerApiKey');
    return ctx.services.partnerKeys.createOwn(partner.partnerId, label, auditContextOf(ctx));
  }

  @Mutation(() => PartnerApiKeyRotationType, {
    description:
      "Replaces one of the calling partner's keys (partners only): a successor is created and shown once, the old key keeps working for overlapSeconds " +
      '(0: it stops now) so tills move over without downtime. API_KEY_NOT_ROTATABLE for a revoked, expired or already rotated key.',
  })
  rotateMyPartnerApiKey(
    @Arg('id', () => ID) id: string,
    @Arg('overlapSeconds', () => Int, {
      defaultValue: DEFAULT_ROTATION_OVERLAP_SECONDS,
      description: `How long the old key keeps working, 0 to ${MAX_ROTATION_OVERLAP_SECONDS} (7 days)`,
    })
    overlapSeconds: number,
    @Arg('label', () => String, { nullable: true, description: "The successor's name; the old key's when not given" }) label: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<PartnerApiKeyRotation> {
    const partner = requirePartner(ctx.principal, 'rotateMyPartnerApiKey');
    return ctx.services.partnerKeys.rotateOwn(partner.partnerId, id, { overlapSeconds, label, currentKeyId: partner.apiKeyId }, auditContextOf(ctx));
  }

  @Mutation(() => PartnerApiKeyType, {
    description:
      "Revokes one of the calling partner's keys at once, a rotated one too (partners only); LAST_ACTIVE_API_KEY when it is the last key in service",
  })
  revokeMyPartnerApiKey(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<PartnerApiKeyView> {
    const partner = requirePartner(ctx.principal, 'revokeMyPartnerApiKey');
    return ctx.services.partnerKeys.revokeOwn(partner.partnerId, id, partner.apiKeyId, auditContextOf(ctx));
  }
}
