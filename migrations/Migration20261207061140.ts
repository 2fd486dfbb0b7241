import { Migration } from '@mikro-orm/migrations';

export class Migration20261207061140 extends Migration {

  override name = 'Migration20261207061140';

  override up(): void | Promise<void> {
    this.addSql(`create table "campaign_benefit_grant" ("id" uuid not null, "campaign_code" text not null, "member_id" uuid not null, "entitlement_id" uuid not null, "occurrence" timestamptz not null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "campaign_benefit_grant_campaign_code_member_id_index" on "campaign_benefit_grant" ("campaign_code", "member_id");`);
    this.addSql(`alter table "campaign_benefit_grant" add constraint "campaign_benefit_grant_entitlement_id_unique" unique ("entitlement_id");`);

    this.addSql(`alter type "campaign_kind" add value if not exists 'EXTRA_BENEFIT' after 'BONUS_POINTS';`);
    this.addSql(`alter table "campaign" add "benefit_id" uuid null, add "benefit_quota" int null, add "budget_grants" int null, add "rights_granted" int not null default 0;`);
    this.addSql(`alter table "campaign" add constraint "campaign_benefit_id_foreign" foreign key ("benefit_id") references "benefit" ("id") on delete no action;`);
    this.addSql(`alter table "campaign" add constraint "campaign_benefit_quota_positive" check (benefit_quota is null or benefit_quota >= 1);`);
    this.addSql(`alter table "campaign" add constraint "campaign_benefit_named" check (((kind)::text = 'EXTRA_BENEFIT'::text) = (benefit_id IS NOT NULL));`);
    this.addSql(`alter table "campaign" add constraint "campaign_grants_budget_kept" check (budget_grants is null or rights_granted <= budget_grants);`);

    this.addSql(`alter table "campaign_benefit_grant" add constraint "campaign_benefit_grant_campaign_code_foreign" foreign key ("campaign_code") references "campaign" ("code");`);
    this.addSql(`alter table "campaign_benefit_grant" add constraint "campaign_benefit_grant_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
    this.addSql(`alter table "campaign_benefit_grant" add constraint "campaign_benefit_grant_entitlement_id_foreign" foreign key ("entitlement_id") references "entitlement" ("id");`);
    this.addSql(`create or replace function "campaign_benefit_grant_append_only_fn"() returns trigger as \$\$ begin raise exception 'campaign_benefit_grant is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "campaign_benefit_grant" for each ROW execute function "campaign_benefit_grant_append_only_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "append_only" on "campaign_benefit_grant";`);
    this.addSql(`drop function if exists "campaign_benefit_grant_append_only_fn"();`);
    this.addSql(`drop table if exists "campaign_benefit_grant" cascade;`);

    this.addSql(`alter table "campaign" drop constraint "campaign_benefit_id_foreign";`);

    this.addSql(`alter table "campaign" drop constraint "campaign_benefit_quota_positive";`);
    this.addSql(`alter table "campaign" drop constraint "campaign_benefit_named";`);
    this.addSql(`alter table "campaign" drop constraint "campaign_grants_budget_kept";`);
    this.addSql(`alter table "campaign" drop column "benefit_id", drop column "benefit_quota", drop column "budget_grants", drop column "rights_granted";`);
  }

}
