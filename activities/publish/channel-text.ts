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
  return rules ? checkText(rules, title, 'title') : NONE;
}

/** Everything `text` breaks of `rules`. Called for every caption of a year's plan: no allocation when it fits. */
export function checkText(rules: TextRules, text: string, field: TextProblem['field']): TextProblem[] {
  let problems: TextProblem[] | undefined;
  const add = (rule: TextProblem['rule'], message: string): void => {
    (problems ??= []).push({ field, rule, message });
  };
  if (rules.required && text.trim() === '') add('empty', 'is empty');
  if (!obviouslyFits(text, rules)) {
    const length = textLength(text, rules.counting);
    if (length > rules.maxLength)
      add('length', `is ${length} of ${rules.maxLength} ${UNITS[rules.counting]}`);
  }
  if (rules.forbidden) {
    for (const c of rules.forbidden) {
      if (text.includes(c))
        add(
          'forbidden',
          `contains "${c}", which the platform does not accept (${[...rules.forbidden].join(' ')} are refused)`,
        );
    }
  }
  for (const tag of TAGS) {
    const limit = rules[tag.limit];
    if (limit === undefined) continue;
    const n = countOver(text, tag, limit);
    if (n > limit) add(tag.rule, `has ${n} ${tag.what}; at most ${limit} are allowed`);
  }
  return problems ?? NONE;
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

const NONE: TextProblem[] = Object.freeze([]) as unknown as TextProblem[];

/** Instagram's hashtags and mentions: the sign after a space or punctuation, then a word. */
const TAGS = [
  {
    rule: 'hashtags',
    limit: 'maxHashtags',
    what: 'hashtags',
    signs: ['#', '＃'],
    pattern: /(?:^|[^\p{L}\p{N}_&])[#＃][\p{L}\p{N}_]+/gu,
  },
  {
    rule: 'mentions',
    limit: 'maxMentions',
    what: '@-mentions',
    signs: ['@', '＠'],
    pattern: /(?:^|[^\p{L}\p{N}_.])[@＠][\p{L}\p{N}_.]+/gu,
  },
] as const;

/** Tags in the text, exactly only when there are more signs than `limit`: counting signs is cheap. */
function countOver(text: string, tag: (typeof TAGS)[number], limit: number): number {
  let n = 0;
  for (const sign of tag.signs) for (let i = text.indexOf(sign); i >= 0; i = text.indexOf(sign, i + 1)) n++;
  return n > limit ? (text.match(tag.pattern)?.length ?? 0) : n;
}
