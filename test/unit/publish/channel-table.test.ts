import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelRulesMarkdown } from '../../../cli/commands/channels';
import calendarSchema from '../../../calendars/calendar.schema.json';
import { PRESETS } from '../../../activities/media/presets';
import {
  ChannelContentRejectedError,
  openChannels,
  PublishLedger,
  publishPost,
  replayPublish,
  type ChannelName,
  type ChannelPostOptions,
} from '../../../activities/publish';
import {
  ACCOUNT_CHANNELS,
  CHANNEL_NAMES,
  CHANNEL_TABLE,
  presetFor,
} from '../../../activities/publish/channel-table';
import {
  captionLength,
  captionProblems,
  titleFromCaption,
  titleProblems,
} from '../../../activities/publish/channel-text';
import { FsStorage, renditionKey } from '../../../activities/storage';
import { loadConfig } from '../../../config';

const rules = (channel: ChannelName, caption: string): string[] =>
  captionProblems(channel, caption).map((p) => `${p.rule}: ${p.message}`);

describe('the channel table', () => {
  test('each channel publishes its own rendition; the outbox and the webhook get the generic 9:16 one', () => {
    expect(Object.fromEntries(CHANNEL_NAMES.map((c) => [c, presetFor(c)]))).toEqual({
      x: 'x',
      reels: 'reels',
      tiktok: 'tiktok',
      shorts: 'shorts',
      outbox: 'reels',
      webhook: 'reels',
    });
  });

  test('the transcode presets validate against the same limits as the channels', () => {
    for (const preset of ['x', 'reels', 'tiktok', 'shorts'] as const) {
      expect(PRESETS[preset].limits).toEqual(CHANNEL_TABLE[preset].video);
    }
    expect(CHANNEL_TABLE.x.video).toEqual({
      minSeconds: 0.5,
      maxSeconds: 140,
      maxBytes: 512 * 1024 ** 2,
      maxFps: 60,
    });
    expect(CHANNEL_TABLE.shorts.video.maxSeconds).toBe(180);
  });

  test('the AI label each platform sets', () => {
    expect(Object.fromEntries(CHANNEL_NAMES.map((c) => [c, CHANNEL_TABLE[c].platform]))).toEqual({
      x: 'x',
      reels: 'instagram',
      tiktok: 'tiktok',
      shorts: 'youtube',
      outbox: 'none',
      webhook: 'none',
    });
    expect(CHANNEL_TABLE.tiktok.aiLabel).toBe('post_info.is_aigc');
    expect(CHANNEL_TABLE.shorts.aiLabel).toBe('status.containsSyntheticMedia');
    expect(CHANNEL_TABLE.reels.aiLabel).toBe('is_ai_generated');
    expect('aiLabel' in CHANNEL_TABLE.x).toBe(false);
  });

  test('defaults an unaudited app may use: TikTok SELF_ONLY with interactions off, YouTube private', () => {
    expect(CHANNEL_TABLE.tiktok.defaults.tiktok).toMatchObject({
      privacyLevel: 'SELF_ONLY',
      disableComment: true,
      disableDuet: true,
      disableStitch: true,
    });
    expect(CHANNEL_TABLE.shorts.defaults.youtube).toMatchObject({
      privacyStatus: 'private',
      madeForKids: false,
    });
    expect(CHANNEL_TABLE.reels.defaults.instagram).toEqual({ shareToFeed: true });
  });

  test('the calendar schema offers exactly the table’s channels, and accounts for those with a platform', () => {
    const defs = calendarSchema.definitions;
    expect(defs.channel.enum).toEqual([...CHANNEL_NAMES]);
    expect(Object.keys(defs.accounts.properties)).toEqual([...ACCOUNT_CHANNELS]);
  });
});

