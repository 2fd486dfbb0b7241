import type { Opt, Rel } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Entitlement } from '../entitlement/entitlement.entity.js';

/** Every entitlement token issued, by `jti`: what revocation and audits start from. */
@Entity({ tableName: 'issued_token' })
export class IssuedToken {
  @PrimaryKey({ type: 'text' })
  jti!: string;

  @ManyToOne({ entity: () => Entitlement })
  entitlement!: Rel<Entitlement>;

  @Property({ type: 'text' })
  partnerId!: string;

  @Property({ type: 'text' })
  kid!: string;

  @Property({ type: 'datetime', defaultRaw: 'now()' })
  issuedAt: Opt<Date> = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
