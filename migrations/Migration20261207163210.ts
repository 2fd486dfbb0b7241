import { Migration } from '@mikro-orm/migrations';

export class Migration20261207163210 extends Migration {

  override name = 'Migration20261207163210';

  override up(): void | Promise<void> {
    // The Citus shape (docs/citus.md): primary keys that name the member, (id, member_id) or
    // (jti, member_id), on the rows no foreign key points at (a refund, a timeline event, a token,
    // a void), and a membership's right per benefit and period with its member last. Each key
    // only gains the member, so existing rows keep to it; lookups by id or jti keep the index.
    this.addSql(`alter table "payment_refund" drop constraint "payment_refund_pkey";`);
    this.addSql(`alter table "payment_refund" add primary key ("id", "member_id");`);

    this.addSql(`alter table "membership_event" drop constraint "membership_event_pkey";`);
    this.addSql(`alter table "membership_event" add primary key ("id", "member_id");`);

    this.addSql(`alter table "entitlement" drop constraint "entitlement_membership_id_benefit_id_period_start_unique";`);
    this.addSql(`alter table "entitlement" add constraint "entitlement_membership_benefit_period_unique" unique ("membership_id", "benefit_id", "period_start", "member_id");`);

    this.addSql(`alter table "issued_token" drop constraint "issued_token_pkey";`);
    this.addSql(`alter table "issued_token" add primary key ("jti", "member_id");`);

    this.addSql(`alter table "redemption_void" drop constraint "redemption_void_pkey";`);
    this.addSql(`alter table "redemption_void" add primary key ("id", "member_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "entitlement" drop constraint "entitlement_membership_benefit_period_unique";`);
    this.addSql(`alter table "entitlement" add constraint "entitlement_membership_id_benefit_id_period_start_unique" unique ("membership_id", "benefit_id", "period_start");`);

    this.addSql(`alter table "issued_token" drop constraint "issued_token_pkey";`);
    this.addSql(`alter table "issued_token" add primary key ("jti");`);

    this.addSql(`alter table "membership_event" drop constraint "membership_event_pkey";`);
    this.addSql(`alter table "membership_event" add primary key ("id");`);

    this.addSql(`alter table "payment_refund" drop constraint "payment_refund_pkey";`);
    this.addSql(`alter table "payment_refund" add primary key ("id");`);

    this.addSql(`alter table "redemption_void" drop constraint "redemption_void_pkey";`);
    this.addSql(`alter table "redemption_void" add primary key ("id");`);
  }

}
