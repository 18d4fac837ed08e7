import {
  InvalidKeyError,
  ledgerFailureKey,
  ledgerKey,
  masterKey,
  outboxKeys,
  parseLedgerKey,
  posterKey,
  previewKey,
  renditionKey,
} from '../../../activities/storage';

const hash = '3f2a9c0d1e4b5a6f7788990011223344';

describe('storage key layout', () => {
  it.each([
    [masterKey(hash), `masters/${hash}.mkv`],
    [renditionKey(hash, 'x-blur-0a1b2c3d4e5f6a7b'), `renditions/${hash}/x-blur-0a1b2c3d4e5f6a7b.mp4`],
    [posterKey(hash, 'reels-crop-0a1b'), `renditions/${hash}/reels-crop-0a1b.poster.jpg`],
    [previewKey(hash, 'reels-crop-0a1b'), `renditions/${hash}/reels-crop-0a1b.preview.webp`],
    [ledgerKey('spring/2026-03-01/morning', 'x'), 'ledger/spring/2026-03-01/morning/x.json'],
    [ledgerFailureKey('spring/2026-03-01/morning', 'x'), 'ledger/spring/2026-03-01/morning/x.failure.json'],
  ])('%s', (key, expected) => {
    expect(key).toBe(expected);
  });

  it('reads a post id and channel back from ledger keys, and nothing from other keys', () => {
    expect(parseLedgerKey('ledger/spring/2026-03-01/morning/x.json')).toEqual({
      postId: 'spring/2026-03-01/morning',
      channel: 'x',
      kind: 'entry',
    });
    expect(parseLedgerKey('ledger/spring/2026-03-01/morning/webhook.failure.json')).toMatchObject({
      channel: 'webhook',
      kind: 'failure',
    });
    expect(parseLedgerKey(`renditions/${hash}/x.mp4`)).toBeUndefined();
  });

  it('names the outbox files of one delivery', () => {
    expect(outboxKeys('spring/2026-03-01/morning', 'outbox')).toEqual({
      caption: 'spring/2026-03-01/morning/outbox/caption.txt',
      video: 'spring/2026-03-01/morning/outbox/video.mp4',
      post: 'spring/2026-03-01/morning/outbox/post.json',
    });
  });

  it('refuses names that would escape the layout or collide', () => {
    expect(() => renditionKey('../etc', 'x')).toThrow(InvalidKeyError);
    expect(() => renditionKey(hash, 'X/../y')).toThrow(/rendition name/);
    expect(() => ledgerKey('../../other', 'x')).toThrow(InvalidKeyError);
    expect(() => ledgerKey('spring/2026-03-01/morning', 'x.json')).toThrow(/channel/);
  });
});
