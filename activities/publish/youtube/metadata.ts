import type { PublishRequest } from '../channel';

/**
 * What a Short says about itself: the video resource's snippet and status, built from the
 * request. YouTube's limits (videos resource reference): title required, ≤ 100 characters;
 * description ≤ 5000 bytes; neither may contain < or >.
 */

export const MAX_TITLE_CHARS = 100;
export const MAX_DESCRIPTION_BYTES = 5000;

export interface VideoResource {
  snippet: { title: string; description: string; tags?: string[]; categoryId?: string };
  status: {
    privacyStatus: 'private' | 'unlisted' | 'public';
    selfDeclaredMadeForKids: boolean;
    /** YouTube's altered or synthetic content disclosure. */
    containsSyntheticMedia: boolean;
  };
}

/**
 * The caption's first non-empty line, cut at a word to at most 100 characters (code points, as
 * YouTube counts), with < and > removed. Empty when the caption has no text.
 */
export function titleFromCaption(caption: string): string {
  const line =
    caption
      .split(/\r?\n/)
      .map((l) => l.replace(/[<>]/g, '').replace(/\s+/g, ' ').trim())
      .find((l) => l.length > 0) ?? '';
  const chars = [...line];
  if (chars.length <= MAX_TITLE_CHARS) return line;
  const head = chars.slice(0, MAX_TITLE_CHARS + 1).join('');
  const cut = head.lastIndexOf(' ');
  // No space within the limit (one long word, or text without spaces): cut mid-word.
  return cut > 0 ? head.slice(0, cut).trimEnd() : chars.slice(0, MAX_TITLE_CHARS).join('');
}

/** What YouTube would refuse in the title or description, in words a marketer can act on. */
export function metadataProblems(resource: VideoResource): string[] {
  const problems: string[] = [];
  const { title, description } = resource.snippet;
  if (!title)
    problems.push('the video has no title: set options.youtube.title or start the caption with text');
  if ([...title].length > MAX_TITLE_CHARS)
    problems.push(`the title is ${[...title].length} characters; YouTube allows ${MAX_TITLE_CHARS}`);
  if (/[<>]/.test(title)) problems.push('the title contains < or >, which YouTube refuses');
  if (/[<>]/.test(description))
    problems.push(
      'the caption contains < or >, which YouTube refuses in a description: remove them from the caption template',
    );
  const bytes = Buffer.byteLength(description, 'utf8');
  if (bytes > MAX_DESCRIPTION_BYTES)
    problems.push(`the caption is ${bytes} bytes; YouTube allows ${MAX_DESCRIPTION_BYTES} in a description`);
  return problems;
}

/**
 * Snippet and status for the upload. There is no "Short" flag in the API: YouTube classifies a
 * vertical (or square) video of at most 3 minutes as a Short, which the shorts preset makes.
 */
export function videoResource(request: PublishRequest): VideoResource {
  const yt = request.options?.youtube;
  return {
    snippet: {
      title: yt?.title ?? titleFromCaption(request.caption),
      description: request.caption,
      ...(yt?.tags?.length ? { tags: yt.tags } : {}),
      ...(yt?.categoryId ? { categoryId: yt.categoryId } : {}),
    },
    status: {
      // Private unless the calendar says otherwise: a person makes it public on YouTube.
      privacyStatus: yt?.privacyStatus ?? 'private',
      selfDeclaredMadeForKids: yt?.madeForKids ?? false,
      // Reelcast's videos are generated: disclosed unless the calendar's policy says they are not.
      containsSyntheticMedia: request.aiGenerated ?? true,
    },
  };
}

/** Text as the reconcile lookup compares it: line endings and runs of spaces do not count. */
export function comparableText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+/g, ' ')
    .trim();
}
