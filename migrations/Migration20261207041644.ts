import { Migration } from '@mikro-orm/migrations';

export class Migration20261207041644 extends Migration {

  override name = 'Migration20261207041644';

  override up(): void | Promise<void> {
    this.addSql(`create type "campaign_kind" as enum ('POINTS_MULTIPLIER', 'BONUS_POINTS');`);
    this.addSql(`create type "activity_type" as enum ('PURCHASE', 'REFUND', 'CHECK_IN', 'REVIEW', 'SHARE', 'PROFILE_COMPLETED', 'BIRTHDAY');`);
    this.addSql(`create type "points_account_kind" as enum ('MEMBER', 'MEMBER_DEBT', 'ISSUED', 'PARTNER_ISSUED', 'REDEEMED', 'PARTNER_REDEEMED', 'EXPIRED', 'REVERSED');`);
    this.addSql(`create type "points_journal_kind" as enum ('EARN', 'REVERSAL', 'SPEND', 'RESTORE', 'EXPIRY');`);
    this.addSql(`create type "tier_change_reason" as enum ('UPGRADE', 'EVALUATION_UPGRADE', 'EVALUATION_DOWNGRADE', 'REFUND_REVERT');`);
    this.addSql(`create table "campaign" ("code" text not null, "name" jsonb not null, "offer" jsonb not null, "kind" "campaign_kind" not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "monthly_day" int null, "min_tier_rank" int not null default 0, "segments" text[] null, "channels" text[] null, "multiplier_permille" int null, "bonus_points" int null, "min_spend" int not null default 0, "budget_points" int null, "per_member_cap" int null, "points_granted" int not null default 0, "active" boolean not null default true, "created_at" timestamptz not null default now(), primary key ("code"));`);

    this.addSql(`create table "campaign_announcement" ("id" uuid not null, "campaign_code" text not null, "clock_key" text not null, "occurrence" timestamptz not null, "members" int not null default 0, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "campaign_announcement" add constraint "campaign_announcement_campaign_code_clock_key_occurrence_unique" unique ("campaign_code", "clock_key", "occurrence");`);

    this.addSql(`create table "channel_api_key" ("id" uuid not null, "channel" text not null, "key_hash" text not null, "prefix" text not null, "created_at" timestamptz not null default now(), "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "channel_api_key" add constraint "channel_api_key_key_hash_unique" unique ("key_hash");`);

    this.addSql(`create table "loyalty_program" ("id" text not null default 'default', "name" jsonb not null, "rules" jsonb not null, "version" int not null default 1, "updated_at" timestamptz not null default now(), primary key ("id"));`);

    this.addSql(`create table "loyalty_tier" ("code" text not null, "rank" int not null, "name" jsonb not null, "min_spend" bigint null, "min_orders" int null, "min_points_earned" int null, "multiplier_permille" int not null default 1000, primary key ("code"));`);
    this.addSql(`alter table "loyalty_tier" add constraint "loyalty_tier_rank_unique" unique ("rank");`);

    this.addSql(`create table "campaign_grant" ("id" uuid not null, "campaign_code" text not null, "member_id" uuid not null, "activity_id" uuid not null, "points" int not null, "at" timestamptz not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "campaign_grant_campaign_code_member_id_index" on "campaign_grant" ("campaign_code", "member_id");`);
    this.addSql(`alter table "campaign_grant" add constraint "campaign_grant_campaign_code_activity_id_unique" unique ("campaign_code", "activity_id");`);

    this.addSql(`create table "activity" ("id" uuid not null, "member_id" uuid not null, "type" "activity_type" not null, "channel" text not null, "external_id" text not null, "amount" int null, "currency" text null, "refund_of_id" uuid null, "occurred_at" timestamptz not null, "posted_at" timestamptz not null, "points" int not null default 0, "note" text null, "multiplier_permille" int null, "rate_points" int null, "rate_per" int null, "campaign_points" int not null default 0, "campaign_points_taken_back" int not null default 0, "refunded_amount" int not null default 0, "points_taken_back" int not null default 0, "points_used" int not null default 0, "points_restored" int not null default 0, "spend_journal_id" uuid null, "lot_id" uuid null, "request_hash" text not null, "seq" bigint not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "activity" add constraint "activity_seq_unique" unique ("seq");`);
    this.addSql(`create sequence "activity_seq";`);
    this.addSql(`create index "activity_member_id_type_occurred_at_index" on "activity" ("member_id", "type", "occurred_at");`);
    this.addSql(`alter table "activity" add constraint "activity_channel_external_id_unique" unique ("channel", "external_id");`);

    this.addSql(`create table "member_birthday" ("member_id" uuid not null, "month" smallint not null, "day" smallint not null, "set_at" timestamptz not null default now(), primary key ("member_id"));`);

    this.addSql(`create table "member_tier" ("member_id" uuid not null, "tier_code" text not null, "since" timestamptz not null, "last_downgrade_at" timestamptz null, "test_clock_id" uuid null, "evaluation_due_at" timestamptz null, "created_at" timestamptz not null default now(), primary key ("member_id"));`);
    this.addSql(`create index "member_tier_due_on_clock" on "member_tier" ("test_clock_id", "evaluation_due_at") where "evaluation_due_at" is not null and "test_clock_id" is not null;`);
    this.addSql(`create index "member_tier_due" on "member_tier" ("evaluation_due_at") where "evaluation_due_at" is not null and "test_clock_id" is null;`);

    this.addSql(`create table "membership_card" ("jti" text not null, "member_id" uuid not null, "partner_id" text not null, "kid" text not null, "issued_at" timestamptz not null default now(), "expires_at" timestamptz not null, primary key ("jti"));`);
    this.addSql(`create index "membership_card_member_id_issued_at_index" on "membership_card" ("member_id", "issued_at");`);

    this.addSql(`create table "loyalty_reward" ("code" text not null, "name" jsonb not null, "phrase" jsonb not null, "points_cost" int not null, "partner_id" text null, "benefit_code" text null, "units" int not null default 1, "active" boolean not null default true, primary key ("code"));`);

    this.addSql(`create table "points_account" ("id" text not null, "kind" "points_account_kind" not null, "member_id" uuid null, "partner_id" text null, "balance" bigint not null default '0', "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "points_account_member_id_index" on "points_account" ("member_id");`);

    this.addSql(`create table "points_journal" ("id" uuid not null, "idempotency_key" text not null, "request_hash" text not null, "kind" "points_journal_kind" not null, "member_id" uuid not null, "points" int not null, "activity_id" uuid null, "reverses_id" uuid null, "memo" jsonb null, "effective_at" timestamptz not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "points_journal" add constraint "points_journal_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "points_journal_activity_id_index" on "points_journal" ("activity_id");`);
    this.addSql(`create index "points_journal_reverses_id_index" on "points_journal" ("reverses_id");`);
    this.addSql(`create index "points_journal_member_id_effective_at_index" on "points_journal" ("member_id", "effective_at");`);

    this.addSql(`create table "points_lot" ("id" uuid not null, "member_id" uuid not null, "journal_id" uuid not null, "earned" int not null, "remaining" int not null, "earned_at" timestamptz not null, "expires_at" timestamptz null, "test_clock_id" uuid null, "due_at" timestamptz null, "reminded_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "points_lot_member_id_index" on "points_lot" ("member_id");`);
    this.addSql(`create index "points_lot_due_on_clock" on "points_lot" ("test_clock_id", "due_at") where "due_at" is not null and "test_clock_id" is not null;`);
    this.addSql(`create index "points_lot_due" on "points_lot" ("due_at") where "due_at" is not null and "test_clock_id" is null;`);
    this.addSql(`create index "points_lot_spendable" on "points_lot" ("member_id", "expires_at", "earned_at") where "remaining" > 0;`);
    this.addSql(`alter table "points_lot" add constraint "points_lot_journal_id_unique" unique ("journal_id");`);

    this.addSql(`create table "points_transfer" ("id" uuid not null, "journal_id" uuid not null, "debit_account_id" text not null, "credit_account_id" text not null, "amount" int not null, "lot_id" uuid null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "points_transfer_journal_id_index" on "points_transfer" ("journal_id");`);
    this.addSql(`create index "points_transfer_lot_id_index" on "points_transfer" ("lot_id");`);
    this.addSql(`create index "points_transfer_credit_account_id_index" on "points_transfer" ("credit_account_id");`);
    this.addSql(`create index "points_transfer_debit_account_id_index" on "points_transfer" ("debit_account_id");`);

    this.addSql(`create table "tier_change" ("id" uuid not null, "member_id" uuid not null, "from_tier" text not null, "to_tier" text not null, "reason" "tier_change_reason" not null, "at" timestamptz not null, "qualifying_spend" bigint not null, "activity_id" uuid null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "tier_change_member_id_at_index" on "tier_change" ("member_id", "at");`);

    this.addSql(`create table "tier_qualifying_month" ("member_id" uuid not null, "month" date not null, "spend" bigint not null default '0', "orders" int not null default 0, "points_earned" int not null default 0, primary key ("member_id", "month"));`);

    this.addSql(`alter table "partner" add "points_issue_price_per1000" int null, add "points_burn_price_per1000" int null, add "points_currency" text null;`);

    this.addSql(`alter table "test_clock_member" add "joined_at" timestamptz null;`);

    this.addSql(`alter table "campaign" add constraint "campaign_budget_kept" check (budget_points is null or points_granted <= budget_points);`);
    this.addSql(`alter table "campaign" add constraint "campaign_window" check (ends_at > starts_at);`);

    this.addSql(`alter table "campaign_announcement" add constraint "campaign_announcement_campaign_code_foreign" foreign key ("campaign_code") references "campaign" ("code");`);

    this.addSql(`alter table "campaign_grant" add constraint "campaign_grant_campaign_code_foreign" foreign key ("campaign_code") references "campaign" ("code");`);
    this.addSql(`alter table "campaign_grant" add constraint "campaign_grant_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`create or replace function "campaign_grant_append_only_fn"() returns trigger as \$\$ begin raise exception 'campaign_grant is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "campaign_grant" for each ROW execute function "campaign_grant_append_only_fn"();`);

    this.addSql(`alter table "activity" add constraint "activity_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`alter table "activity" add constraint "activity_refund_of_id_foreign" foreign key ("refund_of_id") references "activity" ("id") on delete set null;`);

    this.addSql(`alter table "member_birthday" add constraint "member_birthday_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "member_birthday" add constraint "member_birthday_valid" check (((month >= 1) AND (month <= 12)) AND ((day >= 1) AND (day <= 31)));`);

    this.addSql(`alter table "member_tier" add constraint "member_tier_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "membership_card" add constraint "membership_card_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`alter table "membership_card" add constraint "membership_card_partner_id_foreign" foreign key ("partner_id") references "partner" ("id");`);

    this.addSql(`alter table "loyalty_reward" add constraint "loyalty_reward_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on delete set null;`);

    this.addSql(`alter table "points_account" add constraint "points_account_member_id_foreign" foreign key ("member_id") references "member" ("id") on delete set null;`);
    this.addSql(`alter table "points_account" add constraint "points_account_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on delete set null;`);
    this.addSql(`alter table "points_account" add constraint "points_account_debt_not_positive" check (kind <> 'MEMBER_DEBT' or balance <= 0);`);
    this.addSql(`alter table "points_account" add constraint "points_account_member_not_negative" check (kind <> 'MEMBER' or balance >= 0);`);

    this.addSql(`alter table "points_journal" add constraint "points_journal_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`create or replace function "points_journal_append_only_fn"() returns trigger as \$\$ begin raise exception 'points_journal is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "points_journal" for each ROW execute function "points_journal_append_only_fn"();`);

    this.addSql(`alter table "points_lot" add constraint "points_lot_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`alter table "points_lot" add constraint "points_lot_journal_id_foreign" foreign key ("journal_id") references "points_journal" ("id");`);
    this.addSql(`alter table "points_lot" add constraint "points_lot_remaining_in_range" check (remaining >= 0 and remaining <= earned);`);

    this.addSql(`alter table "points_transfer" add constraint "points_transfer_journal_id_foreign" foreign key ("journal_id") references "points_journal" ("id");`);
    this.addSql(`alter table "points_transfer" add constraint "points_transfer_debit_account_id_foreign" foreign key ("debit_account_id") references "points_account" ("id");`);
    this.addSql(`alter table "points_transfer" add constraint "points_transfer_credit_account_id_foreign" foreign key ("credit_account_id") references "points_account" ("id");`);
    this.addSql(`alter table "points_transfer" add constraint "points_transfer_lot_id_foreign" foreign key ("lot_id") references "points_lot" ("id") on delete set null;`);
    this.addSql(`alter table "points_transfer" add constraint "points_transfer_two_accounts" check (debit_account_id <> credit_account_id);`);
    this.addSql(`alter table "points_transfer" add constraint "points_transfer_amount_positive" check (amount > 0);`);
    this.addSql(`create or replace function "points_transfer_append_only_fn"() returns trigger as \$\$ begin raise exception 'points_transfer is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "points_transfer" for each ROW execute function "points_transfer_append_only_fn"();`);

    this.addSql(`alter table "tier_change" add constraint "tier_change_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`create or replace function "tier_change_append_only_fn"() returns trigger as \$\$ begin raise exception 'tier_change is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "tier_change" for each ROW execute function "tier_change_append_only_fn"();`);

    this.addSql(`alter table "tier_qualifying_month" add constraint "tier_qualifying_month_member_id_foreign" foreign key ("member_id") references "member" ("id");`);

    // The program's own ledger accounts (partners' and members' are opened on first use).
    this.addSql(`insert into "points_account" ("id", "kind") values ('issued', 'ISSUED'), ('redeemed', 'REDEEMED'), ('expired', 'EXPIRED'), ('reversed', 'REVERSED');`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "campaign_announcement" drop constraint "campaign_announcement_campaign_code_foreign";`);
    this.addSql(`alter table "campaign_grant" drop constraint "campaign_grant_campaign_code_foreign";`);
    this.addSql(`alter table "activity" drop constraint "activity_refund_of_id_foreign";`);
    this.addSql(`alter table "points_transfer" drop constraint "points_transfer_debit_account_id_foreign";`);
    this.addSql(`alter table "points_transfer" drop constraint "points_transfer_credit_account_id_foreign";`);
    this.addSql(`alter table "points_lot" drop constraint "points_lot_journal_id_foreign";`);
    this.addSql(`alter table "points_transfer" drop constraint "points_transfer_journal_id_foreign";`);
    this.addSql(`alter table "points_transfer" drop constraint "points_transfer_lot_id_foreign";`);

    this.addSql(`drop table if exists "campaign" cascade;`);
    this.addSql(`drop table if exists "campaign_announcement" cascade;`);
    this.addSql(`drop table if exists "channel_api_key" cascade;`);
    this.addSql(`drop table if exists "loyalty_program" cascade;`);
    this.addSql(`drop table if exists "loyalty_tier" cascade;`);
    this.addSql(`drop trigger if exists "append_only" on "campaign_grant";`);
    this.addSql(`drop function if exists "campaign_grant_append_only_fn"();`);
    this.addSql(`drop table if exists "campaign_grant" cascade;`);
    this.addSql(`drop table if exists "activity" cascade;`);
    this.addSql(`drop sequence if exists "activity_seq";`);
    this.addSql(`drop table if exists "member_birthday" cascade;`);
    this.addSql(`drop table if exists "member_tier" cascade;`);
    this.addSql(`drop table if exists "membership_card" cascade;`);
    this.addSql(`drop table if exists "loyalty_reward" cascade;`);
    this.addSql(`drop table if exists "points_account" cascade;`);
    this.addSql(`drop trigger if exists "append_only" on "points_journal";`);
    this.addSql(`drop function if exists "points_journal_append_only_fn"();`);
    this.addSql(`drop table if exists "points_journal" cascade;`);
    this.addSql(`drop table if exists "points_lot" cascade;`);
    this.addSql(`drop trigger if exists "append_only" on "points_transfer";`);
    this.addSql(`drop function if exists "points_transfer_append_only_fn"();`);
    this.addSql(`drop table if exists "points_transfer" cascade;`);
    this.addSql(`drop trigger if exists "append_only" on "tier_change";`);
    this.addSql(`drop function if exists "tier_change_append_only_fn"();`);
    this.addSql(`drop table if exists "tier_change" cascade;`);
    this.addSql(`drop table if exists "tier_qualifying_month" cascade;`);

    this.addSql(`alter table "partner" drop column "points_issue_price_per1000", drop column "points_burn_price_per1000", drop column "points_currency";`);

    this.addSql(`alter table "test_clock_member" drop column "joined_at";`);

    this.addSql(`drop type "campaign_kind";`);
    this.addSql(`drop type "activity_type";`);
    this.addSql(`drop type "points_account_kind";`);
    this.addSql(`drop type "points_journal_kind";`);
    this.addSql(`drop type "tier_change_reason";`);
  }

}
