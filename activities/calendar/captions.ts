import twitter from 'twitter-text';
import type { Channel } from './types';

/**
 * Caption limits. X counts a "weighted length" (twitter-text v3 rules: most CJK characters and
 * emoji count 2, any URL counts 23) and allows 280. Other channels' limits are far above what a
 * video caption needs and are left to the channel adapters.
 */
export const X_CAPTION_LIMIT = 280;

export function xWeightedLength(text: string): number {
  return twitter.parseTweet(text).weightedLength;
}

/**
 * Whether a caption fits X, without the full twitter-text parse when it obviously does: no
 * character weighs more than 2, and with no dot there is no URL (which could weigh more).
 */
export function fitsX(text: string): { fits: boolean; length?: number } {
  if (text.length * 2 <= X_CAPTION_LIMIT && !/[.．。｡]/.test(text)) return { fits: true };
  const length = xWeightedLength(text);
  return { fits: length <= X_CAPTION_LIMIT, length };
}

export function captionLimitOf(channel: Channel): number | undefined {
  return channel === 'x' ? X_CAPTION_LIMIT : undefined;
}

/** The caption as published: text, then the AI disclosure line when the calendar asks for one. */
export function withDisclosure(caption: string, disclosure: string | undefined): string {
  return disclosure ? `${caption}\n\n${disclosure}` : caption;
}
