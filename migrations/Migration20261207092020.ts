import { Migration } from '@mikro-orm/migrations';

export class Migration20261207092020 extends Migration {

  override name = 'Migration20261207092020';

  override up(): void | Promise<void> {
    this.addSql(`create index "member_subject_index" on "member" ("subject");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "member_subject_index";`);
  }

}
