import { Migration } from '@mikro-orm/migrations';

export class Migration20261207091655 extends Migration {

  override name = 'Migration20261207091655';

  override up(): void | Promise<void> {
    this.addSql(`alter table "partner_api_key" add "label" text null, add "expires_at" timestamptz null, add "replaced_by_id" uuid null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "partner_api_key" drop column "label", drop column "expires_at", drop column "replaced_by_id";`);
  }

}
