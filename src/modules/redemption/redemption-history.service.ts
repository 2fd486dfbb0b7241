import type { EntityManager } from '@mikro-orm/postgresql';
import { InputValidator } from '../../platform/errors.js';
import { decodeRedemptionCursor, encodeRedemptionCursor, type RedemptionPosition } from './redemption-cursor.js';
import { Redemption } from './redemption.entity.js';

/** Filters and position of one page of a partner's redemptions. */
export interface RedemptionPageArgs {
  /** Page size, 0 to {@link MAX_PAGE_SIZE}. */
  first: number;
  /** Cursor of the last edge already seen; the page starts after it. */
  after?: string | null | undefined;
  /** Redeemed at or after this instant (inclusive). */
  from?: Date | null | undefined;
  /** Redeemed before this instant (exclusive). */
  to?: Date | null | undefined;
  /** Only redemptions of this benefit; another partner's or an unknown code matches nothing. */
  benefitCode?: string | null | undefined;
}

export interface RedemptionEdgeView {
  cursor: string;
  node: Redemption;
}

export interface RedemptionPageView {
  edges: RedemptionEdgeView[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const MAX_PAGE_SIZE = 200;
const MAX_CODE_LENGTH = 100;

/**
 * A partner's own redemption history, newest first, by keyset on (created_at, id): a page
 * never repeats or skips a row that existed when the first page was read, whatever is
 * inserted meanwhile.
 */
export class RedemptionHistoryService {
  constructor(private readonly em: EntityManager) {}

  async page(partnerId: string, args: RedemptionPageArgs): Promise<RedemptionPageView> {
    const validator = new InputValidator()
      .check(Number.isInteger(args.first) && args.first >= 0, 'first', 'must be a non-negative integer')
      .check(args.first <= MAX_PAGE_SIZE, 'first', `must be at most ${MAX_PAGE_SIZE}`)
      .check(!args.from || !args.to || args.from < args.to, 'to', 'must be after from')
      .check((args.benefitCode ?? '').length <= MAX_CODE_LENGTH, 'benefitCode', `must be at most ${MAX_CODE_LENGTH} characters`);
    let after: RedemptionPosition | null = null;
    try {
      after = args.after != null ? decodeRedemptionCursor(args.after) : null;
    } catch {
      validator.check(false, 'after', 'is not a cursor of this connection');
    }
    validator.throwIfInvalid();

    const where: string[] = ['r.partner_id = ?'];
    const params: unknown[] = [partnerId];
    let join = '';
    if (args.benefitCode != null) {
      join = 'join entitlement e on e.member_id = r.member_id and e.id = r.entitlement_id and e.benefit_id = (select b.id from benefit b where b.code = ? and b.partner_id = ?)';
      params.unshift(args.benefitCode, partnerId);
    }
    if (args.from) {
      where.push('r.created_at >= ?');
      params.push(args.from);
    }
    if (args.to) {
      where.push('r.created_at < ?');
      params.push(args.to);
    }
    if (after) {
      // Microseconds, exactly as stored: a cursor never falls between two rows' instants.
      where.push(`(r.created_at, r.id) < (timestamptz 'epoch' + ?::bigint * interval '1 microsecond', ?::uuid)`);
      params.push(after.createdAtMicros, after.id);
    }
    params.push(args.first + 1);
    const rows = await this.em.execute<Array<Record<string, unknown> & { position: string }>>(
      `select r.*, (extract(epoch from r.created_at) * 1000000)::bigint::text as position
       from redemption r ${join}
       where ${where.join(' and ')}
       order by r.created_at desc, r.id desc
       limit ?`,
      params,
    );
    const edges = rows.slice(0, args.first).map(({ position, ...row }) => {
      const node = this.em.map(Redemption, row);
      return { cursor: encodeRedemptionCursor({ createdAtMicros: position, id: node.id }), node };
    });
    return { edges, pageInfo: { hasNextPage: rows.length > args.first, endCursor: edges.at(-1)?.cursor ?? null } };
  }
}
