import { Readable } from 'node:stream';
import {
  captionLength,
  captionProblem,
  containerError,
  hashtagsIn,
  mentionsIn,
} from '../../../activities/publish/instagram';
import { chunks } from '../../../activities/publish/instagram/channel';
import { RangeReader } from '../../../activities/publish/range-reader';
import { regainAccessAt } from '../../../activities/publish/instagram/graph';

describe('Instagram caption rules', () => {
  it.each([
    ['#spring #sale', ['#spring', '#sale']],
    ['新品 #春のセール です', ['#春のセール']],
    ['C# and F# are languages, #1 is not a tag but #top10 is', ['#top10']],
    ['no space#glued', []],
    ['&#39; is an entity', []],
    ['#sale #sale twice', ['#sale', '#sale']],
  ])('hashtags in %j', (caption, tags) => {
    expect(hashtagsIn(caption)).toEqual(tags);
  });

  it.each([
    ['thanks @reelcast_demo and @jp.main.', ['@reelcast_demo', '@jp.main']],
    ['write to sales@example.com', []],
    ['@a', ['@a']],
    ['@@double', []],
  ])('mentions in %j', (caption, mentions) => {
    expect(mentionsIn(caption)).toEqual(mentions);
  });

  it('counts an emoji as one character', () => {
    expect(captionLength('sale 🌷')).toBe(6);
  });

  it('says which limit a caption breaks and what to do', () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `#t${i}`).join(' ');
    const mentions = (n: number) => Array.from({ length: n }, (_, i) => `@user${i}`).join(' ');
    expect(captionProblem(`Spring ${tags(30)} ${mentions(20)}`)).toBeUndefined();
    expect(captionProblem(tags(31))).toBe(
      'the caption has 31 hashtags; Instagram allows 30: remove 1 from the caption template',
    );
    expect(captionProblem(mentions(22))).toBe(
      'the caption tags 22 accounts with @; Instagram allows 20: remove 2 from the caption template',
    );
    expect(captionProblem('x'.repeat(2201))).toBe(
      'the caption is 2201 characters; Instagram allows 2200: shorten the caption template',
    );
  });
});

describe('Instagram container errors', () => {
  it.each([
    ['Error: Media upload has failed with error code 2207026', 2207026, false, /video format/],
    ['Error: Media upload has failed with error code 2207003', 2207003, true, /timed out downloading/],
    ['Error: Media upload has failed with error code 2207001', 2207001, true, /server error/],
    [
      'Error: Media upload has failed with error code 2207999',
      2207999,
      false,
      /could not process the video \(Error/,
    ],
    [undefined, undefined, false, /no detail given/],
  ])('%j', (status, subcode, retryable, text) => {
    const e = containerError(status);
    expect(e.subcode).toBe(subcode);
    expect(e.retryable).toBe(retryable);
    expect(e.text).toMatch(text);
  });
});

describe("Meta's throttling header", () => {
  it('takes the longest estimated_time_to_regain_access, in minutes', () => {
    const headers = new Headers({
      'x-business-use-case-usage': JSON.stringify({
        '1784': [
          { type: 'instagram', estimated_time_to_regain_access: 3 },
          { type: 'ads', estimated_time_to_regain_access: 7 },
        ],
      }),
    });
    expect(regainAccessAt(headers, 0)?.getTime()).toBe(7 * 60_000);
    expect(regainAccessAt(new Headers(), 0)).toBeUndefined();
    expect(regainAccessAt(new Headers({ 'x-business-use-case-usage': 'not json' }), 0)).toBeUndefined();
  });
});

describe('resuming an upload', () => {
  it('sends exactly the bytes Instagram lacks, across storage pieces, and stops at a short rendition', async () => {
    const data = Buffer.from('0123456789abcdef');
    const pieces = (): Readable =>
      Readable.from([data.subarray(0, 5), data.subarray(5, 9), data.subarray(9)]);
    for (const n of [0, 3, 5, 7, 15]) {
      const reader = new RangeReader(async () => pieces());
      const out: string[] = [];
      for await (const b of chunks(reader, 'r.mp4', n, data.length, () => {})) out.push(b.toString());
      expect(out.join('')).toBe(data.subarray(n).toString());
      reader.close();
      // A store with readInto fills the buffer directly, a few bytes per read here.
      const direct = new RangeReader(
        async () => pieces(),
        async (at, into) => data.copy(into, 0, at, Math.min(at + 3, data.length)),
      );
      const got: string[] = [];
      for await (const b of chunks(direct, 'r.mp4', n, data.length, () => {})) got.push(b.toString());
      expect(got.join('')).toBe(data.subarray(n).toString());
    }
    const reader = new RangeReader(async () => pieces());
    const read = async (): Promise<void> => {
      for await (const b of chunks(reader, 'r.mp4', 0, 20, () => {})) expect(b.length).toBeGreaterThan(0);
    };
    await expect(read()).rejects.toThrow('the rendition r.mp4 ends before its recorded size of 20 bytes');
  });
});
