import { Migration } from '@mikro-orm/migrations';

export class Migration20261207043520 extends Migration {

  override name = 'Migration20261207043520';

  override up(): void | Promise<void> {
    this.addSql(`create type "segment_kind" as enum ('RFM', 'LIFECYCLE', 'VALUE');`);
    this.addSql(`create type "segment_change_kind" as enum ('ENTERED', 'LEFT');`);
    this.addSql(`create type "segment_run_trigger" as enum ('SCHEDULE', 'ON_DEMAND');`);
    this.addSql(`create table "member_segment" ("member_id" uuid not null, "segment_code" text not null, "kind" "segment_kind" not null, "test_clock_id" uuid null, "entered_at" timestamptz not null, "computed_at" timestamptz not null, primary key ("member_id", "segment_code"));`);
    this.addSql(`create index "member_segment_on_clock" on "member_segment" ("test_clock_id") where "test_clock_id" is not null;`);
    this.addSql(`create unique index "member_segment_one_per_partition" on "member_segment" ("member_id", "kind") where "kind" in ('RFM', 'LIFECYCLE');`);
    this.addSql(`create index "member_segment_by_code" on "member_segment" ("segment_code", "member_id");`);

    this.addSql(`create table "member_segment_change" ("id" uuid not null, "member_id" uuid not null, "segment_code" text not null, "kind" "segment_kind" not null, "change" "segment_change_kind" not null, "at" timestamptz not null, "run_id" uuid not null, primary key ("id"));`);
    this.addSql(`create index "member_segment_change_member_id_at_index" on "member_segment_change" ("member_id", "at");`);

    this.addSql(`create table "member_segment_score" ("member_id" uuid not null, "test_clock_id" uuid null, "joined_at" timestamptz not null, "last_activity_at" timestamptz null, "last_purchase_at" timestamptz null, "recency_days" int null, "frequency" int not null, "monetary" bigint not null, "recency_score" smallint null, "frequency_score" smallint null, "monetary_score" smallint null, "rfm_segment" text not null, "stage" text not null, "computed_at" timestamptz not null, "run_id" uuid not null, primary key ("member_id"));`);
    this.addSql(`create index "member_segment_score_on_clock" on "member_segment_score" ("test_clock_id") where "test_clock_id" is not null;`);

    this.addSql(`create table "segment_config" ("version" int not null, "document" jsonb not null, "created_at" timestamptz not null default now(), primary key ("version"));`);

    this.addSql(`create table "segment_run" ("id" uuid not null, "scope" text not null, "test_clock_id" uuid null, "as_of" timestamptz not null, "trigger" "segment_run_trigger" not null, "config_version" int not null, "members" int not null, "entered" int not null, "left" int not null, "counts" jsonb not null, "duration_ms" int not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "segment_run_scope_as_of_index" on "segment_run" ("scope", "as_of");`);

    this.addSql(`create table "segment_schedule" ("scope" text not null, "test_clock_id" uuid null, "next_run_at" timestamptz not null, "last_run_at" timestamptz null, primary key ("scope"));`);

    this.addSql(`alter table "member_segment" add constraint "member_segment_member_id_foreign" foreign key ("member_id") references "member" ("id");`);

    this.addSql(`alter table "member_segment_change" add constraint "member_segment_change_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`create or replace function "member_segment_change_append_only_fn"() returns trigger as \$\$ begin raise exception 'member_segment_change is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "member_segment_change" for each ROW execute function "member_segment_change_append_only_fn"();`);

    this.addSql(`alter table "member_segment_score" add constraint "member_segment_score_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "member_segment_score" add constraint "member_segment_score_monetary" check (monetary >= 0);`);
    this.addSql(`alter table "member_segment_score" add constraint "member_segment_score_scores_in_range" check (recency_score >= 1 and recency_score <= 5 and frequency_score >= 1 and frequency_score <= 5 and monetary_score >= 1 and monetary_score <= 5);`);
    this.addSql(`alter table "member_segment_score" add constraint "member_segment_score_scores_for_buyers" check ((recency_score is null) = (frequency = 0) and (frequency_score is null) = (frequency = 0) and (monetary_score is null) = (frequency = 0));`);

    this.addSql(`create or replace function "segment_config_append_only_fn"() returns trigger as \$\$ begin raise exception 'segment_config is append-only: add a version' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "segment_config" for each ROW execute function "segment_config_append_only_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "member_segment" cascade;`);
    this.addSql(`drop trigger if exists "append_only" on "member_segment_change";`);
    this.addSql(`drop function if exists "member_segment_change_append_only_fn"();`);
    this.addSql(`drop table if exists "member_segment_change" cascade;`);
    this.addSql(`drop table if exists "member_segment_score" cascade;`);
    this.addSql(`drop trigger if exists "append_only" on "segment_config";`);
    this.addSql(`drop function if exists "segment_config_append_only_fn"();`);
    this.addSql(`drop table if exists "segment_config" cascade;`);
    this.addSql(`drop table if exists "segment_run" cascade;`);
    this.addSql(`drop table if exists "segment_schedule" cascade;`);

    this.addSql(`drop type "segment_kind";`);
    this.addSql(`drop type "segment_change_kind";`);
    this.addSql(`drop type "segment_run_trigger";`);
  }

}
