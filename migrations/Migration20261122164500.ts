import { Migration } from '@mikro-orm/migrations';

export class Migration20261122164500 extends Migration {

  override name = 'Migration20261122164500';

  override up(): void | Promise<void> {
    this.addSql(`create table "voucher_code" ("id" uuid not null, "partner_id" text not null, "benefit_id" uuid not null, "code" text not null, "batch_id" uuid not null, "uploaded_at" timestamptz not null default now(), "claimed_at" timestamptz null, "entitlement_id" uuid null, "member_id" uuid null, primary key ("id"));`);
    this.addSql(`create index "voucher_code_entitlement_id_index" on "voucher_code" ("entitlement_id");`);
    this.addSql(`create index "voucher_code_available" on "voucher_code" ("benefit_id", "uploaded_at", "id") where "claimed_at" is null;`);
    this.addSql(`alter table "voucher_code" add constraint "voucher_code_partner_code_unique" unique ("partner_id", "code");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "voucher_code" cascade;`);
  }

}
