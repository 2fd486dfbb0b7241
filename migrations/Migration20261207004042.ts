import { Migration } from '@mikro-orm/migrations';

// The audit log becomes independent chains, keyed: rows already there are the legacy chain 0
// (plain SHA-256, no key id) and stay verifiable as they are. The default only fills the old
// rows: dropped at once, so a writer that does not choose a chain (an old replica still
// running during the deploy) fails instead of appending to chain 0 out of order.
export class Migration20261207004042 extends Migration {

  override name = 'Migration20261207004042';

  override up(): void | Promise<void> {
    this.addSql(`alter table "audit_log" drop constraint "audit_log_seq_unique";`);
    this.addSql(`alter table "audit_log" add "chain" smallint not null default 0, add "key_id" text null;`);
    this.addSql(`alter table "audit_log" alter column "chain" drop default;`);
    this.addSql(`alter table "audit_log" add constraint "audit_log_chain_seq_unique" unique ("chain", "seq");`);
  }

  override down(): void | Promise<void> {
    // One global seq cannot hold rows of several chains, nor can plain SHA-256 verify keyed rows.
    this.addSql(`do $$ begin
      if exists (select 1 from "audit_log" where "chain" <> 0 or "key_id" is not null) then
        raise exception 'audit_log holds chained or keyed rows: they cannot go back to one unkeyed chain';
      end if;
    end $$;`);
    this.addSql(`alter table "audit_log" drop constraint "audit_log_chain_seq_unique";`);
    this.addSql(`alter table "audit_log" drop column "chain", drop column "key_id";`);
    this.addSql(`alter table "audit_log" add constraint "audit_log_seq_unique" unique ("seq");`);
  }

}
