import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../config';
import {
  FIT_MODES,
  FRAME_RATE_MODES,
  PRESET_NAMES,
  renderRendition,
  WATERMARK_POSITIONS,
  type FitMode,
  type FrameRateMode,
  type PresetName,
  type WatermarkPosition,
} from '../../activities/media';
import { ProgressBar } from '../progress';

interface TranscodeOptions {
  preset: PresetName;
  out: string;
  fit: FitMode;
  frameRate: FrameRateMode;
  watermark?: string;
  watermarkPosition: WatermarkPosition;
  watermarkScale: number;
  watermarkOpacity: number;
  caption?: string;
}

/**
 * `reelcast transcode IN --preset reels --out OUT.mp4`: one local clip to one validated channel
 * rendition, with its poster (OUT.poster.jpg) and preview (OUT.preview.webp) beside it. The same
 * code the media worker runs, without storage or Temporal.
 */
export function register(program: Command): void {
  program
    .command('transcode')
    .description('Make a validated 9:16 rendition of a local clip for one channel, plus poster and preview.')
    .argument('<in>', 'source clip (any format ffmpeg reads)')
    .addOption(new Option('--preset <channel>', 'channel preset').choices(PRESET_NAMES).makeOptionMandatory())
    .requiredOption('--out <file.mp4>', 'where to write the rendition')
    .addOption(
      new Option('--fit <mode>', 'how a non-9:16 source fills the frame').choices(FIT_MODES).default('blur'),
    )
    .addOption(
      new Option('--frame-rate <mode>', 'how the source frame rate becomes 30 fps: repeat or blend frames')
        .choices(FRAME_RATE_MODES)
        .default('duplicate'),
    )
    .option('--watermark <image>', 'brand image to overlay (PNG with transparency works best)')
    .addOption(
      new Option('--watermark-position <corner>', 'corner of the safe area')
        .choices(WATERMARK_POSITIONS)
        .default('top-right'),
    )
    .option(
      '--watermark-scale <fraction>',
      'watermark width as a fraction of the frame width',
      fraction,
      0.18,
    )
    .option('--watermark-opacity <fraction>', 'watermark opacity, 0–1', fraction, 0.85)
    .option('--caption <text>', 'caption burned into the video (any script, CJK included)')
    .action(async (input: string, options: TranscodeOptions) => {
      const config = loadConfig();
      const out = resolve(options.out);
      const siblings = {
        video: out,
        poster: out.replace(/\.mp4$/i, '') + '.poster.jpg',
        preview: out.replace(/\.mp4$/i, '') + '.preview.webp',
      };
      const bar = new ProgressBar(`transcode ${options.preset}`);
      let lastFrame = -1;
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      // Work in a temp folder and copy out only a rendition that passed validation.
      const workDir = await mkdtemp(join(tmpdir(), 'reelcast-transcode-'));
      try {
        const outputs = {
          video: join(workDir, 'out.mp4'),
          poster: join(workDir, 'poster.jpg'),
          preview: join(workDir, 'preview.webp'),
        };
        const { summary } = await renderRendition(
          {
            inputPath: resolve(input),
            inputLabel: input,
            preset: options.preset,
            fit: options.fit,
            frameRate: options.frameRate,
            caption: options.caption,
            watermark: options.watermark
              ? {
                  path: resolve(options.watermark),
                  position: options.watermarkPosition,
                  scale: options.watermarkScale,
                  opacity: options.watermarkOpacity,
                }
              : undefined,
            outputs,
          },
          {
            ffmpeg: config.ffmpeg,
            workDir,
            signal: controller.signal,
            onProgress: (p) => {
              if (p.stage !== 'encode' || !p.totalFrames || (p.frame ?? 0) <= lastFrame) return;
              lastFrame = p.frame ?? 0;
              bar.update(lastFrame, p.totalFrames, p.speed ? `${p.speed.toFixed(2)}x` : '');
            },
          },
        );
        await copyFile(outputs.video, siblings.video);
        await copyFile(outputs.poster, siblings.poster);
        await copyFile(outputs.preview, siblings.preview);
        const v = summary.video;
        bar.done(
          `${siblings.video}: ${v.width}x${v.height} H.264 ${v.profile} ${v.level / 10}, ${summary.durationSeconds.toFixed(2)} s, ` +
            `${(summary.bytes / 1024 / 1024).toFixed(1)} MiB; poster ${siblings.poster}; preview ${siblings.preview}`,
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await rm(workDir, { recursive: true, force: true });
      }
    });
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1)
    throw new InvalidArgumentError('expected a number between 0 and 1');
  return n;
}
