import type { EntityManager } from '@mikro-orm/postgresql';
import type { LocalizedText } from '../../platform/localized.js';

export interface NotificationInput {
  memberId: string;
  type: string;
  /** On the member's clock. */
  at: Date;
  title: LocalizedText;
  body: LocalizedText;
  data?: Record<string, unknown>;
  /** The same key twice sends once. */
  dedupeKey?: string;
}

/** Members' notifications: the only code that writes `member_notification`. */
export const Notifications = {
  /** Sends one, in the caller's transaction; false when its dedupe key was sent before. */
  async send(em: EntityManager, input: NotificationInput): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>(
      `insert into member_notification (id, member_id, type, at, title, body, data, dedupe_key)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?)
       on conflict (member_id, dedupe_key) do nothing
       returning id`,
      [input.memberId, input.type, input.at, JSON.stringify(input.title), JSON.stringify(input.body), input.data ? JSON.stringify(input.data) : null, input.dedupeKey ?? null],
    );
    return rows.length > 0;
  },
};
