import { Migration } from '@mikro-orm/migrations';

export class Migration20261122160420 extends Migration {

  override name = 'Migration20261122160420';

  override up(): void | Promise<void> {
    this.addSql(`create table "inbound_partner_event" ("id" text not null, "partner_id" text not null, "type" text not null, "body" jsonb not null, "received_at" timestamptz not null default now(), primary key ("id", "partner_id"));`);

    this.addSql(`create table "outbox_event" ("id" uuid not null, "partner_id" text not null, "type" text not null, "entitlement_id" uuid not null, "created_at" timestamptz not null default now(), "available_at" timestamptz not null default now(), "attempts" int not null default 0, "delivered_at" timestamptz null, "dead_at" timestamptz null, "last_error" text null, primary key ("id"));`);
    this.addSql(`create index "outbox_event_entitlement_id_index" on "outbox_event" ("entitlement_id");`);
    this.addSql(`create index "outbox_event_due" on "outbox_event" ("available_at") where "delivered_at" is null and "dead_at" is null;`);

    this.addSql(`alter type "benefit_kind" add value if not exists 'CONVERSION' after 'DISCOUNT';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "inbound_partner_event" cascade;`);
    this.addSql(`drop table if exists "outbox_event" cascade;`);
  }

}
