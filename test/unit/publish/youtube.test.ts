import { Readable } from 'node:stream';
import { ChannelRateLimitedError } from '../../../activities/publish';
import {
  checkChunkBytes,
  chunkAt,
  metadataProblems,
  nextQuotaReset,
  receivedBytes,
  titleFromCaption,
  videoResource,
} from '../../../activities/publish/youtube';
import { classifyGoogleError, GoogleApiError } from '../../../activities/publish/youtube/errors';
import { RangeReader } from '../../../activities/publish/range-reader';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('resumable upload: chunk plan', () => {
  it('accepts chunk sizes in whole 256 KiB steps only', () => {
    expect(checkChunkBytes(256 * KiB)).toBe(256 * KiB);
    expect(checkChunkBytes(8 * MiB)).toBe(8 * MiB);
    for (const bad of [0, 100 * KiB, 300 * KiB, 8 * MiB + 1, -256 * KiB, 1.5])
      expect(() => checkChunkBytes(bad)).toThrow(/multiple of 256 KiB/);
  });

  it('plans a file as full chunks and a shorter last one', () => {
    const total = 2 * MiB + 17;
    const plan = [];
    for (let offset = 0; offset < total;) {
      const c = chunkAt(offset, total, MiB);
      plan.push(c);
      offset = c.last + 1;
    }
    expect(plan).toEqual([
      { first: 0, last: MiB - 1, isLast: false },
      { first: MiB, last: 2 * MiB - 1, isLast: false },
      { first: 2 * MiB, last: 2 * MiB + 16, isLast: true },
    ]);
  });

  it('a resume mid-chunk starts a full chunk from there; a file of one byte is one last chunk', () => {
    expect(chunkAt(512 * KiB, 4 * MiB, MiB)).toEqual({
      first: 512 * KiB,
      last: 1536 * KiB - 1,
      isLast: false,
    });
    expect(chunkAt(3.5 * MiB, 4 * MiB, MiB)).toEqual({ first: 3.5 * MiB, last: 4 * MiB - 1, isLast: true });
    expect(chunkAt(0, 1, MiB)).toEqual({ first: 0, last: 0, isLast: true });
    expect(() => chunkAt(4 * MiB, 4 * MiB, MiB)).toThrow(RangeError);
  });
});

describe('resumable upload: the Range header of a 308', () => {
  it.each([
    ['bytes=0-262143', 262144],
    ['bytes=0-0', 1],
    [' bytes=0-8388607 ', 8 * MiB],
    [null, 0],
    ['', 0],
  ])('%p means %p bytes received', (range, received) => {
    expect(receivedBytes(range)).toBe(received);
  });

  it('refuses a range that does not start at 0', () => {
    expect(() => receivedBytes('bytes=5-10')).toThrow(/unexpected Range header/);
    expect(() => receivedBytes('bytes 0-10/20')).toThrow(/unexpected Range header/);
  });
});

describe('reading chunks from one storage stream', () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
  const pieces = (): Readable =>
    Readable.from([0, 70, 333, 334, 900].map((s, i, a) => data.subarray(s, a[i + 1])));

  it('reads ranges in order, re-reads inside the last chunk without storage, and reopens for earlier bytes', async () => {
    let opened = 0;
    const reader = new RangeReader(async () => {
      opened++;
      return pieces();
    });
    expect(await reader.read(0, 300)).toEqual(data.subarray(0, 300));
    expect(await reader.read(300, 600)).toEqual(data.subarray(300, 600));
    // YouTube kept only part of the last chunk: continue from inside it.
    expect(await reader.read(512, 812)).toEqual(data.subarray(512, 812));
    expect(opened).toBe(1);
    // Skipping ahead reads past bytes without keeping them.
    expect(await reader.read(950, 2000)).toEqual(data.subarray(950));
    expect(await reader.read(100, 200)).toEqual(data.subarray(100, 200));
    expect(opened).toBe(2);
    reader.close();
  });
});

