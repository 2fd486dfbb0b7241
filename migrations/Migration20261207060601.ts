import { Migration } from '@mikro-orm/migrations';

export class Migration20261207060601 extends Migration {

  override name = 'Migration20261207060601';

  override up(): void | Promise<void> {
    this.addSql(`create type "entitlement_source" as enum ('MEMBERSHIP', 'REWARD', 'TIER', 'CAMPAIGN');`);
    this.addSql(`alter table "entitlement" add "source" "entitlement_source" not null default 'MEMBERSHIP', add "source_ref" text null, add "test_clock_id" uuid null;`);
    this.addSql(`alter table "entitlement" alter column "membership_id" drop not null;`);
    this.addSql(`create index "entitlement_grant_live_end" on "entitlement" ("test_clock_id", "period_end") where "membership_id" is null and "status" in ('PENDING_PROVISION', 'ACTIVE', 'SUSPENDED');`);
    this.addSql(`create unique index "entitlement_grant_unique" on "entitlement" ("member_id", "benefit_id", "source", "source_ref", "period_start") where "membership_id" is null;`);
    this.addSql(`alter table "entitlement" add constraint "entitlement_source_matches" check (((source = 'MEMBERSHIP'::entitlement_source) = (membership_id IS NOT NULL)) AND ((source = 'MEMBERSHIP'::entitlement_source) = (source_ref IS NULL)));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "entitlement_grant_live_end";`);
    this.addSql(`drop index "entitlement_grant_unique";`);
    this.addSql(`alter table "entitlement" drop constraint "entitlement_source_matches";`);
    this.addSql(`alter table "entitlement" drop column "source", drop column "source_ref", drop column "test_clock_id";`);
    this.addSql(`alter table "entitlement" alter column "membership_id" set not null;`);

    this.addSql(`drop type "entitlement_source";`);
  }

}
