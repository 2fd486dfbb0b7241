import { Migration } from '@mikro-orm/migrations';

export class Migration20261207125504 extends Migration {

  override name = 'Migration20261207125504';

  override up(): void | Promise<void> {
    // The Citus shape (docs/citus.md, npm run check:citus): no ON UPDATE CASCADE on a member's key
    // (Citus refuses it on the distribution column; a member's id never changes); unique keys of
    // member-sharded tables that include the member (each dedupe key already names something of
    // one member, so (member_id, key) refuses exactly what (key) did); and primary keys
    // (id, member_id) for member rows no foreign key points at.
    this.addSql(`alter table "member_birthday" drop constraint "member_birthday_member_id_foreign";`);

    this.addSql(`alter table "member_messaging_preference" drop constraint "member_messaging_preference_member_id_foreign";`);

    this.addSql(`alter table "member_segment_score" drop constraint "member_segment_score_member_id_foreign";`);

    this.addSql(`alter table "member_tier" drop constraint "member_tier_member_id_foreign";`);

    this.addSql(`alter table "test_clock_member" drop constraint "test_clock_member_member_id_foreign";`);

    this.addSql(`alter table "member_birthday" add constraint "member_birthday_member_id_foreign" foreign key ("member_id") references "member" ("id") on update no action on delete cascade;`);

    this.addSql(`alter table "member_messaging_preference" add constraint "member_messaging_preference_member_id_foreign" foreign key ("member_id") references "member" ("id") on update no action on delete cascade;`);

    this.addSql(`alter table "member_moment" drop constraint "member_moment_dedupe_key_unique";`);
    this.addSql(`alter table "member_moment" drop constraint "member_moment_pkey";`);
    this.addSql(`alter table "member_moment" add constraint "member_moment_member_id_dedupe_key_unique" unique ("member_id", "dedupe_key");`);
    this.addSql(`alter table "member_moment" add primary key ("id", "member_id");`);

    this.addSql(`alter table "member_notification" drop constraint "member_notification_dedupe_key_unique";`);
    this.addSql(`alter table "member_notification" drop constraint "member_notification_pkey";`);
    this.addSql(`alter table "member_notification" add constraint "member_notification_member_id_dedupe_key_unique" unique ("member_id", "dedupe_key");`);
    this.addSql(`alter table "member_notification" add primary key ("id", "member_id");`);

    this.addSql(`alter table "member_segment_change" drop constraint "member_segment_change_pkey";`);
    this.addSql(`alter table "member_segment_change" add primary key ("id", "member_id");`);

    this.addSql(`alter table "member_segment_score" add constraint "member_segment_score_member_id_foreign" foreign key ("member_id") references "member" ("id") on update no action on delete cascade;`);

    this.addSql(`alter table "member_tier" add constraint "member_tier_member_id_foreign" foreign key ("member_id") references "member" ("id") on update no action on delete cascade;`);

    this.addSql(`alter table "campaign_grant" drop constraint "campaign_grant_campaign_code_activity_id_unique";`);
    this.addSql(`alter table "campaign_grant" drop constraint "campaign_grant_pkey";`);
    this.addSql(`alter table "campaign_grant" add constraint "campaign_grant_member_id_campaign_code_activity_id_unique" unique ("member_id", "campaign_code", "activity_id");`);
    this.addSql(`alter table "campaign_grant" add primary key ("id", "member_id");`);

    this.addSql(`alter table "campaign_benefit_grant" drop constraint "campaign_benefit_grant_entitlement_id_unique";`);
    this.addSql(`alter table "campaign_benefit_grant" drop constraint "campaign_benefit_grant_pkey";`);
    this.addSql(`alter table "campaign_benefit_grant" add constraint "campaign_benefit_grant_member_id_entitlement_id_unique" unique ("member_id", "entitlement_id");`);
    this.addSql(`alter table "campaign_benefit_grant" add primary key ("id", "member_id");`);

    this.addSql(`alter table "reward_redemption" drop constraint "reward_redemption_pkey";`);
    this.addSql(`alter table "reward_redemption" add primary key ("id", "member_id");`);

    this.addSql(`alter table "test_clock_member" add constraint "test_clock_member_member_id_foreign" foreign key ("member_id") references "member" ("id") on update no action on delete cascade;`);

    this.addSql(`alter table "tier_change" drop constraint "tier_change_pkey";`);
    this.addSql(`alter table "tier_change" add primary key ("id", "member_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "member_birthday" drop constraint "member_birthday_member_id_foreign";`);

    this.addSql(`alter table "member_messaging_preference" drop constraint "member_messaging_preference_member_id_foreign";`);

    this.addSql(`alter table "member_segment_score" drop constraint "member_segment_score_member_id_foreign";`);

    this.addSql(`alter table "member_tier" drop constraint "member_tier_member_id_foreign";`);

    this.addSql(`alter table "test_clock_member" drop constraint "test_clock_member_member_id_foreign";`);

    this.addSql(`alter table "campaign_benefit_grant" drop constraint "campaign_benefit_grant_member_id_entitlement_id_unique";`);
    this.addSql(`alter table "campaign_benefit_grant" drop constraint "campaign_benefit_grant_pkey";`);
    this.addSql(`alter table "campaign_benefit_grant" add constraint "campaign_benefit_grant_entitlement_id_unique" unique ("entitlement_id");`);
    this.addSql(`alter table "campaign_benefit_grant" add primary key ("id");`);

    this.addSql(`alter table "campaign_grant" drop constraint "campaign_grant_member_id_campaign_code_activity_id_unique";`);
    this.addSql(`alter table "campaign_grant" drop constraint "campaign_grant_pkey";`);
    this.addSql(`alter table "campaign_grant" add constraint "campaign_grant_campaign_code_activity_id_unique" unique ("campaign_code", "activity_id");`);
    this.addSql(`alter table "campaign_grant" add primary key ("id");`);

    this.addSql(`alter table "member_birthday" add constraint "member_birthday_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "member_messaging_preference" add constraint "member_messaging_preference_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "member_moment" drop constraint "member_moment_member_id_dedupe_key_unique";`);
    this.addSql(`alter table "member_moment" drop constraint "member_moment_pkey";`);
    this.addSql(`alter table "member_moment" add constraint "member_moment_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`alter table "member_moment" add primary key ("id");`);

    this.addSql(`alter table "member_notification" drop constraint "member_notification_member_id_dedupe_key_unique";`);
    this.addSql(`alter table "member_notification" drop constraint "member_notification_pkey";`);
    this.addSql(`alter table "member_notification" add constraint "member_notification_dedupe_key_unique" unique ("dedupe_key");`);
    this.addSql(`alter table "member_notification" add primary key ("id");`);

    this.addSql(`alter table "member_segment_change" drop constraint "member_segment_change_pkey";`);
    this.addSql(`alter table "member_segment_change" add primary key ("id");`);

    this.addSql(`alter table "member_segment_score" add constraint "member_segment_score_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "member_tier" add constraint "member_tier_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "reward_redemption" drop constraint "reward_redemption_pkey";`);
    this.addSql(`alter table "reward_redemption" add primary key ("id");`);

    this.addSql(`alter table "test_clock_member" add constraint "test_clock_member_member_id_foreign" foreign key ("member_id") references "member" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "tier_change" drop constraint "tier_change_pkey";`);
    this.addSql(`alter table "tier_change" add primary key ("id");`);
  }

}
