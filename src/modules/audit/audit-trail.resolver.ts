import { Arg, Ctx, Field, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../platform/context.js';
import { InputValidator } from '../../platform/errors.js';
import { Capability } from '../../platform/capabilities.js';
import { PageInfoType } from '../../platform/graphql-types.js';
import { requireCapability } from '../../platform/guards.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import { decodeAuditCursor, encodeAuditCursor, type AuditPosition } from './audit-cursor.js';

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

@ObjectType('AuditTrailEdge')
export class AuditTrailEdgeType {
  @Field(() => String, { description: 'Opaque; pass it as `after` to continue after this entry' })
  cursor!: string;

  @Field(() => AuditTrailEntryType)
  node!: AuditTrailEntryType;
}

@ObjectType('AuditTrailConnection', { description: 'A page of the audit trail, newest first' })
export class AuditTrailConnectionType {
  @Field(() => [AuditTrailEdgeType])
  edges!: AuditTrailEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

const MAX = 200;

/** Which entries of the trail: each filter left null matches every entry. */
interface AuditTrailFilter {
  subject: string | null;
  /** One action, or a prefix ending in `.` (`catalog.`). */
  action: string | null;
  actor: string | null;
}

@Resolver(() => AuditTrailEntryType)
export class AuditTrailResolver {
  @Query(() => [AuditTrailEntryType], {
    description: 'The audit trail, newest first, optionally of one subject, one action (prefix: `catalog.`) or one actor (admins). Its pages: auditTrailPage',
  })
  async auditTrail(
    @Arg('subject', () => String, { nullable: true }) subject: string | null,
    @Arg('action', () => String, { nullable: true }) action: string | null,
    @Arg('actor', () => String, { nullable: true }) actor: string | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditTrailEntryType[]> {
    requireCapability(ctx.principal, 'auditTrail', Capability.AUDIT);
    new InputValidator().check(first >= 1 && first <= MAX, 'first', `must be between 1 and ${MAX}`).throwIfInvalid();
    const page = await ctx.services.auditTrail.page({ subject: subject ?? null, action: action ?? null, actor: actor ?? null }, first, null);
    return page.edges.map((e) => e.node);
  }

  @Query(() => AuditTrailConnectionType, {
    description: 'The audit trail, newest first, keyset-paged (pass a page\'s endCursor as `after`), with the filters of auditTrail (admins)',
  })
  async auditTrailPage(
    @Arg('subject', () => String, { nullable: true }) subject: string | null,
    @Arg('action', () => String, { nullable: true, description: 'One action, or a prefix ending in `.` (`catalog.`)' }) action: string | null,
    @Arg('actor', () => String, { nullable: true }) actor: string | null,
    @Arg('first', () => Int, { defaultValue: 50, description: `Page size, 1 to ${MAX}` }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page' }) after: string | null,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditTrailConnectionType> {
    requireCapability(ctx.principal, 'auditTrailPage', Capability.AUDIT);
    const validator = new InputValidator().check(Number.isInteger(first) && first >= 1 && first <= MAX, 'first', `must be between 1 and ${MAX}`);
    let position: AuditPosition | null = null;
    try {
      position = after != null ? decodeAuditCursor(after) : null;
    } catch {
      validator.check(false, 'after', 'is not a cursor of this connection');
    }
    validator.throwIfInvalid();
    return ctx.services.auditTrail.page({ subject: subject ?? null, action: action ?? null, actor: actor ?? null }, first, position);
  }
}

interface AuditTrailRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
  chain: number;
  seq: string;
  at_micros: string;
}

/** Reads the audit log for the console (newest first). */
export class AuditTrailService {
  constructor(private readonly em: EntityManager) {}

  /**
   * One page of the entries `filter` keeps, newest first, after `position` (null: from the
   * newest). Keyset on (at, chain, seq), the trail's order: a page never repeats or skips an
   * entry that existed when the first page was read, whatever is appended meanwhile.
   */
  async page(filter: AuditTrailFilter, first: number, position: AuditPosition | null): Promise<AuditTrailConnectionType> {
    const { subject, action, actor } = filter;
    const params: unknown[] = [subject, subject, action, action, action ?? 'x', action ?? '', actor, actor];
    let after = '';
    if (position) {
      // Descending on at and seq, ascending on chain: one row comparison with the chain negated.
      after = `and (at, -chain, seq) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', -(?::int), ?::bigint)`;
      params.push(position.atMicros, position.chain, position.seq);
    }
    params.push(first + 1);
    const rows = await this.em.execute<AuditTrailRow[]>(
      `select id, at, actor, action, subject, before, after, chain, seq::text as seq, (extract(epoch from at) * 1000000)::bigint::text as at_micros from audit_log
        where (?::text is null or subject = ?)
          and (?::text is null or action = ? or (right(?, 1) = '.' and starts_with(action, ?)))
          and (?::text is null or actor = ?)
          ${after}
        order by at desc, chain, seq desc limit ?`,
      params,
    );
    const edges = rows.slice(0, first).map((r) => ({
      cursor: encodeAuditCursor({ atMicros: r.at_micros, chain: Number(r.chain), seq: r.seq }),
      node: {
        id: r.id,
        at: new Date(r.at),
        actor: r.actor,
        action: r.action,
        subject: r.subject,
        before: r.before == null ? null : JSON.stringify(r.before),
        after: r.after == null ? null : JSON.stringify(r.after),
      },
    }));
    return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}
