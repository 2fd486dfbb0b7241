import type { EntityManager } from '@mikro-orm/postgresql';
import { MemberNotification } from './notification.entity.js';

/** Reads a member's notifications. */
export class NotificationService {
  constructor(private readonly em: EntityManager) {}

  list(memberId: string, first: number): Promise<MemberNotification[]> {
    return this.em.find(MemberNotification, { member: memberId }, { orderBy: { at: 'desc', createdAt: 'desc', id: 'desc' }, limit: first });
  }
}
