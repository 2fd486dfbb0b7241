import { Migration } from '@mikro-orm/migrations';

export class Migration20261207094624 extends Migration {

  override name = 'Migration20261207094624';

  override up(): void | Promise<void> {
    this.addSql(`alter table "bundle" add "name" jsonb null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "bundle" drop column "name";`);
  }

}
