import { Migration } from '@mikro-orm/migrations';

export class Migration20261122171550 extends Migration {

  override name = 'Migration20261122171550';

  override up(): void | Promise<void> {
    this.addSql(`create table "audit_log" ("id" uuid not null, "seq" bigint not null, "at" timestamptz not null, "actor" text not null, "action" text not null, "subject" text not null, "before" jsonb null, "after" jsonb null, "request_id" text null, "prev_hash" text not null, "hash" text not null, primary key ("id"));`);
    this.addSql(`alter table "audit_log" add constraint "audit_log_seq_unique" unique ("seq");`);
    this.addSql(`create index "audit_log_action_index" on "audit_log" ("action");`);
    this.addSql(`create index "audit_log_subject_index" on "audit_log" ("subject");`);

    this.addSql(`create or replace function "audit_log_append_only_fn"() returns trigger as \$\$ begin raise exception 'audit_log is append-only' using errcode = 'restrict_violation'; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "append_only" BEFORE UPDATE OR DELETE on "audit_log" for each ROW execute function "audit_log_append_only_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger if exists "append_only" on "audit_log";`);
    this.addSql(`drop function if exists "audit_log_append_only_fn"();`);
    this.addSql(`drop table if exists "audit_log" cascade;`);
  }

}
