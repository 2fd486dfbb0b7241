import { loadSegmentConfig } from './config-store.js';
import { LIFECYCLE_STAGES } from './segment-config.js';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { MemberSegments } from '../../platform/context.js';
import { isUuid } from '../../platform/loader.js';
import { pgTextArray } from '../../platform/sql.js';

/** Most member ids one call of {@link membersInSegments} returns. */
export const MAX_MEMBERS_PAGE = 10_000;

/** The codes of the segments a member is in now (as of their clock's last computation), sorted; empty before any. */
export async function segmentsOf(em: EntityManager, memberId: string): Promise<string[]> {
  const rows = await em.execute<{ segment_code: string }[]>(`select segment_code from member_segment where member_id = ? order by segment_code`, [memberId]);
  return rows.map((r) => r.segment_code);
}

/**
 * Ids of the members in any of `codes` now, each once, ordered by member id, after `after`
 * (exclusive; null: from the start), at most `limit`: keyset pages for campaigns and bundles to
 * walk a segment without offsets. Unknown codes match no one.
 */
export async function membersInSegments(em: EntityManager, codes: readonly string[], after: string | null, limit: number): Promise<string[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_MEMBERS_PAGE) throw new RangeError(`membersInSegments: limit must be a whole number from 1 to ${MAX_MEMBERS_PAGE}, not ${limit}`);
  if (after !== null && !isUuid(after)) throw new TypeError(`membersInSegments: after must be a member id (the last of the previous page), not ${JSON.stringify(after)}`);
  if (codes.length === 0) return [];
  const rows = await em.execute<{ member_id: string }[]>(
    `select distinct member_id from member_segment
      where segment_code = any(?::text[]) ${after === null ? '' : 'and member_id > ?::uuid'}
      order by member_id limit ?`,
    after === null ? [pgTextArray(codes), limit] : [pgTextArray(codes), after, limit],
  );
  return rows.map((r) => r.member_id);
}

/** The platform's `MemberSegments` port (campaign eligibility), implemented by {@link segmentsOf}. */
export const memberSegments: MemberSegments = {
  of: segmentsOf,
  async codes(em) {
    const config = (await loadSegmentConfig(em))?.config;
    if (!config) return [];
    return [...config.rfm.segments.map((s) => s.code), ...LIFECYCLE_STAGES, ...config.value.map((s) => s.code)];
  },
};
