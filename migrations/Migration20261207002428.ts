import { Migration } from '@mikro-orm/migrations';

export class Migration20261207002428 extends Migration {

  override name = 'Migration20261207002428';

  override up(): void | Promise<void> {
    this.addSql(`alter table "issued_token" add "redeemed_at" timestamptz null;`);
    // The token module now records consumption on the token itself: tokens redeemed before
    // this migration are consumed from the moment of their redemption.
    this.addSql(`update "issued_token" t set "redeemed_at" = r."created_at" from "redemption" r where r."token_jti" = t."jti";`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "issued_token" drop column "redeemed_at";`);
  }

}