describe('the title of a Short', () => {
  it("is the caption's first line", () => {
    expect(titleFromCaption('\n  Summer drop ☀️  is here \nLink in bio #summer')).toBe(
      'Summer drop ☀️ is here',
    );
  });

  it('is cut at a word to at most 100 characters', () => {
    const caption = `${'word '.repeat(30)}end`;
    const title = titleFromCaption(caption);
    expect([...title].length).toBeLessThanOrEqual(100);
    expect(title).toBe('word '.repeat(20).trim());
    expect(titleFromCaption('x'.repeat(150))).toBe('x'.repeat(100));
  });

  it('counts characters, not UTF-16 units, and drops < and >', () => {
    const emoji = '🌷'.repeat(100);
    expect(titleFromCaption(emoji)).toBe(emoji);
    expect(titleFromCaption('Sale <today> only')).toBe('Sale today only');
  });

  it('comes from the calendar when it sets one', () => {
    const r = videoResource({
      postId: 'p',
      channel: 'shorts',
      caption: 'Caption line',
      renditionKey: 'k',
      idempotencyKey: 'i',
      options: {
        youtube: { title: 'Set title', tags: [], categoryId: '', privacyStatus: 'public', madeForKids: true },
      },
    });
    expect(r).toEqual({
      snippet: { title: 'Set title', description: 'Caption line' },
      status: { privacyStatus: 'public', selfDeclaredMadeForKids: true, containsSyntheticMedia: true },
    });
  });
});

describe('video metadata', () => {
  const request = { postId: 'p', channel: 'shorts' as const, renditionKey: 'k', idempotencyKey: 'i' };

  it('defaults: private, not for kids, labelled synthetic unless the policy says otherwise', () => {
    expect(videoResource({ ...request, caption: 'Hi' }).status).toEqual({
      privacyStatus: 'private',
      selfDeclaredMadeForKids: false,
      containsSyntheticMedia: true,
    });
    expect(
      videoResource({ ...request, caption: 'Hi', aiGenerated: false }).status.containsSyntheticMedia,
    ).toBe(false);
  });

  it('names what YouTube would refuse', () => {
    expect(metadataProblems(videoResource({ ...request, caption: 'fine' }))).toEqual([]);
    expect(metadataProblems(videoResource({ ...request, caption: 'I <3 it' })).join('; ')).toMatch(
      /caption contains < or >/,
    );
    expect(
      metadataProblems(videoResource({ ...request, caption: `ok\n${'é'.repeat(2500)}` })).join(),
    ).toMatch(/5003 bytes; YouTube allows 5000/);
    expect(metadataProblems(videoResource({ ...request, caption: ' \n ' })).join()).toMatch(/no title/);
  });
});

describe('the daily quota reset (midnight Pacific)', () => {
  it.each([
    // PST (UTC-8): the next midnight is 08:00 UTC.
    ['2026-01-15T05:00:00Z', '2026-01-15T08:00:00.000Z'],
    ['2026-01-15T08:00:00Z', '2026-01-16T08:00:00.000Z'],
    // The day DST starts (8 March 2026, 02:00 → 03:00): midnight before it is still PST...
    ['2026-03-07T20:00:00Z', '2026-03-08T08:00:00.000Z'],
    // ...and the next one is PDT (UTC-7), 23 hours later.
    ['2026-03-08T12:00:00Z', '2026-03-09T07:00:00.000Z'],
    // The day DST ends (1 November 2026): midnight is PDT, the next PST after a 25-hour day.
    ['2026-10-31T20:00:00Z', '2026-11-01T07:00:00.000Z'],
    ['2026-11-01T12:00:00Z', '2026-11-02T08:00:00.000Z'],
    ['2026-06-30T23:59:59Z', '2026-07-01T07:00:00.000Z'],
  ])('after %s it is %s', (now, reset) => {
    expect(nextQuotaReset(new Date(now)).toISOString()).toBe(reset);
  });

  it('quotaExceeded becomes a rate limit until that reset', () => {
    const now = new Date('2026-03-08T12:00:00Z');
    const err = classifyGoogleError(new GoogleApiError(403, 'quotaExceeded', 'quota', undefined), {
      channel: 'shorts',
      account: 'default',
      step: 'start the video upload',
      notPosted: true,
      now,
    });
    expect(err).toBeInstanceOf(ChannelRateLimitedError);
    expect(err).toMatchObject({ resetAt: new Date('2026-03-09T07:00:00Z'), retryAfterMs: 19 * 3600_000 });
  });
});
