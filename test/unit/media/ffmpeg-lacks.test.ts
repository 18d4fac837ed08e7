import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMasterEncoder, checkMediaTools, MediaToolMissingError } from '../../../activities/media';

/**
 * An ffmpeg build without some of what Reelcast uses (a distribution's minimal build): a script
 * that answers `-version`, `-encoders` and `-filters` as such a build does, with neither libx264
 * nor drawtext. A file of its own: fluent-ffmpeg keeps the first answer for the whole process.
 */
let dir: string;
let ffmpegPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reelcast-ffmpeg-lacks-'));
  ffmpegPath = join(dir, 'ffmpeg');
  writeFileSync(
    ffmpegPath,
    [
      '#!/bin/sh',
      'case "$1" in',
      '  -version) echo "ffmpeg version 6.1.1 Copyright (c) 2000-2023 the FFmpeg developers" ;;',
      "  -encoders) printf 'Encoders:\\n ------\\n V....D mjpeg                MJPEG (Motion JPEG)\\n" +
        " V....D libwebp_anim         libwebp WebP image\\n A....D aac                  AAC (Advanced Audio Coding)\\n' ;;",
      "  -filters) printf 'Filters:\\n ... overlay           VV->V      Overlay\\n ... boxblur           V->V       Blur\\n" +
        " ... tpad              V->V       Pad\\n ... fps               V->V       Frame rate\\n ... scale             V->V       Scale\\n' ;;",
      '  *) exit 1 ;;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a media worker is refused, naming every encoder and filter the build lacks', async () => {
  const err = await checkMediaTools({ ffmpegPath, ffprobePath: 'ffprobe' }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(MediaToolMissingError);
  expect((err as Error).message).toMatch(
    new RegExp(`ffmpeg at "${ffmpegPath}" cannot be used: it lacks encoder libx264, filter drawtext`),
  );
});

test('a GPU worker is refused for the encoder of its masters', async () => {
  const err = await checkMasterEncoder(ffmpegPath).catch((e: Error) => e);
  expect(err).toBeInstanceOf(MediaToolMissingError);
  expect((err as Error).message).toMatch(
    /cannot be used: it lacks encoder libx264 \(master clips are H\.264\)/,
  );
});
