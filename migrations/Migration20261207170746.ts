import { Migration } from '@mikro-orm/migrations';

export class Migration20261207170746 extends Migration {

  override name = 'Migration20261207170746';

  override up(): void | Promise<void> {
    // The Citus shape (docs/citus.md): a provider's notification carries its charge's member
    // (backfilled from the payment; every stored notification is about a payment of ours), and
    // its keys name the member: a notification is about one member's charge, so the dedupe key
    // keeps to the rows it kept to.
    this.addSql(`alter table "payment_notification" drop constraint "payment_notification_provider_notification_id_unique";`);
    this.addSql(`alter table "payment_notification" drop constraint "payment_notification_pkey";`);
    this.addSql(`alter table "payment_notification" add "member_id" uuid;`);
    this.addSql(`update "payment_notification" n set "member_id" = p."member_id" from "payment" p where p."id" = n."payment_id";`);
    this.addSql(`alter table "payment_notification" alter column "member_id" set not null;`);
    this.addSql(`alter table "payment_notification" add constraint "payment_notification_provider_notification_unique" unique ("provider", "notification_id", "member_id");`);
    this.addSql(`alter table "payment_notification" add primary key ("id", "member_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "payment_notification" drop constraint "payment_notification_provider_notification_unique";`);
    this.addSql(`alter table "payment_notification" drop constraint "payment_notification_pkey";`);
    this.addSql(`alter table "payment_notification" drop column "member_id";`);
    this.addSql(`alter table "payment_notification" add constraint "payment_notification_provider_notification_id_unique" unique ("provider", "notification_id");`);
    this.addSql(`alter table "payment_notification" add primary key ("id");`);
  }

}
