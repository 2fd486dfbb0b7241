import { Migration } from '@mikro-orm/migrations';

export class Migration20261122165000 extends Migration {

  override name = 'Migration20261122165000';

  override up(): void | Promise<void> {
    this.addSql(`create table "redemption_void" ("id" uuid not null, "redemption_id" uuid not null, "partner_id" text not null, "reason" text not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "redemption_void" add constraint "redemption_void_redemption_unique" unique ("redemption_id");`);

    this.addSql(`alter table "benefit" add "unit_price_amount" int null, add "unit_price_currency" text null;`);
    this.addSql(`alter table "benefit" add constraint "benefit_unit_price_valid" check ((unit_price_amount is null and unit_price_currency is null) or (unit_price_amount >= 0 and unit_price_currency ~ '^[A-Z]{3}\$'));`);

    this.addSql(`drop index "redemption_partner_id_created_at_index";`);
    this.addSql(`create index "redemption_partner_id_created_at_id_index" on "redemption" ("partner_id", "created_at", "id");`);

    this.addSql(`alter table "redemption_void" add constraint "redemption_void_redemption_id_foreign" foreign key ("redemption_id") references "redemption" ("id");`);
    this.addSql(`alter table "redemption_void" add constraint "redemption_void_partner_id_foreign" foreign key ("partner_id") references "partner" ("id");`);
    this.addSql(`alter table "redemption_void" add constraint "redemption_void_reason_not_empty" check (length(btrim(reason)) > 0);`);
    this.addSql(`create or replace function "redemption_void_append_only_fn"() returns trigger as \$\$ begin raise exception 'redemption_void is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "redemption_void" for each ROW execute function "redemption_void_append_only_fn"();`);
    // Agreed unit prices of the demo catalog, for databases seeded before prices existed.
    this.addSql(`update "benefit" set "unit_price_amount" = p.amount, "unit_price_currency" = 'CNY' from (values ('CAR_WASH', 3500), ('COFFEE', 1200), ('STREAMING_VIP', 0), ('SKYMILES_BONUS', 0)) as p(code, amount) where "benefit"."code" = p.code and "benefit"."unit_price_amount" is null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "append_only" on "redemption_void";`);
    this.addSql(`drop function if exists "redemption_void_append_only_fn"();`);
    this.addSql(`drop table if exists "redemption_void" cascade;`);

    this.addSql(`alter table "benefit" drop constraint "benefit_unit_price_valid";`);
    this.addSql(`alter table "benefit" drop column "unit_price_amount", drop column "unit_price_currency";`);

    this.addSql(`drop index "redemption_partner_id_created_at_id_index";`);
    this.addSql(`create index "redemption_partner_id_created_at_index" on "redemption" ("partner_id", "created_at");`);
  }

}
