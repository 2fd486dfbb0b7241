import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { requireStaff } from '../../platform/guards.js';
import { StaffRole } from '../../platform/principal.js';
import { ActivityImportLineOutcome } from './activity-import.entity.js';
import type { ActivityImportLinePage, ActivityImportView } from './activity-import.service.js';
import { ActivityImportLineConnectionType, ActivityImportType } from './activity-import.types.js';

@Resolver(() => ActivityImportType)
export class ActivityImportResolver {
  @Query(() => ActivityImportType, { nullable: true, description: 'A bulk import of activities and its progress (admins, analysts); NOT_FOUND for an unknown id' })
  activityImport(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ActivityImportView> {
    requireStaff(ctx.principal, 'activityImport', [StaffRole.ANALYST]);
    return ctx.services.activityImports.get(id);
  }

  @Query(() => [ActivityImportType], { description: 'The most recent bulk imports of activities, newest first (admins, analysts)' })
  activityImports(@Arg('first', () => Int, { defaultValue: 20, description: 'At most 100' }) first: number, @Ctx() ctx: RequestContext): Promise<ActivityImportView[]> {
    requireStaff(ctx.principal, 'activityImports', [StaffRole.ANALYST]);
    return ctx.services.activityImports.recent(first);
  }

  @FieldResolver(() => ActivityImportLineConnectionType, { description: "The import's per-line report, in file order; `outcome` keeps the lines of one outcome" })
  lines(
    @Root() activityImport: ActivityImportView,
    @Arg('outcome', () => ActivityImportLineOutcome, { nullable: true }) outcome: ActivityImportLineOutcome | null,
    @Arg('first', () => Int, { defaultValue: 50, description: 'Page size, at most 500' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page' }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<ActivityImportLinePage> {
    return ctx.services.activityImports.lines(activityImport.id, { outcome, first, after });
  }
}