describe('caption rules, counted each channel’s way', () => {
  test('X: 280 weighted, CJK and emoji count 2, a link 23', () => {
    expect(rules('x', '春'.repeat(140))).toEqual([]);
    expect(rules('x', '春'.repeat(141))).toEqual([
      'length: is 282 of 280 weighted characters (CJK and emoji count 2, a link 23)',
    ]);
    expect(captionLength('x', `see https://example.com/${'a'.repeat(200)}`)).toBe(4 + 23);
    expect(captionLength('x', '😀')).toBe(2);
    // A long link that counts 23 is not mistaken for a long caption.
    expect(rules('x', `${'a'.repeat(250)} https://example.com/${'b'.repeat(100)}`)).toEqual([]);
  });

  test('TikTok: 2,200 UTF-16 units, so an emoji counts 2', () => {
    expect(rules('tiktok', 'a'.repeat(2200))).toEqual([]);
    expect(rules('tiktok', '😀'.repeat(1101))).toEqual([
      'length: is 2202 of 2200 characters (an emoji counts 2)',
    ]);
  });

  test('Instagram: 2,200 characters, at most 30 hashtags and 20 mentions', () => {
    expect(rules('reels', '😀'.repeat(2200))).toEqual([]);
    expect(rules('reels', 'a'.repeat(2201))).toEqual(['length: is 2201 of 2200 characters']);
    const tags = (n: number): string => Array.from({ length: n }, (_, i) => `#tag${i}`).join(' ');
    expect(rules('reels', `Spring ${tags(30)}`)).toEqual([]);
    expect(rules('reels', `Spring ${tags(31)}`)).toEqual([
      'hashtags: has 31 hashtags; at most 30 are allowed',
    ]);
    // A # inside a word or an HTML entity is not a hashtag.
    expect(rules('reels', `C# and &#38; ${tags(30)}`)).toEqual([]);
    const people = (n: number): string => Array.from({ length: n }, (_, i) => `@user.${i}`).join(' ');
    expect(rules('reels', `Thanks ${people(20)} mail hi@example.com`)).toEqual([]);
    expect(rules('reels', `Thanks ${people(21)}`)).toEqual([
      'mentions: has 21 @-mentions; at most 20 are allowed',
    ]);
  });

  test('YouTube: description ≤ 5,000 bytes without < or >; title ≤ 100 characters, not empty', () => {
    expect(rules('shorts', 'a'.repeat(5000))).toEqual([]);
    expect(rules('shorts', '春'.repeat(1667))).toEqual([
      'length: is 5001 of 5000 bytes (a CJK character is 3, an emoji 4)',
    ]);
    expect(rules('shorts', 'Deals <today>')).toEqual([
      'forbidden: contains "<", which the platform does not accept (< > are refused)',
      'forbidden: contains ">", which the platform does not accept (< > are refused)',
    ]);
    expect(titleProblems('shorts', 'a'.repeat(100))).toEqual([]);
    expect(titleProblems('shorts', 'a'.repeat(101)).map((p) => p.message)).toEqual([
      'is 101 of 100 characters (an emoji counts 2)',
    ]);
    expect(titleProblems('shorts', ' ').map((p) => p.rule)).toEqual(['empty']);
    expect(titleProblems('x', 'a'.repeat(500))).toEqual([]);
  });

  test('outbox and webhook keep their own generous limits', () => {
    expect(rules('outbox', 'a'.repeat(2200))).toEqual([]);
    expect(rules('webhook', 'a'.repeat(10_000))).toEqual([]);
    expect(rules('webhook', 'a'.repeat(10_001))).toEqual(['length: is 10001 of 10000 characters']);
  });
});

describe('a YouTube title from the caption (no title.hbs)', () => {
  test('the first line, without < and >', () => {
    expect(titleFromCaption('Black Friday <deals> are here\n\n#deals\n\nAI-generated video')).toBe(
      'Black Friday deals are here',
    );
    expect(titleFromCaption('\n  \nSecond line first')).toBe('Second line first');
  });

  test('cut at a word to fit 100 characters; text without spaces is cut at the limit', () => {
    const words =
      'Sound that goes where you go, all day long, through every commute and every run in the city rain';
    const long = `${words} and more`;
    const title = titleFromCaption(long);
    expect(title.length).toBeLessThanOrEqual(100);
    expect(long.startsWith(title)).toBe(true);
    expect(long[title.length]).toBe(' ');
    expect(titleFromCaption('春'.repeat(150))).toBe('春'.repeat(100));
    // An emoji is never cut in half.
    expect(titleFromCaption('😀'.repeat(60))).toBe('😀'.repeat(50));
  });
});

