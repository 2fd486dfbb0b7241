import { Migration } from '@mikro-orm/migrations';

export class Migration20261207130815 extends Migration {

  override name = 'Migration20261207130815';

  override up(): void | Promise<void> {
    // The Citus shape (docs/citus.md): activity.seq orders a member's activities, so it is unique
    // per member; a lot is one per member's journal; a membership card is keyed (jti, member_id).
    // Each key only gains the member, so existing rows keep to it.
    this.addSql(`alter table "activity" drop constraint "activity_seq_unique";`);
    this.addSql(`alter table "activity" add constraint "activity_member_id_seq_unique" unique ("member_id", "seq");`);

    this.addSql(`alter table "membership_card" drop constraint "membership_card_pkey";`);
    this.addSql(`alter table "membership_card" add primary key ("jti", "member_id");`);

    this.addSql(`alter table "points_lot" drop constraint "points_lot_journal_id_unique";`);
    this.addSql(`alter table "points_lot" add constraint "points_lot_member_id_journal_id_unique" unique ("member_id", "journal_id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "activity" drop constraint "activity_member_id_seq_unique";`);
    this.addSql(`alter table "activity" add constraint "activity_seq_unique" unique ("seq");`);

    this.addSql(`alter table "membership_card" drop constraint "membership_card_pkey";`);
    this.addSql(`alter table "membership_card" add primary key ("jti");`);

    this.addSql(`alter table "points_lot" drop constraint "points_lot_member_id_journal_id_unique";`);
    this.addSql(`alter table "points_lot" add constraint "points_lot_journal_id_unique" unique ("journal_id");`);
  }

}
