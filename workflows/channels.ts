import type { Channel } from '../activities/calendar/types';

/**
 * Which rendition each channel publishes. Social channels have their own preset; the outbox and
 * the webhook hand over the generic 9:16 rendition (1080x1920) that every platform accepts.
 */
export function presetFor(channel: Channel): 'x' | 'reels' | 'tiktok' | 'shorts' {
  switch (channel) {
    case 'x':
    case 'reels':
    case 'tiktok':
    case 'shorts':
      return channel;
    case 'outbox':
    case 'webhook':
      return 'reels';
  }
}
