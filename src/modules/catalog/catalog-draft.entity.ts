import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { CatalogChange } from './changes.js';

export enum CatalogDraftStatus {
  /** Being edited; nothing members have changed. */
  DRAFT = 'DRAFT',
  /** Published with an effective date still ahead: cancellable until then. */
  SCHEDULED = 'SCHEDULED',
  /** In effect. */
  PUBLISHED = 'PUBLISHED',
  /** A scheduled publication taken back before its effective date: it changed nothing. */
  CANCELED = 'CANCELED',
}

/** How current members of a bundle a draft changes meet the new version. */
export enum MemberMigration {
  /** They keep the version they bought until their renewal. */
  GRANDFATHER = 'GRANDFATHER',
  /** They move to the new version at the effective date (their partners told through the outbox). */
  MIGRATE = 'MIGRATE',
}

/**
 * A set of changes to what members get (benefits, a bundle's benefits, a plan's terms), edited
 * as a draft, validated with every problem listed, previewed and diffed against the live
 * catalog, then published with an effective date. What a publication created is kept in
 * `outcome`, so a scheduled one can be taken back whole.
 */
@Entity({ tableName: 'catalog_draft' })
@Index({
  name: 'catalog_draft_due',
  expression: `create index "catalog_draft_due" on "catalog_draft" ("effective_at") where "status" = 'SCHEDULED'`,
})
export class CatalogDraft {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  title!: string;

  @Enum({ items: () => CatalogDraftStatus, nativeEnumName: 'catalog_draft_status' })
  status!: CatalogDraftStatus;

  @Property({ type: 'json' })
  changes!: CatalogChange[];

  /** Who made it (an audit actor, e.g. `admin:<id>`). */
  @Property({ type: 'text' })
  createdBy!: string;

  @Property({ type: 'datetime', nullable: true })
  effectiveAt?: Date | null;

  /** Per bundle code, how its current members meet the new version. */
  @Property({ type: 'json', nullable: true })
  migrations?: Record<string, MemberMigration> | null;

  /** What the publication created: benefit ids, bundle version ids, plan changes still to apply. */
  @Property({ type: 'json', nullable: true })
  outcome?: PublicationOutcome | null;

  @Property({ type: 'datetime', nullable: true })
  publishedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  canceledAt?: Date | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  updatedAt: Opt<Date> = new Date();
}

export interface PublicationOutcome {
  benefitIds: string[];
  bundleVersions: Array<{ bundleCode: string; versionId: string; version: number }>;
  /** Bundles the publication created (deleted again by a cancellation). */
  bundlesCreated?: Array<{ bundleCode: string; bundleId: string }>;
  /** Plans the publication created, off sale until the effective date (deleted again by a cancellation). */
  plansCreated?: Array<{ planCode: string; planId: string }>;
  /** Plan terms set at the effective date. */
  planUpdates: Array<{ planCode: string; set: Record<string, unknown> }>;
  /** Loyalty program changes applied at the effective date. */
  programChanges?: unknown[];
  /** New segment definitions installed as a version at the effective date. */
  segmentConfig?: unknown;
  /** Memberships moved to the new versions (MIGRATE), once the publication took effect. */
  migrated?: number;
}
