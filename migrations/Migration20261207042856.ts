import { Migration } from '@mikro-orm/migrations';

export class Migration20261207042856 extends Migration {

  override name = 'Migration20261207042856';

  override up(): void | Promise<void> {
    this.addSql(`create type "activity_import_format" as enum ('NDJSON', 'CSV');`);
    this.addSql(`create type "activity_import_status" as enum ('QUEUED', 'RUNNING', 'DONE', 'FAILED');`);
    this.addSql(`create type "activity_import_line_outcome" as enum ('ACCEPTED', 'DUPLICATE', 'REJECTED');`);
    this.addSql(`create table "activity_import" ("id" uuid not null, "created_by" uuid not null, "format" "activity_import_format" not null, "status" "activity_import_status" not null, "total_lines" int not null default 0, "bytes" bigint not null default '0', "processed" int not null default 0, "accepted" int not null default 0, "duplicates" int not null default 0, "rejected" int not null default 0, "failure" text null, "created_at" timestamptz not null default now(), "started_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "activity_import_created_at_index" on "activity_import" ("created_at");`);

    this.addSql(`create table "activity_import_lane" ("import_id" uuid not null, "lane" smallint not null, "lease_owner" text null, "lease_until" timestamptz null, "attempt_at" timestamptz null, "attempt_through" int null, "failures" int not null default 0, "last_error" text null, "done_at" timestamptz null, primary key ("import_id", "lane"));`);
    this.addSql(`create index "activity_import_lane_open" on "activity_import_lane" ("import_id") where "done_at" is null;`);

    this.addSql(`create table "activity_import_line" ("import_id" uuid not null, "line_no" int not null, "lane" smallint not null, "input" jsonb null, "raw" text null, "outcome" "activity_import_line_outcome" null, "error_code" text null, "error_message" text null, "activity_id" uuid null, primary key ("import_id", "line_no"));`);
    this.addSql(`create index "activity_import_line_not_accepted" on "activity_import_line" ("import_id", "line_no") where "outcome" <> 'ACCEPTED';`);
    this.addSql(`create index "activity_import_line_pending" on "activity_import_line" ("import_id", "lane", "line_no") where "outcome" is null;`);

    this.addSql(`alter table "activity_import_lane" add constraint "activity_import_lane_import_id_foreign" foreign key ("import_id") references "activity_import" ("id") on delete cascade;`);

    this.addSql(`alter table "activity_import_line" add constraint "activity_import_line_import_id_foreign" foreign key ("import_id") references "activity_import" ("id") on delete cascade;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "activity_import_lane" drop constraint "activity_import_lane_import_id_foreign";`);
    this.addSql(`alter table "activity_import_line" drop constraint "activity_import_line_import_id_foreign";`);

    this.addSql(`drop table if exists "activity_import" cascade;`);
    this.addSql(`drop table if exists "activity_import_lane" cascade;`);
    this.addSql(`drop table if exists "activity_import_line" cascade;`);

    this.addSql(`drop type "activity_import_format";`);
    this.addSql(`drop type "activity_import_status";`);
    this.addSql(`drop type "activity_import_line_outcome";`);
  }

}
