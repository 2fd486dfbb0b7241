import { randomUUID } from 'node:crypto';
import type { Opt } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/**
 * One code of a partner's voucher pool (10 coffees a month are 10 codes). Uploaded by the
 * partner, claimed at most once: claiming sets the claim columns in one guarded UPDATE.
 */
@Entity({ tableName: 'voucher_code' })
@Unique({ name: 'voucher_code_partner_code_unique', properties: ['partnerId', 'code'] })
@Index({
  name: 'voucher_code_available',
  expression: 'create index "voucher_code_available" on "voucher_code" ("benefit_id", "uploaded_at", "id") where "claimed_at" is null',
})
@Index({ properties: ['entitlementId'] })
export class VoucherCode {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  partnerId!: string;

  @Property({ type: 'uuid' })
  benefitId!: string;

  @Property({ type: 'text' })
  code!: string;

  @Property({ type: 'uuid' })
  batchId!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  uploadedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  claimedAt?: Date | null;

  @Property({ type: 'uuid', nullable: true })
  entitlementId?: string | null;

  @Property({ type: 'uuid', nullable: true })
  memberId?: string | null;
}
