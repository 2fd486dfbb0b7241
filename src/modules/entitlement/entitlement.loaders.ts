import type { EntityManager } from '@mikro-orm/postgresql';
import { batchLoader } from '../../platform/loader.js';
import { entitlementViews } from './entitlement.service.js';

/** The key of {@link entitlementLoaders}' `entitlementOfMember`: a right by its member and id. */
export function memberEntitlementKey(memberId: string, entitlementId: string): string {
  return `${memberId}/${entitlementId}`;
}

export function entitlementLoaders(em: EntityManager) {
  return {
    /** Entitlements as views (one plain statement per batch: every resolver reads their columns and ids). */
    entitlementById: batchLoader((ids: readonly string[]) => entitlementViews(em, 'where e.id = any(?::uuid[])', [`{${ids.join(',')}}`]), (e) => e.id),
    /**
     * The same, for callers that know each right's member (keys from `memberEntitlementKey`):
     * the statement names the members too, so on Citus it goes to their shards only (one
     * member's rights: a router query, docs/citus.md).
     */
    entitlementOfMember: batchLoader(
      (keys: readonly string[]) => {
        const pairs = keys.map((key) => key.split('/') as [string, string]);
        const members = [...new Set(pairs.map(([memberId]) => memberId))];
        return entitlementViews(em, 'where e.member_id = any(?::uuid[]) and e.id = any(?::uuid[])', [`{${members.join(',')}}`, `{${pairs.map(([, id]) => id).join(',')}}`]);
      },
      (e) => memberEntitlementKey(e.member.id, e.id),
    ),
  };
}
