import { Migration } from '@mikro-orm/migrations';

export class Migration20261122170000 extends Migration {

  override name = 'Migration20261122170000';

  override up(): void | Promise<void> {
    this.addSql(`alter type "payment_status" add value if not exists 'REFUNDED' after 'FAILED';`);
  }

}
