import { Migration } from '@mikro-orm/migrations';

export class Migration20261122193000 extends Migration {

  override name = 'Migration20261122193000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "outbox_event" add "request_id" text null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "outbox_event" drop column "request_id";`);
  }

}
