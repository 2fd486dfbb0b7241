import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { localize } from '../../platform/localized.js';
import type { Partner } from './partner.entity.js';
import { PartnerType } from './partner.types.js';

@Resolver(() => PartnerType)
export class PartnerResolver {
  @FieldResolver(() => String)
  name(@Root() partner: Partner, @Ctx() ctx: RequestContext): string {
    return localize(partner.name, ctx.locale);
  }
}
