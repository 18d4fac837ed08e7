import twitter from 'twitter-text';
import {
  CHANNEL_TABLE,
  channelSpec,
  type ChannelName,
  type TextCounting,
  type TextRules,
} from './channel-table';

/**
 * Captions and titles against the channel table's rules: counting each channel's way, and what a
 * person reads when a text does not fit. Used by the plan (`validate`) and before every publish.
 * Not for workflow code: X's counting needs twitter-text.
 */

export interface TextProblem {
  field: 'caption' | 'title';
  rule: 'length' | 'empty' | 'forbidden' | 'hashtags' | 'mentions';
  /** What is wrong, e.g. `is 290 of 280 weighted characters (…)`; the caller says where and what to do. */
  message: string;
}

/** The length of `text` in the given counting. */
export function textLength(text: string, counting: TextCounting): number {
  switch (counting) {
    case 'x-weighted':
      return twitter.parseTweet(text).weightedLength;
    case 'code-points':
      return codePoints(text);
    case 'utf16':
      return text.length;
    case 'utf8-bytes':
      return utf8Bytes(text);
  }
}

/** The caption's length as the channel counts it. */
export function captionLength(channel: ChannelName, caption: string): number {
  return textLength(caption, channelSpec(channel).caption.counting);
}

/** Everything wrong with a caption for this channel (empty when it fits). */
export function captionProblems(channel: ChannelName, caption: string): TextProblem[] {
  return checkText(channelSpec(channel).caption, caption, 'caption');
}

/** Everything wrong with a title for this channel; channels without titles accept any. */
export function titleProblems(channel: ChannelName, title: string): TextProblem[] {
  const rules = channelSpec(channel).title;
  return rules ? checkText(rules, title, 'title') : [];
}

export function checkText(rules: TextRules, text: string, field: TextProblem['field']): TextProblem[] {
  const problems: TextProblem[] = [];
  if (rules.required && text.trim() === '') problems.push({ field, rule: 'empty', message: 'is empty' });
  if (!obviouslyFits(text, rules)) {
    const length = textLength(text, rules.counting);
    if (length > rules.maxLength)
      problems.push({
        field,
        rule: 'length',
        message: `is ${length} of ${rules.maxLength} ${UNITS[rules.counting]}`,
      });
  }
  for (const c of rules.forbidden ?? '') {
    if (text.includes(c)) {
      problems.push({
        field,
        rule: 'forbidden',
        message: `contains "${c}", which the platform does not accept (${[...rules.forbidden!].join(' ')} are refused)`,
      });
    }
  }
  if (rules.maxHashtags !== undefined) {
    const n = countOver(text, HASHTAG, '#＃', rules.maxHashtags);
    if (n > rules.maxHashtags)
      problems.push({
        field,
        rule: 'hashtags',
        message: `has ${n} hashtags; at most ${rules.maxHashtags} are allowed`,
      });
  }
  if (rules.maxMentions !== undefined) {
    const n = countOver(text, MENTION, '@＠', rules.maxMentions);
    if (n > rules.maxMentions)
      problems.push({
        field,
        rule: 'mentions',
        message: `has ${n} @-mentions; at most ${rules.maxMentions} are allowed`,
      });
  }
  return problems;
}

/**
 * A title when the template folder has no title.hbs: the caption's first line without the
 * characters the title may not contain, cut at a word to fit (CJK text without spaces is cut
 * at the limit). Empty when the caption has no text.
 */
export function titleFromCaption(caption: string, rules: TextRules = CHANNEL_TABLE.shorts.title): string {
  const banned = new Set(rules.forbidden ?? '');
  const first =
    caption
      .split('\n')
      .map((line) =>
        [...line]
          .filter((c) => !banned.has(c))
          .join('')
          .replace(/\s+/g, ' ')
          .trim(),
      )
      .find((line) => line.length > 0) ?? '';
  if (textLength(first, rules.counting) <= rules.maxLength) return first;
  let cut = '';
  for (const c of first) {
    if (textLength(cut + c, rules.counting) > rules.maxLength) break;
    cut += c;
  }
  const space = cut.lastIndexOf(' ');
  // At a word when there is one in the second half; otherwise (CJK, one long word) at the limit.
  return (space > cut.length / 2 ? cut.slice(0, space) : cut).trim();
}

const UNITS: Record<TextCounting, string> = {
  'x-weighted': 'weighted characters (CJK and emoji count 2, a link 23)',
  'code-points': 'characters',
  utf16: 'characters (an emoji counts 2)',
  'utf8-bytes': 'bytes (a CJK character is 3, an emoji 4)',
};

/** Without counting: no text of this many UTF-16 units can be over the limit. */
function obviouslyFits(text: string, rules: TextRules): boolean {
  switch (rules.counting) {
    case 'x-weighted':
      // No character weighs more than 2, and with no dot there is no URL (which could weigh more).
      return text.length * 2 <= rules.maxLength && !/[.．。｡]/.test(text);
    case 'code-points':
    case 'utf16':
      return text.length <= rules.maxLength;
    case 'utf8-bytes':
      return text.length * 3 <= rules.maxLength;
  }
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate completes a pair already counted
  }
  return n;
}

function utf8Bytes(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 per half.
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdfff ? 2 : 3;
  }
  return n;
}

/** Instagram's hashtags and mentions: the sign after a space or punctuation, then a word. */
const HASHTAG = /(?:^|[^\p{L}\p{N}_&])[#＃][\p{L}\p{N}_]+/gu;
const MENTION = /(?:^|[^\p{L}\p{N}_.])[@＠][\p{L}\p{N}_.]+/gu;

/** Hashtags (or mentions) in the text, over `limit` only: counting the signs first is cheap. */
function countOver(text: string, pattern: RegExp, signs: string, limit: number): number {
  let n = 0;
  for (const sign of signs) for (let i = text.indexOf(sign); i >= 0; i = text.indexOf(sign, i + 1)) n++;
  return n > limit ? (text.match(pattern)?.length ?? 0) : n;
}
