import { randomUUID } from 'node:crypto';
import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, Enum, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { LocalizedText } from '../../platform/localized.js';
import { Bundle } from '../bundle/index.js';

export enum BillingPeriod {
  MONTH = 'MONTH',
  YEAR = 'YEAR',
}

/** A paid plan on sale: its price, billing period and the bundle it sells. */
@Entity({ tableName: 'plan' })
export class Plan {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  code!: string;

  @Property({ type: 'json' })
  name!: LocalizedText;

  /** Price in minor units of `currency`. */
  @Property({ type: 'integer' })
  priceAmount!: number;

  @Property({ type: 'character', length: 3 })
  currency!: string;

  @Enum({ items: () => BillingPeriod, nativeEnumName: 'billing_period' })
  billingPeriod!: BillingPeriod;

  @ManyToOne({ entity: () => Bundle })
  bundle!: Rel<Bundle>;

  @Property({ type: 'boolean', default: true })
  active: Opt<boolean> = true;
}
