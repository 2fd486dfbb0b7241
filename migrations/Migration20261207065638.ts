import { Migration } from '@mikro-orm/migrations';

export class Migration20261207065638 extends Migration {

  override name = 'Migration20261207065638';

  override up(): void | Promise<void> {
    this.addSql(`create type "catalog_draft_status" as enum ('DRAFT', 'SCHEDULED', 'PUBLISHED', 'CANCELED');`);
    this.addSql(`create table "catalog_draft" ("id" uuid not null, "title" text not null, "status" "catalog_draft_status" not null, "changes" jsonb not null, "created_by" text not null, "effective_at" timestamptz null, "migrations" jsonb null, "outcome" jsonb null, "published_at" timestamptz null, "canceled_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "catalog_draft_due" on "catalog_draft" ("effective_at") where "status" = 'SCHEDULED';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "catalog_draft" cascade;`);

    this.addSql(`drop type "catalog_draft_status";`);
  }

}
