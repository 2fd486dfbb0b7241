import { Migration } from '@mikro-orm/migrations';

export class Migration20261207064440 extends Migration {

  override name = 'Migration20261207064440';

  override up(): void | Promise<void> {
    this.addSql(`create table "figures_benefit" ("month" date not null, "benefit_id" uuid not null, "quota" int not null, "rights" int not null, "units_granted" bigint not null, "units_used" bigint not null, "value" bigint not null, "completed_rights" int not null, "completed_granted" bigint not null, "completed_used" bigint not null, primary key ("month", "benefit_id", "quota"));`);

    this.addSql(`create table "figures_cohort" ("month" date not null, "members" int not null, "converted" int not null, "converted_within30days" int not null, primary key ("month"));`);

    this.addSql(`create table "figures_day" ("day" date not null, "new_members" int not null default 0, "new_paid_members" int not null default 0, "paid_starts" int not null default 0, "paid_ends" int not null default 0, "periods_due" int not null default 0, "periods_renewed" int not null default 0, "periods_pending" int not null default 0, "memberships_ended" int not null default 0, "ended_repurchased" int not null default 0, "orders" int not null default 0, "order_gross" bigint not null default '0', "order_refunded" bigint not null default '0', primary key ("day"));`);

    this.addSql(`create table "figures_period_value" ("month" date not null, "plan_id" uuid not null, "band" smallint not null, "periods" int not null, "fees" bigint not null, "value" bigint not null, primary key ("month", "plan_id", "band"));`);

    this.addSql(`create table "figures_points_month" ("month" date not null, "issuer" text not null, "points" bigint not null, primary key ("month", "issuer"));`);

    this.addSql(`create table "figures_run" ("id" uuid not null, "as_of" timestamptz not null, "time_zone" text not null, "currency" text not null, "trigger" text not null, "duration_ms" int not null, "steps" jsonb not null, "snapshot" jsonb not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "figures_run_as_of_index" on "figures_run" ("as_of");`);

    this.addSql(`create table "figures_tier_move" ("month" date not null, "from_tier" text not null, "to_tier" text not null, "reason" text not null, "moves" int not null, primary key ("month", "from_tier", "to_tier", "reason"));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "figures_benefit" cascade;`);
    this.addSql(`drop table if exists "figures_cohort" cascade;`);
    this.addSql(`drop table if exists "figures_day" cascade;`);
    this.addSql(`drop table if exists "figures_period_value" cascade;`);
    this.addSql(`drop table if exists "figures_points_month" cascade;`);
    this.addSql(`drop table if exists "figures_run" cascade;`);
    this.addSql(`drop table if exists "figures_tier_move" cascade;`);
  }

}
