import { randomUUID } from 'node:crypto';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt, Rel } from '@mikro-orm/core';
import type { LocalizedText } from '../../platform/localized.js';
import { CATALOG_VERSION_TRIGGER } from '../../platform/catalog-cache.js';

/** A partner company; its id is its slug (`sparkwash`): a token's `aud`, its folder under `partners/`. */
@Entity({ tableName: 'partner', triggers: [CATALOG_VERSION_TRIGGER] })
export class Partner {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'json' })
  name!: LocalizedText;

  /** What the partner pays us per 1,000 coalition points it issues at its till (minor units of `pointsCurrency`); null: it issues none. */
  @Property({ type: 'integer', nullable: true })
  pointsIssuePricePer1000?: number | null;

  /** What we pay the partner per 1,000 points members burn at its till; null: none burn there. */
  @Property({ type: 'integer', nullable: true })
  pointsBurnPricePer1000?: number | null;

  @Property({ type: 'text', nullable: true })
  pointsCurrency?: string | null;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  /** When its name or agreed prices last changed (`updatePartner`); its creation until then. */
  @Property({ type: 'datetime', defaultRaw: 'now()' })
  updatedAt: Opt<Date> = new Date();
}

/**
 * A partner API key: shown once at creation, stored as its SHA-256, revocable. It works while
 * `revokedAt` is null and `expiresAt` (set when the partner rotates it) is null or later than now.
 */
@Entity({ tableName: 'partner_api_key' })
export class PartnerApiKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne({ entity: () => Partner, deleteRule: 'cascade' })
  partner!: Rel<Partner>;

  /** Hex SHA-256 of the whole key; keys carry 256 random bits, so a fast hash is enough. */
  @Property({ type: 'text', unique: true })
  keyHash!: string;

  /** First characters of the key, to tell keys apart in listings. */
  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;

  /** The partner's own name for the key ("till 12, Beijing West"); null when it gave none. */
  @Property({ type: 'text', nullable: true })
  label?: string | null;

  /** When a rotated key stops working (the overlap its successor was given); null: no end. */
  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  /** The key that replaced this one by rotation. */
  @Property({ type: 'uuid', nullable: true })
  replacedById?: string | null;
}