describe('publishing reads the table', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
  const setUp = async () => {
    const root = mkdtempSync(join(tmpdir(), 'reelcast-table-'));
    roots.push(root);
    const storage = new FsStorage(root);
    // Delivery outbox (the embedded default): every channel is a stand-in writing into the storage.
    const channels = openChannels(loadConfig({ env: { REELCAST_CONFIG: '/dev/null' } }), storage);
    const rendition = renditionKey('ab'.repeat(20), 'tiktok');
    const postJson = async (postId: string, channel: ChannelName) =>
      JSON.parse((await storage.getBuffer(`outbox/${postId}/${channel}/post.json`)).toString('utf8'));
    return { storage, deps: { storage, channels }, rendition, postJson };
  };

  test('the outbox stand-in for TikTok records the tiktok preset (it said reels)', async () => {
    const { storage, deps, rendition, postJson } = await setUp();
    await storage.put(rendition, Buffer.alloc(1024), { contentType: 'video/mp4' });
    await publishPost(deps, {
      postId: 'spring/2027-04-01/noon',
      channel: 'tiktok',
      caption: 'Spring',
      renditionKey: rendition,
    });
    expect(await postJson('spring/2027-04-01/noon', 'tiktok')).toMatchObject({
      channel: 'tiktok',
      preset: 'tiktok',
    });
  });

  test('a caption over the channel’s rule is refused before anything is claimed', async () => {
    const { storage, deps, rendition } = await setUp();
    await storage.put(rendition, Buffer.alloc(1024), { contentType: 'video/mp4' });
    const postId = 'spring/2027-04-02/noon';
    const err = await publishPost(deps, {
      postId,
      channel: 'x',
      caption: '春'.repeat(141),
      renditionKey: rendition,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelContentRejectedError);
    expect((err as Error).message).toMatch(
      /the caption of spring\/2027-04-02\/noon is 282 of 280 weighted characters/,
    );
    expect(await new PublishLedger(storage).read(postId, 'x')).toBeUndefined();
  });

  test('a replay publishes with the account, AI label and settings of the publish that failed', async () => {
    const { storage, deps, rendition, postJson } = await setUp();
    const postId = 'spring/2027-04-03/noon';
    const options: ChannelPostOptions = {
      tiktok: {
        privacyLevel: 'SELF_ONLY',
        disableComment: false,
        disableDuet: true,
        disableStitch: true,
        brandContentToggle: false,
        brandOrganicToggle: true,
      },
    };
    const input = { postId, channel: 'tiktok' as const, caption: 'Spring', renditionKey: rendition };
    // The rendition is not there yet: a terminal failure, recorded for replay.
    await expect(
      publishPost(deps, { ...input, account: 'jp-main', aiGenerated: true, options }),
    ).rejects.toMatchObject({ name: 'RenditionMissingError' });
    expect(await new PublishLedger(storage).readFailure(postId, 'tiktok')).toMatchObject({
      account: 'jp-main',
      aiGenerated: true,
      options,
    });
    await storage.put(rendition, Buffer.alloc(1024), { contentType: 'video/mp4' });
    await replayPublish(deps, { postId, channel: 'tiktok' });
    expect(await postJson(postId, 'tiktok')).toMatchObject({
      account: 'jp-main',
      aiGenerated: true,
      options,
    });
    expect(await new PublishLedger(storage).read(postId, 'tiktok')).toMatchObject({
      state: 'published',
      account: 'jp-main',
      options,
    });
  });
});

describe('the README channel table', () => {
  it('is `reelcast channels rules`, word for word', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    expect(readme).toContain(channelRulesMarkdown());
  });
});
