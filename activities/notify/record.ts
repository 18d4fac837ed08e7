import type { ObjectStorage } from '../storage';
import { notificationKey } from '../storage/keys';
import type { NotifyEvent } from './message';

export type NotifyMedium = 'email' | 'webhook';

interface RecordBody {
  state: 'sending' | 'sent';
  at: string;
}

/**
 * Once per (post, event, medium): a send first claims its record with a create-if-absent write,
 * so a retried activity, a second worker or a replay finds it and sends nothing. A send that
 * failed releases the claim (nothing reached anyone), so the retry sends it. A worker that dies
 * between claim and send loses that one message rather than ever sending it twice.
 */
export class NotificationRecord {
  constructor(private readonly storage: ObjectStorage) {}

  /** True when this caller may send; false when it was sent (or is being sent) already. */
  async claim(postId: string, event: NotifyEvent, medium: NotifyMedium, now = new Date()): Promise<boolean> {
    const body: RecordBody = { state: 'sending', at: now.toISOString() };
    return this.storage.createIfAbsent(notificationKey(postId, event, medium), JSON.stringify(body), {
      contentType: 'application/json',
    });
  }

  async sent(postId: string, event: NotifyEvent, medium: NotifyMedium, now = new Date()): Promise<void> {
    const body: RecordBody = { state: 'sent', at: now.toISOString() };
    await this.storage.put(notificationKey(postId, event, medium), JSON.stringify(body), {
      contentType: 'application/json',
    });
  }

  async release(postId: string, event: NotifyEvent, medium: NotifyMedium): Promise<void> {
    await this.storage.delete(notificationKey(postId, event, medium));
  }
}
