import { Migration } from '@mikro-orm/migrations';

export class Migration20261207061142 extends Migration {

  override name = 'Migration20261207061142';

  override up(): void | Promise<void> {
    this.addSql(`create type "reward_redemption_status" as enum ('REDEEMED', 'CANCELED');`);
    this.addSql(`create table "loyalty_tier_benefit" ("tier_code" text not null, "benefit_code" text not null, "quota" int null, primary key ("tier_code", "benefit_code"));`);

    this.addSql(`create table "reward_redemption" ("id" uuid not null, "member_id" uuid not null, "idempotency_key" text not null, "reward_code" text not null, "points" int not null, "spend_journal_id" uuid not null, "entitlement_id" uuid null, "status" "reward_redemption_status" not null, "redeemed_at" timestamptz not null, "canceled_at" timestamptz null, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "reward_redemption_member_id_redeemed_at_index" on "reward_redemption" ("member_id", "redeemed_at");`);
    this.addSql(`alter table "reward_redemption" add constraint "reward_redemption_member_id_idempotency_key_unique" unique ("member_id", "idempotency_key");`);

    this.addSql(`alter table "member_tier" add "rights_due_at" timestamptz null;`);
    this.addSql(`create index "member_tier_rights_due" on "member_tier" ("test_clock_id", "rights_due_at") where "rights_due_at" is not null;`);

    this.addSql(`alter table "loyalty_reward" add "validity_days" int not null default 30;`);

    this.addSql(`alter table "loyalty_tier_benefit" add constraint "loyalty_tier_benefit_tier_code_foreign" foreign key ("tier_code") references "loyalty_tier" ("code") on delete cascade;`);
    this.addSql(`alter table "loyalty_tier_benefit" add constraint "loyalty_tier_benefit_quota_positive" check (quota IS NULL OR quota > 0);`);

    this.addSql(`alter table "reward_redemption" add constraint "reward_redemption_member_id_foreign" foreign key ("member_id") references "member" ("id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "loyalty_tier_benefit" cascade;`);
    this.addSql(`drop table if exists "reward_redemption" cascade;`);

    this.addSql(`alter table "loyalty_reward" drop column "validity_days";`);

    this.addSql(`drop index "member_tier_rights_due";`);
    this.addSql(`alter table "member_tier" drop column "rights_due_at";`);

    this.addSql(`drop type "reward_redemption_status";`);
  }

}
