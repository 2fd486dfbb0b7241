import { Ctx, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { capabilitiesOf } from '../../platform/guards.js';
import { STAFF_ROLE_NAMES } from '../../platform/principal.js';
import { ViewerKind, ViewerType } from './viewer.types.js';

@Resolver(() => ViewerType)
export class ViewerResolver {
  @Query(() => ViewerType, {
    description:
      'Who the caller is and what the console may offer them (anyone; no credential is ANONYMOUS, a refused one UNAUTHENTICATED)',
  })
  async viewer(@Ctx() ctx: RequestContext): Promise<ViewerType> {
    const { principal } = ctx;
    // This field is about the credential: one that was sent and refused is reported, not taken for none.
    if (principal.kind === 'anonymous' && principal.rejected) throw principal.rejected;
    const can = capabilitiesOf(principal);
    switch (principal.kind) {
      case 'member':
        return { kind: ViewerKind.MEMBER, staffRoles: principal.staffRoles.map((role) => STAFF_ROLE_NAMES[role]), memberId: principal.memberId, partner: null, channel: null, can };
      case 'partner':
        return { kind: ViewerKind.PARTNER, staffRoles: [], memberId: null, partner: (await ctx.loaders.partnerById.load(principal.partnerId)) ?? null, channel: null, can };
      case 'channel':
        return { kind: ViewerKind.CHANNEL, staffRoles: [], memberId: null, partner: null, channel: principal.channel, can };
      case 'anonymous':
        return { kind: ViewerKind.ANONYMOUS, staffRoles: [], memberId: null, partner: null, channel: null, can };
    }
  }
}
