import { Migration } from '@mikro-orm/migrations';

export class Migration20261207062551 extends Migration {

  override name = 'Migration20261207062551';

  override up(): void | Promise<void> {
    this.addSql(`alter table "bundle_benefit" add "min_tier" text null, add "segments" text[] null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "bundle_benefit" drop column "min_tier", drop column "segments";`);
  }

}
