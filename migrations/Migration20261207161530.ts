import { Migration } from '@mikro-orm/migrations';

export class Migration20261207161530 extends Migration {

  override name = 'Migration20261207161530';

  override up(): void | Promise<void> {
    // A right that stops being usable flips its tokens by its member as well as its id: on Citus
    // the trigger's UPDATE stays on the right's own shard (docs/citus.md).
    this.addSql(`drop trigger if exists "invalidate_tokens" on "entitlement";`);
    this.addSql(`drop function if exists "entitlement_invalidate_tokens_fn"();`);
    this.addSql(`create or replace function "entitlement_invalidate_tokens_fn"() returns trigger as \$\$ begin update issued_token set status = 1, status_changed_at = now()
  where member_id = new.member_id and entitlement_id = new.id and status = 0 and expires_at > now() - interval '1 minute';   return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "invalidate_tokens" AFTER UPDATE on "entitlement" for each ROW
  when (((old.status IS DISTINCT FROM new.status) AND (new.status = ANY (ARRAY['REVOKED'::entitlement_status, 'SUSPENDED'::entitlement_status, 'EXPIRED'::entitlement_status])))) execute function "entitlement_invalidate_tokens_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "invalidate_tokens" on "entitlement";`);
    this.addSql(`drop function if exists "entitlement_invalidate_tokens_fn"();`);
    this.addSql(`create or replace function "entitlement_invalidate_tokens_fn"() returns trigger as \$\$ begin update issued_token set status = 1, status_changed_at = now()
  where entitlement_id = new.id and status = 0 and expires_at > now() - interval '1 minute';   return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "invalidate_tokens" AFTER UPDATE on "entitlement" for each ROW
  when (((old.status IS DISTINCT FROM new.status) AND (new.status = ANY (ARRAY['REVOKED'::entitlement_status, 'SUSPENDED'::entitlement_status, 'EXPIRED'::entitlement_status])))) execute function "entitlement_invalidate_tokens_fn"();`);
  }

}
