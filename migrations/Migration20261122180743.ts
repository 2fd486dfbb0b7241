import { Migration } from '@mikro-orm/migrations';

export class Migration20261122180743 extends Migration {

  override name = 'Migration20261122180743';

  override up(): void | Promise<void> {
    this.addSql(`create table "status_list" ("partner_id" text not null, "ordinal" int not null, "capacity" int not null, "state" text not null default 'OPEN', "created_at" timestamptz not null default now(), "sealed_at" timestamptz null, primary key ("partner_id", "ordinal"));`);
    this.addSql(`create unique index "status_list_one_open_per_partner" on "status_list" ("partner_id") where "state" = 'OPEN';`);

    this.addSql(`alter table "issued_token" add "status_list_ordinal" int null, add "status_idx" int null, add "status" smallint not null default 0, add "status_changed_at" timestamptz null;`);
    this.addSql(`create index "issued_token_status_invalid" on "issued_token" ("partner_id", "status_list_ordinal", "status_idx") where "status" <> 0;`);
    this.addSql(`create index "issued_token_entitlement_id_index" on "issued_token" ("entitlement_id");`);
    this.addSql(`alter table "issued_token" add constraint "issued_token_status_entry_unique" unique ("partner_id", "status_list_ordinal", "status_idx");`);

    this.addSql(`alter table "status_list" add constraint "status_list_state" check (state in ('OPEN', 'SEALED'));`);
    this.addSql(`alter table "status_list" add constraint "status_list_capacity_positive" check (capacity > 0);`);
    this.addSql(`alter table "issued_token" add constraint "issued_token_status_value" check (status in (0, 1));`);

    this.addSql(`create or replace function "entitlement_invalidate_tokens_fn"() returns trigger as \$\$ begin update issued_token set status = 1, status_changed_at = now()
  where entitlement_id = new.id and status = 0 and expires_at > now() - interval '1 minute';   return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "invalidate_tokens" AFTER UPDATE on "entitlement" for each ROW
  when (old.status is distinct from new.status and new.status in ('REVOKED', 'SUSPENDED', 'EXPIRED')) execute function "entitlement_invalidate_tokens_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "invalidate_tokens" on "entitlement";`);
    this.addSql(`drop function if exists "entitlement_invalidate_tokens_fn"();`);
    this.addSql(`alter table "issued_token" drop constraint if exists "issued_token_status_value";`);
    this.addSql(`drop table if exists "status_list" cascade;`);

    this.addSql(`drop index "issued_token_status_invalid";`);
    this.addSql(`drop index "issued_token_entitlement_id_index";`);
    this.addSql(`alter table "issued_token" drop constraint "issued_token_status_entry_unique";`);
    this.addSql(`alter table "issued_token" drop column "status_list_ordinal", drop column "status_idx", drop column "status", drop column "status_changed_at";`);
  }

}
