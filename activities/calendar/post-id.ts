/** The business key of a post, and the numbers derived from it (never random, so replays match). */
export function postIdOf(campaign: string, date: string, slot: string): string {
  return `${campaign}/${date}/${slot}`;
}

/**
 * A demo post's id (`reelcast demo`): the planned post's id, tagged so the demo can run again
 * beside the real plan. A daily plan never counts such a post as one the calendar dropped.
 */
export function demoPostId(postId: string, tag: string): string {
  return `${postId}-demo${tag}`;
}

export function isDemoPostId(postId: string): boolean {
  return /-demo[0-9a-z]+$/.test(postId);
}

/**
 * FNV-1a, 32 bits: small, fast, stable across Node versions and machines. `from` continues a
 * hash: hash32(b, hash32(a)) === hash32(a + b).
 */
export function hash32(text: string, from = 0x811c9dc5): number {
  let h = from;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The seed of a post whose campaign fixes none: the same post id always gets the same clip. */
export function seedOf(postId: string): number {
  return hash32(`seed:${postId}`);
}
