/**
 * Instagram's caption rules, as the Content Publishing guide states them: at most 2,200
 * characters, 30 hashtags and 20 @ tags. Pure: the channel checks a caption before anything is
 * uploaded, so a caption Instagram would refuse never costs an upload.
 */

export const CAPTION_LIMITS = { maxChars: 2200, maxHashtags: 30, maxMentions: 20 } as const;

/** Characters as a person counts them (code points, so an emoji is one). */
export function captionLength(caption: string): number {
  let n = 0;
  for (const _ of caption.normalize('NFC')) n++;
  return n;
}

// A tag starts after a start of text or a character that cannot be part of a word, so
// `mail@example.com` is no mention and `C#` no hashtag.
const HASHTAG = /(?<![\p{L}\p{N}_&#])#[\p{L}\p{N}_]*[\p{L}_][\p{L}\p{N}_]*/gu;
const MENTION = /(?<![\p{L}\p{N}_.@])@[A-Za-z0-9._]{1,30}/gu;

/** Every hashtag occurrence (a repeated tag counts each time: the safe reading of the limit). */
export function hashtagsIn(caption: string): string[] {
  return caption.match(HASHTAG) ?? [];
}

export function mentionsIn(caption: string): string[] {
  return (caption.match(MENTION) ?? []).map((m) => m.replace(/\.+$/, '')).filter((m) => m.length > 1);
}

/** What is wrong with the caption for Instagram, in words a marketer acts on; undefined: fine. */
export function captionProblem(caption: string): string | undefined {
  const length = captionLength(caption);
  if (length > CAPTION_LIMITS.maxChars) {
    return `the caption is ${length} characters; Instagram allows ${CAPTION_LIMITS.maxChars}: shorten the caption template`;
  }
  const tags = hashtagsIn(caption).length;
  if (tags > CAPTION_LIMITS.maxHashtags) {
    return `the caption has ${tags} hashtags; Instagram allows ${CAPTION_LIMITS.maxHashtags}: remove ${tags - CAPTION_LIMITS.maxHashtags} from the caption template`;
  }
  const mentions = mentionsIn(caption).length;
  if (mentions > CAPTION_LIMITS.maxMentions) {
    return `the caption tags ${mentions} accounts with @; Instagram allows ${CAPTION_LIMITS.maxMentions}: remove ${mentions - CAPTION_LIMITS.maxMentions} from the caption template`;
  }
  return undefined;
}

/**
 * The caption as compared when looking for an earlier reel: Instagram keeps the text as sent,
 * but whitespace and Unicode normalisation may differ.
 */
export function captionKey(caption: string): string {
  return caption.normalize('NFC').replace(/\s+/g, ' ').trim();
}
