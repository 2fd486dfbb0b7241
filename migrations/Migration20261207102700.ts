import { Migration } from '@mikro-orm/migrations';

export class Migration20261207102700 extends Migration {

  override name = 'Migration20261207102700';

  override up(): void | Promise<void> {
    this.addSql(`alter table "partner" add column "updated_at" timestamptz not null default now();`);
    // A partner changed before this column existed counts as changed when it was created.
    this.addSql(`update "partner" set "updated_at" = "created_at";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "partner" drop column "updated_at";`);
  }

}
