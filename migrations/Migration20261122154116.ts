import { Migration } from '@mikro-orm/migrations';

export class Migration20261122154116 extends Migration {

  override name = 'Migration20261122154116';

  override up(): void | Promise<void> {
    this.addSql(`create type "benefit_kind" as enum ('ACCESS', 'QUOTA', 'VOUCHER', 'DISCOUNT');`);
    this.addSql(`create type "benefit_period" as enum ('MEMBERSHIP_TERM', 'CALENDAR_MONTH');`);
    this.addSql(`create type "billing_period" as enum ('MONTH', 'YEAR');`);
    this.addSql(`create type "membership_status" as enum ('PENDING_PAYMENT', 'ACTIVE', 'PAYMENT_FAILED', 'CANCELED', 'EXPIRED');`);
    this.addSql(`create type "payment_status" as enum ('PENDING', 'SUCCEEDED', 'FAILED');`);
    this.addSql(`create type "entitlement_status" as enum ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED', 'REVOKED', 'EXPIRED');`);
    this.addSql(`create table "bundle" ("id" uuid not null, "code" text not null, primary key ("id"));`);
    this.addSql(`alter table "bundle" add constraint "bundle_code_unique" unique ("code");`);

    this.addSql(`create table "bundle_version" ("id" uuid not null, "bundle_id" uuid not null, "version" int not null, "effective_from" timestamptz not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "bundle_version" add constraint "bundle_version_bundle_id_version_unique" unique ("bundle_id", "version");`);

    this.addSql(`create table "member" ("id" uuid not null, "issuer" text not null, "subject" text not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "member" add constraint "member_issuer_subject_unique" unique ("issuer", "subject");`);

    this.addSql(`create table "partner" ("id" text not null, "name" jsonb not null, "created_at" timestamptz not null default now(), primary key ("id"));`);

    this.addSql(`create table "benefit" ("id" uuid not null, "code" text not null, "partner_id" text not null, "kind" "benefit_kind" not null, "name" jsonb not null, "description" jsonb not null, primary key ("id"));`);
    this.addSql(`alter table "benefit" add constraint "benefit_code_unique" unique ("code");`);

    this.addSql(`create table "bundle_benefit" ("id" uuid not null, "bundle_version_id" uuid not null, "benefit_id" uuid not null, "quota" int null, "period" "benefit_period" not null, "position" int not null default 0, primary key ("id"));`);
    this.addSql(`alter table "bundle_benefit" add constraint "bundle_benefit_bundle_version_id_benefit_id_unique" unique ("bundle_version_id", "benefit_id");`);

    this.addSql(`create table "partner_api_key" ("id" uuid not null, "partner_id" text not null, "key_hash" text not null, "prefix" text not null, "created_at" timestamptz not null default now(), "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "partner_api_key" add constraint "partner_api_key_key_hash_unique" unique ("key_hash");`);

    this.addSql(`create table "plan" ("id" uuid not null, "code" text not null, "name" jsonb not null, "price_amount" int not null, "currency" char(3) not null, "billing_period" "billing_period" not null, "bundle_id" uuid not null, "active" boolean not null default true, primary key ("id"));`);
    this.addSql(`alter table "plan" add constraint "plan_code_unique" unique ("code");`);

    this.addSql(`create table "membership" ("id" uuid not null, "member_id" uuid not null, "plan_id" uuid not null, "bundle_version_id" uuid not null, "status" "membership_status" not null, "idempotency_key" text not null, "current_period_start" timestamptz null, "current_period_end" timestamptz null, "cancel_at_period_end" boolean not null default false, "canceled_at" timestamptz null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create unique index "membership_one_live_per_member" on "membership" ("member_id") where "status" in ('PENDING_PAYMENT', 'ACTIVE');`);
    this.addSql(`alter table "membership" add constraint "membership_member_id_idempotency_key_unique" unique ("member_id", "idempotency_key");`);

    this.addSql(`create table "payment" ("id" uuid not null, "membership_id" uuid not null, "provider" text not null, "provider_reference" text null, "amount" int not null, "currency" char(3) not null, "status" "payment_status" not null, "created_at" timestamptz not null default now(), "settled_at" timestamptz null, primary key ("id"));`);

    this.addSql(`create table "entitlement" ("id" uuid not null, "member_id" uuid not null, "membership_id" uuid not null, "benefit_id" uuid not null, "status" "entitlement_status" not null, "period_start" timestamptz not null, "period_end" timestamptz not null, "quota" int null, "used" int not null default 0, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "entitlement_member_id_period_end_index" on "entitlement" ("member_id", "period_end");`);
    this.addSql(`alter table "entitlement" add constraint "entitlement_membership_id_benefit_id_period_start_unique" unique ("membership_id", "benefit_id", "period_start");`);
    this.addSql(`alter table "entitlement" add constraint "entitlement_used_within_quota" check (used >= 0 and (quota is null or used <= quota));`);

    this.addSql(`create table "issued_token" ("jti" text not null, "entitlement_id" uuid not null, "partner_id" text not null, "kid" text not null, "issued_at" timestamptz not null default now(), "expires_at" timestamptz not null, primary key ("jti"));`);

    this.addSql(`create table "redemption" ("id" uuid not null, "entitlement_id" uuid not null, "partner_id" text not null, "units" int not null, "token_jti" text not null, "idempotency_key" text not null, "request_hash" text not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`alter table "redemption" add constraint "redemption_token_jti_unique" unique ("token_jti");`);
    this.addSql(`create index "redemption_partner_id_created_at_index" on "redemption" ("partner_id", "created_at");`);
    this.addSql(`create index "redemption_entitlement_id_index" on "redemption" ("entitlement_id");`);
    this.addSql(`alter table "redemption" add constraint "redemption_partner_idempotency_key" unique ("partner_id", "idempotency_key");`);
    this.addSql(`alter table "redemption" add constraint "redemption_units_positive" check (units > 0);`);
    this.addSql(`create or replace function "redemption_append_only_fn"() returns trigger as \$\$ begin raise exception 'redemption is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "redemption" for each ROW execute function "redemption_append_only_fn"();`);

    this.addSql(`alter table "bundle_version" add constraint "bundle_version_bundle_id_foreign" foreign key ("bundle_id") references "bundle" ("id");`);

    this.addSql(`alter table "benefit" add constraint "benefit_partner_id_foreign" foreign key ("partner_id") references "partner" ("id");`);

    this.addSql(`alter table "bundle_benefit" add constraint "bundle_benefit_bundle_version_id_foreign" foreign key ("bundle_version_id") references "bundle_version" ("id") on delete cascade;`);
    this.addSql(`alter table "bundle_benefit" add constraint "bundle_benefit_benefit_id_foreign" foreign key ("benefit_id") references "benefit" ("id");`);

    this.addSql(`alter table "partner_api_key" add constraint "partner_api_key_partner_id_foreign" foreign key ("partner_id") references "partner" ("id") on delete cascade;`);

    this.addSql(`alter table "plan" add constraint "plan_bundle_id_foreign" foreign key ("bundle_id") references "bundle" ("id");`);

    this.addSql(`alter table "membership" add constraint "membership_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`alter table "membership" add constraint "membership_plan_id_foreign" foreign key ("plan_id") references "plan" ("id");`);
    this.addSql(`alter table "membership" add constraint "membership_bundle_version_id_foreign" foreign key ("bundle_version_id") references "bundle_version" ("id");`);

    this.addSql(`alter table "payment" add constraint "payment_membership_id_foreign" foreign key ("membership_id") references "membership" ("id");`);

    this.addSql(`alter table "entitlement" add constraint "entitlement_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`alter table "entitlement" add constraint "entitlement_membership_id_foreign" foreign key ("membership_id") references "membership" ("id");`);
    this.addSql(`alter table "entitlement" add constraint "entitlement_benefit_id_foreign" foreign key ("benefit_id") references "benefit" ("id");`);

    this.addSql(`alter table "issued_token" add constraint "issued_token_entitlement_id_foreign" foreign key ("entitlement_id") references "entitlement" ("id");`);

    this.addSql(`alter table "redemption" add constraint "redemption_entitlement_id_foreign" foreign key ("entitlement_id") references "entitlement" ("id");`);
    this.addSql(`alter table "redemption" add constraint "redemption_partner_id_foreign" foreign key ("partner_id") references "partner" ("id");`);
  }

}
