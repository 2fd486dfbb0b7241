import { Migration } from '@mikro-orm/migrations';

export class Migration20261122163000 extends Migration {

  override name = 'Migration20261122163000';

  override up(): void | Promise<void> {
    this.addSql(`create table "partner_subgraph" ("partner_id" text not null, "url" text not null, "sdl" text not null, "registered_at" timestamptz not null default now(), primary key ("partner_id"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "partner_subgraph" cascade;`);
  }

}
