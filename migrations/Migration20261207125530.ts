import { Migration } from '@mikro-orm/migrations';

export class Migration20261207125530 extends Migration {

  override name = 'Migration20261207125530';

  override up(): void | Promise<void> {
    this.addSql(`create table "catalog_version" ("id" int not null, "version" bigint not null default 1, primary key ("id"));`);
    // The one row every catalog change moves on (src/platform/catalog-cache.ts).
    this.addSql(`insert into "catalog_version" ("id", "version") values (1, 1);`);

    this.addSql(`create or replace function "partner_catalog_version_bump_fn"() returns trigger as \$\$ begin update catalog_version set version = version + 1 where id = 1; return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "catalog_version_bump" AFTER INSERT OR UPDATE OR DELETE on "partner" for each STATEMENT execute function "partner_catalog_version_bump_fn"();`);

    this.addSql(`create or replace function "benefit_catalog_version_bump_fn"() returns trigger as \$\$ begin update catalog_version set version = version + 1 where id = 1; return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "catalog_version_bump" AFTER INSERT OR UPDATE OR DELETE on "benefit" for each STATEMENT execute function "benefit_catalog_version_bump_fn"();`);

    this.addSql(`create or replace function "plan_catalog_version_bump_fn"() returns trigger as \$\$ begin update catalog_version set version = version + 1 where id = 1; return null; end; \$\$ language plpgsql;`);
    this.addSql(`create trigger "catalog_version_bump" AFTER INSERT OR UPDATE OR DELETE on "plan" for each STATEMENT execute function "plan_catalog_version_bump_fn"();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "catalog_version" cascade;`);

    this.addSql(`drop trigger if exists "catalog_version_bump" on "benefit";`);
    this.addSql(`drop function if exists "benefit_catalog_version_bump_fn"();`);

    this.addSql(`drop trigger if exists "catalog_version_bump" on "partner";`);
    this.addSql(`drop function if exists "partner_catalog_version_bump_fn"();`);

    this.addSql(`drop trigger if exists "catalog_version_bump" on "plan";`);
    this.addSql(`drop function if exists "plan_catalog_version_bump_fn"();`);
  }

}
