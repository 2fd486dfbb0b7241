import { Migration } from '@mikro-orm/migrations';

export class Migration20261122190000 extends Migration {

  override name = 'Migration20261122190000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "member" add "erased_at" timestamptz null;`);

    this.addSql(`create index "payment_membership_id_index" on "payment" ("membership_id");`);
    this.addSql(`create index "audit_log_actor_index" on "audit_log" ("actor");`);
    this.addSql(`create index "inbound_partner_event_entitlement_id_index" on "inbound_partner_event" (("body" ->> 'entitlementId'));`);

    this.addSql(`create or replace function "membership_member_not_erased_fn"() returns trigger as \$\$ begin perform 1 from member where id = new.member_id and erased_at is null for key share; if not found then raise exception 'member % is erased or unknown', new.member_id using errcode = 'restrict_violation'; end if; return new; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "member_not_erased" BEFORE INSERT on "membership" for each ROW execute function "membership_member_not_erased_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "member_not_erased" on "membership";`);
    this.addSql(`drop function if exists "membership_member_not_erased_fn"();`);

    this.addSql(`drop index "inbound_partner_event_entitlement_id_index";`);
    this.addSql(`drop index "audit_log_actor_index";`);
    this.addSql(`drop index "payment_membership_id_index";`);

    this.addSql(`alter table "member" drop column "erased_at";`);
  }

}
