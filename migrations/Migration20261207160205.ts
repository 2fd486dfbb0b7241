import { Migration } from '@mikro-orm/migrations';

export class Migration20261207160205 extends Migration {

  override name = 'Migration20261207160205';

  override up(): void | Promise<void> {
    // The Citus shape (docs/citus.md): the rows of a membership (its payments, their refunds, its
    // timeline) and of a right (its tokens, its redemptions and their voids) carry their member,
    // the distribution column. Each is added nullable, filled from its parent, then made NOT NULL.
    // Every row is rewritten once: on a large database this is the migration's cost (docs/citus.md).
    this.addSql(`alter table "payment" add "member_id" uuid;`);
    this.addSql(`update "payment" p set "member_id" = m."member_id" from "membership" m where m."id" = p."membership_id";`);
    this.addSql(`alter table "payment" alter column "member_id" set not null;`);

    this.addSql(`alter table "payment_refund" add "member_id" uuid;`);
    this.addSql(`update "payment_refund" r set "member_id" = p."member_id" from "payment" p where p."id" = r."payment_id";`);
    this.addSql(`alter table "payment_refund" alter column "member_id" set not null;`);

    this.addSql(`alter table "membership_event" add "member_id" uuid;`);
    this.addSql(`update "membership_event" e set "member_id" = m."member_id" from "membership" m where m."id" = e."membership_id";`);
    this.addSql(`alter table "membership_event" alter column "member_id" set not null;`);

    this.addSql(`alter table "issued_token" add "member_id" uuid;`);
    this.addSql(`update "issued_token" t set "member_id" = e."member_id" from "entitlement" e where e."id" = t."entitlement_id";`);
    this.addSql(`alter table "issued_token" alter column "member_id" set not null;`);

    // redemption and redemption_void refuse UPDATE (append-only): the backfill is the one exception.
    this.addSql(`alter table "redemption" add "member_id" uuid;`);
    this.addSql(`alter table "redemption" disable trigger "append_only";`);
    this.addSql(`update "redemption" r set "member_id" = e."member_id" from "entitlement" e where e."id" = r."entitlement_id";`);
    this.addSql(`alter table "redemption" enable trigger "append_only";`);
    this.addSql(`alter table "redemption" alter column "member_id" set not null;`);

    this.addSql(`alter table "redemption_void" add "member_id" uuid;`);
    this.addSql(`alter table "redemption_void" disable trigger "append_only";`);
    this.addSql(`update "redemption_void" v set "member_id" = r."member_id" from "redemption" r where r."id" = v."redemption_id";`);
    this.addSql(`alter table "redemption_void" enable trigger "append_only";`);
    this.addSql(`alter table "redemption_void" alter column "member_id" set not null;`);

    // Keys that gain the member: a token's jti, a redemption and a membership are each one
    // member's, so every key keeps to exactly the rows it kept to before.
    this.addSql(`alter table "redemption" drop constraint "redemption_token_jti_unique";`);
    this.addSql(`alter table "redemption" add constraint "redemption_token_jti_unique" unique ("token_jti", "member_id");`);

    this.addSql(`alter table "redemption_void" drop constraint "redemption_void_redemption_unique";`);
    this.addSql(`alter table "redemption_void" add constraint "redemption_void_redemption_unique" unique ("redemption_id", "member_id");`);

    this.addSql(`drop index "payment_one_success_per_period";`);
    this.addSql(`create unique index "payment_one_success_per_period" on "payment" ("membership_id", "period_start", "member_id") where "status" not in ('PENDING', 'FAILED') and "kind" <> 'PRORATION';`);
    this.addSql(`drop index "payment_one_pending_per_period";`);
    this.addSql(`create unique index "payment_one_pending_per_period" on "payment" ("membership_id", "period_start", "member_id") where "status" = 'PENDING';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "payment_one_pending_per_period";`);
    this.addSql(`create unique index "payment_one_pending_per_period" on "payment" ("membership_id", "period_start") where "status" = 'PENDING';`);
    this.addSql(`drop index "payment_one_success_per_period";`);
    this.addSql(`create unique index "payment_one_success_per_period" on "payment" ("membership_id", "period_start") where "status" not in ('PENDING', 'FAILED') and "kind" <> 'PRORATION';`);

    this.addSql(`alter table "issued_token" drop column "member_id";`);

    this.addSql(`alter table "membership_event" drop column "member_id";`);

    this.addSql(`alter table "payment" drop column "member_id";`);

    this.addSql(`alter table "payment_refund" drop column "member_id";`);

    this.addSql(`alter table "redemption" drop constraint "redemption_token_jti_unique";`);
    this.addSql(`alter table "redemption" drop column "member_id";`);
    this.addSql(`alter table "redemption" add constraint "redemption_token_jti_unique" unique ("token_jti");`);

    this.addSql(`alter table "redemption_void" drop constraint "redemption_void_redemption_unique";`);
    this.addSql(`alter table "redemption_void" drop column "member_id";`);
    this.addSql(`alter table "redemption_void" add constraint "redemption_void_redemption_unique" unique ("redemption_id");`);
  }

}
