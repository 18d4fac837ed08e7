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
  samples: Array<{ index: number }>,
  fps: number,
  workDir: string,
  options: { ffmpeg: FfmpegPaths; signal?: AbortSignal; niceness?: number },
): Promise<DecodedFrames> {
  const size = CLASSIFIER_INPUT_SIZE;
  const raw = join(workDir, 'frames.rgb');
  // One input per frame, each opened at its frame (-ss before -i) and read for half a frame:
  // ffmpeg decodes those frames only, not the whole clip (the model's FFV1 masters are all
  // keyframes, so each seek lands on its frame). A quarter frame before its timestamp keeps the
  // millisecond rounding of Matroska timestamps from skipping to the next one.
  // The joined frames get new timestamps a tenth of a second apart (the encoders need them rising),
  // and the outputs count time in tenths (-r 10): in the clip's own time base (8 fps, say) two of
  // those timestamps could round to the same tick and the muxer refused the second.
  // Each input is decoded on one thread and opened without probing ahead (a master is Matroska,
  // whose header says all ffmpeg needs): with threads, and while probing, ffmpeg decoded frames
  // nobody asked for (0.43 against 0.30 CPU s for a 5 s master, bench/gate.bench.ts).
  const inputs = samples.map((s) => ({
    path: clipPath,
    options: [
      ...['-threads', '1', '-probesize', '32', '-analyzeduration', '0'],
      ...['-ss', Math.max(0, (s.index - 0.25) / fps).toFixed(6), '-t', (0.5 / fps).toFixed(6)],
    ],
  }));
  const firsts = samples.map((_, k) => `[${k}:v]trim=end_frame=1,setpts=PTS-STARTPTS,setsar=1[f${k}]`);
  const joined = samples.map((_, k) => `[f${k}]`).join('');
  await runFfmpeg(
    {
      inputs,
      filterGraph:
        `${firsts.join(';')};${joined}concat=n=${samples.length}:v=1:a=0,setpts=N/(10*TB),split=2[c][p];` +
        `[c]scale=${size}:${size}:flags=bilinear,format=rgb24[raw];` +
        `[p]scale=${JPEG_WIDTH}:-2,format=yuvj420p[jpg]`,
      outputs: [
        { path: raw, options: ['-map', '[raw]', '-fps_mode', 'passthrough', '-r', '10', '-f', 'rawvideo'] },
        {
          path: join(workDir, 'frame-%03d.jpg'),
          options: ['-map', '[jpg]', '-fps_mode', 'passthrough', '-r', '10', '-q:v', '4', '-f', 'image2'],
        },
      ],
    },
    { ffmpegPath: options.ffmpeg.ffmpegPath, signal: options.signal, niceness: options.niceness },
  );
  const bytes = await readFile(raw);
  const frameBytes = size * size * 3;
  const got = Math.floor(bytes.length / frameBytes);
  if (got < samples.length)
    throw new Error(`only ${got} of the ${samples.length} sampled frames could be decoded`);
  return {
    rgb: samples.map((_, k) => new Uint8Array(bytes.buffer, bytes.byteOffset + k * frameBytes, frameBytes)),
    jpegs: samples.map((_, k) => join(workDir, `frame-${String(k + 1).padStart(3, '0')}.jpg`)),
  };
}
