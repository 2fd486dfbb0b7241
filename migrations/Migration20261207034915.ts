import { Migration } from '@mikro-orm/migrations';

export class Migration20261207034915 extends Migration {

  override name = 'Migration20261207034915';

  override up(): void | Promise<void> {
    this.addSql(`create type "moment_kind" as enum ('JOINED', 'TIER_UP', 'TIER_DOWN', 'POINTS_EARNED', 'POINTS_EXPIRING', 'BENEFIT_ACTIVATED', 'RENEWAL_DUE', 'MEMBER_DAY');`);
    this.addSql(`create type "moment_status" as enum ('PENDING', 'DEFERRED', 'SENT', 'SKIPPED', 'FAILED');`);
    this.addSql(`create type "moment_skip_reason" as enum ('OPTED_OUT', 'FREQUENCY_CAP', 'STALE', 'NO_TEMPLATE', 'MEMBER_ERASED', 'NOT_SUBSCRIBED', 'INVALID_RECIPIENT', 'INVALID_TEMPLATE', 'INVALID_MESSAGE');`);
    this.addSql(`create table "member_messaging_preference" ("member_id" uuid not null, "locale" text null, "opt_out" text[] not null default '{}', "marketing_opt_out" boolean not null default false, "quiet_start" smallint null, "quiet_end" smallint null, "updated_at" timestamptz not null default now(), primary key ("member_id"));`);

    this.addSql(`create table "member_moment" ("id" uuid not null, "member_id" uuid not null, "kind" "moment_kind" not null, "occurred_at" timestamptz not null, "data" jsonb not null, "dedupe_key" text not null, "status" "moment_status" not null default 'PENDING', "skip_reason" "moment_skip_reason" null, "attempts" int not null default 0, "deliver_at" timestamptz null, "leased_until" timestamptz null, "sent_at" timestamptz null, "provider" text null, "provider_message_id" text null, "locale" text null, "template" text null, "last_error" text null, "test_clock_id" uuid null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "member_moment_member_id_index" on "member_moment" ("member_id");`);
    this.addSql(`alter table "member_moment" add constraint "member_moment_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "member_moment_sent" on "member_moment" ("member_id", "sent_at") where "status" = 'SENT';`);
    this.addSql(`create index "member_moment_leased" on "member_moment" ("member_id") where "leased_until" is not null;`);
    this.addSql(`create index "member_moment_waiting" on "member_moment" ("member_id", "created_at", "id") where "deliver_at" is not null;`);
    this.addSql(`create index "member_moment_due_on_clock" on "member_moment" ("test_clock_id", "deliver_at") where "deliver_at" is not null and "test_clock_id" is not null;`);
    this.addSql(`create index "member_moment_due" on "member_moment" ("deliver_at") where "deliver_at" is not null and "test_clock_id" is null;`);

    this.addSql(`alter table "member_messaging_preference" add constraint "member_messaging_preference_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "member_messaging_preference" add constraint "member_messaging_preference_quiet_in_day" check (quiet_start >= 0 and quiet_start < 1440 and quiet_end >= 0 and quiet_end < 1440);`);
    this.addSql(`alter table "member_messaging_preference" add constraint "member_messaging_preference_quiet_both" check ((quiet_start is null) = (quiet_end is null));`);

    this.addSql(`alter table "member_moment" add constraint "member_moment_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`alter table "member_moment" add constraint "member_moment_final_has_no_due" check ((deliver_at is null) = (status in ('SENT', 'SKIPPED', 'FAILED')));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "member_messaging_preference" cascade;`);
    this.addSql(`drop table if exists "member_moment" cascade;`);

    this.addSql(`drop type "moment_kind";`);
    this.addSql(`drop type "moment_status";`);
    this.addSql(`drop type "moment_skip_reason";`);
  }

}
