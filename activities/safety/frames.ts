/**
 * Decodes the sampled frames of a local clip with ffmpeg, in one run: each as 224×224 RGB bytes
 * for the classifier (squeezed, not cropped, as nsfwjs itself resizes: nothing at the edges is
 * cut out of its view) and as a small JPEG a person can look at.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runFfmpeg, type FfmpegPaths } from '../media/ffmpeg';
import { CLASSIFIER_INPUT_SIZE } from './classifier';

export interface DecodedFrames {
  /** One 224·224·3 RGB buffer per requested frame, in the order asked. */
  rgb: Uint8Array[];
  /** One JPEG file per requested frame, in the same order. */
  jpegs: string[];
}

/** Width of the JPEG kept for people (the master is often 704×1280; Studio shows it small). */
const JPEG_WIDTH = 360;

export async function decodeFrames(
  clipPath: string,
  indexes: number[],
  workDir: string,
  options: { ffmpeg: FfmpegPaths; signal?: AbortSignal },
): Promise<DecodedFrames> {
  const size = CLASSIFIER_INPUT_SIZE;
  const select = indexes.map((i) => `eq(n\\,${i})`).join('+');
  const raw = join(workDir, 'frames.rgb');
  await runFfmpeg(
    {
      inputs: [{ path: clipPath }],
      filterGraph:
        `[0:v]select=${select},split=2[c][p];` +
        `[c]scale=${size}:${size}:flags=bilinear,format=rgb24[raw];` +
        `[p]scale=${JPEG_WIDTH}:-2,format=yuvj420p[jpg]`,
      outputs: [
        { path: raw, options: ['-map', '[raw]', '-fps_mode', 'passthrough', '-f', 'rawvideo'] },
        {
          path: join(workDir, 'frame-%03d.jpg'),
          options: ['-map', '[jpg]', '-fps_mode', 'passthrough', '-q:v', '4', '-f', 'image2'],
        },
      ],
    },
    { ffmpegPath: options.ffmpeg.ffmpegPath, signal: options.signal },
  );
  const bytes = await readFile(raw);
  const frameBytes = size * size * 3;
  const got = Math.floor(bytes.length / frameBytes);
  if (got < indexes.length)
    throw new Error(`only ${got} of the ${indexes.length} sampled frames could be decoded`);
  return {
    rgb: indexes.map((_, k) => new Uint8Array(bytes.buffer, bytes.byteOffset + k * frameBytes, frameBytes)),
    jpegs: indexes.map((_, k) => join(workDir, `frame-${String(k + 1).padStart(3, '0')}.jpg`)),
  };
}
