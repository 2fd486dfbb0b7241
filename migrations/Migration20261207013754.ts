import { Migration } from '@mikro-orm/migrations';

// The subscription lifecycle (issue 9): plans' trial, reminder, grace, retry, refund and
// grandfathering settings; benefits' member-facing value; memberships that renew through a
// mandate, on a test clock or real time, due at an indexed instant; payments by kind and
// period, refunds, the membership timeline, provider notifications applied; members'
// notifications; test clocks.
export class Migration20261207013754 extends Migration {

  override name = 'Migration20261207013754';

  override up(): void | Promise<void> {
    this.addSql(`create type "grace_access" as enum ('USABLE', 'SUSPENDED');`);
    this.addSql(`create type "refund_policy" as enum ('FULL', 'PRO_RATA', 'PRO_RATA_MINUS_USED');`);
    this.addSql(`create type "payment_kind" as enum ('INITIAL', 'RENEWAL', 'TRIAL_CONVERSION', 'RECOVERY', 'PRORATION');`);
    this.addSql(`create type "refund_status" as enum ('PENDING', 'SUCCEEDED', 'FAILED');`);
    this.addSql(`create table "member_notification" ("id" uuid not null, "member_id" uuid not null, "type" text not null, "at" timestamptz not null, "title" jsonb not null, "body" jsonb not null, "data" jsonb null, "dedupe_key" text null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "member_notification" add constraint "member_notification_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`create index "member_notification_member_id_at_index" on "member_notification" ("member_id", "at");`);

    this.addSql(`create table "payment_notification" ("id" uuid not null, "provider" text not null, "notification_id" text not null, "payment_id" uuid not null, "outcome" text not null, "provider_reference" text null, "failure_reason" text null, "received_at" timestamptz not null default now(), "apply_at" timestamptz not null default (now() + '00:00:10'::interval), "applied_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "payment_notification" add constraint "payment_notification_provider_notification_id_unique" unique ("provider", "notification_id");`);
    this.addSql(`create index "payment_notification_unapplied" on "payment_notification" ("apply_at") where "applied_at" is null;`);

    this.addSql(`create table "payment_refund" ("id" uuid not null, "payment_id" uuid not null, "amount" int not null, "currency" char(3) not null, "status" "refund_status" not null, "reason" text not null, "provider_reference" text null, "requested_at" timestamptz not null, "retry_at" timestamptz null, "settled_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "payment_refund_payment_id_index" on "payment_refund" ("payment_id");`);

    this.addSql(`create table "membership_event" ("id" uuid not null, "membership_id" uuid not null, "type" text not null, "at" timestamptz not null, "data" jsonb null, "recorded_at" timestamptz not null default clock_timestamp(), primary key ("id"));`);
    this.addSql(`create index "membership_event_membership_id_at_index" on "membership_event" ("membership_id", "at");`);

    this.addSql(`create table "test_clock" ("id" uuid not null, "name" text not null, "frozen_time" timestamptz not null, "created_at" timestamptz not null default now(), primary key ("id"));`);

    this.addSql(`create table "test_clock_member" ("member_id" uuid not null, "test_clock_id" uuid not null, "attached_at" timestamptz not null default now(), primary key ("member_id"));`);
    this.addSql(`create index "test_clock_member_test_clock_id_index" on "test_clock_member" ("test_clock_id");`);

    this.addSql(`alter table "benefit" add "member_value_amount" int null, add "member_value_currency" text null;`);
    this.addSql(`alter table "benefit" add constraint "benefit_member_value_valid" check ((member_value_amount is null and member_value_currency is null) or (member_value_amount >= 0 and member_value_currency ~ '^[A-Z]{3}\$'));`);

    this.addSql(`alter table "plan" add "trial_days" int not null default 0, add "trial_benefit_codes" text[] null, add "reminder_days" int not null default 7, add "grace_days" int not null default 7, add "grace_access" "grace_access" not null default 'USABLE', add "retry_days" integer[] not null default '{1,3,5}', add "refund_policy" "refund_policy" not null default 'PRO_RATA_MINUS_USED', add "grandfathered" boolean not null default false;`);
    this.addSql(`alter table "plan" add constraint "plan_lifecycle_days_valid" check (trial_days >= 0 and reminder_days >= 0 and grace_days >= 0 and price_amount >= 0);`);

    // A new type rather than ADD VALUE: the new values are used in this transaction (the index below).
    this.addSql(`drop index "membership_one_live_per_member";`);
    this.addSql(`alter type "membership_status" rename to "membership_status_before_lifecycle";`);
    this.addSql(`create type "membership_status" as enum ('PENDING_PAYMENT', 'TRIALING', 'ACTIVE', 'PAST_DUE', 'PAYMENT_FAILED', 'CANCELED', 'EXPIRED');`);
    this.addSql(`alter table "membership" alter column "status" type "membership_status" using "status"::text::"membership_status";`);
    this.addSql(`drop type "membership_status_before_lifecycle";`);
    // A trialing or past-due membership is live too: still one per member.
    this.addSql(`create unique index "membership_one_live_per_member" on "membership" ("member_id") where "status" in ('PENDING_PAYMENT', 'TRIALING', 'ACTIVE', 'PAST_DUE');`);
    this.addSql(`alter table "membership" add "auto_renew" boolean not null default true, add "mandate_id" text null, add "test_clock_id" uuid null, add "trial_ends_at" timestamptz null, add "next_due_at" timestamptz null, add "reminded_for" timestamptz null, add "past_due_since" timestamptz null, add "grace_ends_at" timestamptz null, add "failed_attempts" int not null default 0, add "next_plan_id" uuid null, add "ended_at" timestamptz null;`);
    this.addSql(`alter table "membership" add constraint "membership_next_plan_id_foreign" foreign key ("next_plan_id") references "plan" ("id") on delete set null;`);
    this.addSql(`create index "membership_due_on_clock" on "membership" ("test_clock_id", "next_due_at") where "next_due_at" is not null and "test_clock_id" is not null;`);
    this.addSql(`create index "membership_due" on "membership" ("next_due_at") where "next_due_at" is not null and "test_clock_id" is null;`);
    this.addSql(`create unique index "membership_one_trial_per_member" on "membership" ("member_id") where "trial_ends_at" is not null;`);

    this.addSql(`alter table "payment" add "kind" "payment_kind" not null default 'INITIAL', add "plan_id" uuid null, add "period_start" timestamptz null, add "period_end" timestamptz null, add "mandate_id" text null, add "attempt" int not null default 1, add "failure_reason" text null, add "refunded_amount" int not null default 0, add "credit_applied" int not null default 0, add "query_at" timestamptz null, add "request_id" text null, add "charged_at" timestamptz null;`);
    this.addSql(`alter table "payment" add constraint "payment_plan_id_foreign" foreign key ("plan_id") references "plan" ("id") on delete set null;`);
    this.addSql(`create unique index "payment_one_pending_per_period" on "payment" ("membership_id", "period_start") where "status" = 'PENDING';`);
    this.addSql(`create unique index "payment_one_success_per_period" on "payment" ("membership_id", "period_start") where "status" not in ('PENDING', 'FAILED') and "kind" <> 'PRORATION';`);

    this.addSql(`alter table "entitlement" add "activated_at" timestamptz null, add "revoked_at" timestamptz null;`);

    // The outbox is claimed in (available_at, created_at) order: an index in that order lets a claim stop at the first event it may take.
    this.addSql(`drop index "outbox_event_due";`);
    this.addSql(`create index "outbox_event_due" on "outbox_event" ("available_at", "created_at") where "delivered_at" is null and "dead_at" is null;`);

    this.addSql(`alter table "member_notification" add constraint "member_notification_member_id_foreign" foreign key ("member_id") references "member" ("id");`);

    this.addSql(`alter table "payment_refund" add constraint "payment_refund_payment_id_foreign" foreign key ("payment_id") references "payment" ("id");`);
    this.addSql(`alter table "payment_refund" add constraint "payment_refund_amount_positive" check (amount > 0);`);

    this.addSql(`alter table "membership_event" add constraint "membership_event_membership_id_foreign" foreign key ("membership_id") references "membership" ("id") on delete cascade;`);

    this.addSql(`alter table "test_clock_member" add constraint "test_clock_member_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "test_clock_member" add constraint "test_clock_member_test_clock_id_foreign" foreign key ("test_clock_id") references "test_clock" ("id");`);

    // Memberships bought before renewals existed gave no mandate: they end at their period's end
    // as they always did (auto_renew off); their next due instant is "now", so the first worker
    // run computes it. Their payments pay their current period.
    this.addSql(`update "membership" set "auto_renew" = false where "mandate_id" is null;`);
    this.addSql(`update "membership" set "next_due_at" = now() where "status" in ('PENDING_PAYMENT', 'ACTIVE');`);
    this.addSql(`update "membership" set "ended_at" = coalesce("canceled_at", "current_period_end") where "status" in ('CANCELED', 'EXPIRED', 'PAYMENT_FAILED');`);
    this.addSql(`update "payment" p set "plan_id" = m."plan_id", "period_start" = m."current_period_start", "period_end" = m."current_period_end", "charged_at" = p."created_at"
      from "membership" m where m."id" = p."membership_id" and p."status"::text in ('SUCCEEDED', 'REFUNDED');`);
    this.addSql(`update "payment" p set "plan_id" = m."plan_id", "charged_at" = p."created_at", "query_at" = now()
      from "membership" m where m."id" = p."membership_id" and p."status" = 'PENDING';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`do $$ begin
      if exists (select 1 from "membership" where "status" in ('TRIALING', 'PAST_DUE')) then
        raise exception 'trialing or past-due memberships exist: they cannot be represented before the subscription lifecycle';
      end if;
    end $$;`);
    this.addSql(`drop index "membership_one_live_per_member";`);
    this.addSql(`alter type "membership_status" rename to "membership_status_with_lifecycle";`);
    this.addSql(`create type "membership_status" as enum ('PENDING_PAYMENT', 'ACTIVE', 'PAYMENT_FAILED', 'CANCELED', 'EXPIRED');`);
    this.addSql(`alter table "membership" alter column "status" type "membership_status" using "status"::text::"membership_status";`);
    this.addSql(`drop type "membership_status_with_lifecycle";`);
    this.addSql(`create unique index "membership_one_live_per_member" on "membership" ("member_id") where "status" in ('PENDING_PAYMENT', 'ACTIVE');`);

    this.addSql(`alter table "test_clock_member" drop constraint "test_clock_member_test_clock_id_foreign";`);

    this.addSql(`drop table if exists "member_notification" cascade;`);
    this.addSql(`drop table if exists "payment_notification" cascade;`);
    this.addSql(`drop table if exists "payment_refund" cascade;`);
    this.addSql(`drop table if exists "membership_event" cascade;`);
    this.addSql(`drop table if exists "test_clock" cascade;`);
    this.addSql(`drop table if exists "test_clock_member" cascade;`);

    this.addSql(`alter table "membership" drop constraint "membership_next_plan_id_foreign";`);

    this.addSql(`alter table "payment" drop constraint "payment_plan_id_foreign";`);

    this.addSql(`alter table "benefit" drop constraint "benefit_member_value_valid";`);
    this.addSql(`alter table "benefit" drop column "member_value_amount", drop column "member_value_currency";`);

    this.addSql(`alter table "entitlement" drop column "activated_at", drop column "revoked_at";`);
    this.addSql(`drop index "outbox_event_due";`);
    this.addSql(`create index "outbox_event_due" on "outbox_event" ("available_at") where "delivered_at" is null and "dead_at" is null;`);

    this.addSql(`drop index "membership_due_on_clock";`);
    this.addSql(`drop index "membership_due";`);
    this.addSql(`drop index "membership_one_trial_per_member";`);
    this.addSql(`alter table "membership" drop column "auto_renew", drop column "mandate_id", drop column "test_clock_id", drop column "trial_ends_at", drop column "next_due_at", drop column "reminded_for", drop column "past_due_since", drop column "grace_ends_at", drop column "failed_attempts", drop column "next_plan_id", drop column "ended_at";`);

    this.addSql(`drop index "payment_one_pending_per_period";`);
    this.addSql(`drop index "payment_one_success_per_period";`);
    this.addSql(`alter table "payment" drop column "kind", drop column "plan_id", drop column "period_start", drop column "period_end", drop column "mandate_id", drop column "attempt", drop column "failure_reason", drop column "refunded_amount", drop column "credit_applied", drop column "query_at", drop column "request_id", drop column "charged_at";`);

    this.addSql(`alter table "plan" drop constraint "plan_lifecycle_days_valid";`);
    this.addSql(`alter table "plan" drop column "trial_days", drop column "trial_benefit_codes", drop column "reminder_days", drop column "grace_days", drop column "grace_access", drop column "retry_days", drop column "refund_policy", drop column "grandfathered";`);

    this.addSql(`drop type "grace_access";`);
    this.addSql(`drop type "refund_policy";`);
    this.addSql(`drop type "payment_kind";`);
    this.addSql(`drop type "refund_status";`);
  }

}
