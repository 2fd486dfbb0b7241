import { Arg, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { Capability } from '../../platform/capabilities.js';
import { requireCapability } from '../../platform/guards.js';
import type { EntityManager } from '@mikro-orm/postgresql';

@ObjectType('AuditTrailEntry', { description: 'One audited change: who, what, on what, the state before and after' })
export class AuditTrailEntryType {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  at!: Date;

  @Field(() => String, { description: '`admin:<id>`, `member:<id>`, `partner:<id>`, `system`, …' })
  actor!: string;

  @Field(() => String, { description: '`<thing>.<verb>`, e.g. `catalog.publish`' })
  action!: string;

  @Field(() => String)
  subject!: string;

  @Field(() => String, { nullable: true, description: 'The state before, as JSON' })
  before!: string | null;

  @Field(() => String, { nullable: true, description: 'The state after, as JSON' })
  after!: string | null;
}

const MAX = 200;

@Resolver(() => AuditTrailEntryType)
export class AuditTrailResolver {
  @Query(() => [AuditTrailEntryType], { description: 'The audit trail, newest first, optionally of one subject, one action (prefix: `catalog.`) or one actor (admins)' })
  async auditTrail(
    @Arg('subject', () => String, { nullable: true }) subject: string | null,
    @Arg('action', () => String, { nullable: true }) action: string | null,
    @Arg('actor', () => String, { nullable: true }) actor: string | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditTrailEntryType[]> {
    requireCapability(ctx.principal, 'auditTrail', Capability.AUDIT);
    new InputValidator().check(first >= 1 && first <= MAX, 'first', `must be between 1 and ${MAX}`).throwIfInvalid();
    const rows = await ctx.services.auditTrail.list({ subject: subject ?? null, action: action ?? null, actor: actor ?? null, first });
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at),
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      before: r.before == null ? null : JSON.stringify(r.before),
      after: r.after == null ? null : JSON.stringify(r.after),
    }));
  }
}

/** Reads the audit log for the console (newest first). */
export class AuditTrailService {
  constructor(private readonly em: EntityManager) {}

  list(filter: { subject: string | null; action: string | null; actor: string | null; first: number }) {
    const { subject, action, actor, first } = filter;
    return this.em.execute<{ id: string; at: Date; actor: string; action: string; subject: string; before: unknown; after: unknown }[]>(
      `select id, at, actor, action, subject, before, after from audit_log
        where (?::text is null or subject = ?)
          and (?::text is null or action = ? or (right(?, 1) = '.' and starts_with(action, ?)))
          and (?::text is null or actor = ?)
        order by at desc, chain, seq desc limit ?`,
      [subject, subject, action, action, action ?? 'x', action ?? '', actor, actor, first],
    );
  }
}
