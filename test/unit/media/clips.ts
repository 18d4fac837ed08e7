/**
 * Test clips made with ffmpeg's own test sources, shaped like the generation engineer's masters:
 * Matroska/FFV1 at a model frame rate, landscape or square, with or without audio. Small frames
 * and a few seconds: the tests check settings, not encoder throughput.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClipSpec {
  shape: 'landscape' | 'square';
  /** testsrc2 (moving, smooth gradients) by default; smptebars has sharp vertical edges. */
  pattern?: 'testsrc2' | 'smptebars';
  seconds: number;
  fps: number;
  audio: boolean;
}

export function makeClip(dir: string, spec: ClipSpec): string {
  const pattern = spec.pattern ?? 'testsrc2';
  const name = `${pattern}-${spec.shape}-${spec.seconds}s-${spec.fps}fps-${spec.audio ? 'audio' : 'silent'}.mkv`;
  const path = join(dir, name);
  const size = spec.shape === 'landscape' ? '640x352' : '320x320';
  const video = `${pattern}=size=${size}:rate=${spec.fps}:duration=${spec.seconds}`;
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', video];
  if (spec.audio)
    args.push(
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:sample_rate=44100:duration=${spec.seconds}`,
      '-ac',
      '1',
    );
  args.push('-c:v', 'ffv1', ...(spec.audio ? ['-c:a', 'flac'] : []), path);
  execFileSync('ffmpeg', args);
  return path;
}

/** ffprobe run directly, not through the code under test. */
export function ffprobe(path: string): {
  format: { format_name: string; duration: string; size: string; tags?: Record<string, string> };
  streams: Array<Record<string, string | number | undefined>>;
} {
  return JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', path]).toString(),
  );
}

/** A horizontal band of a picture as 8-bit grey pixels: for "is this black / blurred / sharp" checks. */
export function greyBand(
  imagePath: string,
  band: { y: number; height: number },
): { width: number; pixels: Buffer } {
  const probe = ffprobe(imagePath).streams[0];
  const width = Number(probe.width);
  const pixels = execFileSync('ffmpeg', [
    '-v',
    'error',
    '-i',
    imagePath,
    '-vf',
    `crop=${width}:${band.height}:0:${band.y},format=gray`,
    '-f',
    'rawvideo',
    '-',
  ]);
  return { width, pixels };
}

export function mean(pixels: Buffer): number {
  let sum = 0;
  for (const p of pixels) sum += p;
  return sum / pixels.length;
}

/**
 * The strongest vertical edge in a band: for each column, the mean difference to its right-hand
 * neighbour over all rows; the maximum over columns. Sharp bars give tens; a blur, a flat colour
 * or JPEG noise (averaged out over the rows) stay near zero.
 */
export function strongestEdge({ width, pixels }: { width: number; pixels: Buffer }): number {
  const rows = pixels.length / width;
  let best = 0;
  for (let x = 0; x < width - 1; x++) {
    let sum = 0;
    for (let y = 0; y < rows; y++) sum += Math.abs(pixels[y * width + x] - pixels[y * width + x + 1]);
    best = Math.max(best, sum / rows);
  }
  return best;
}

/** ffmpeg processes whose parent is this process (Linux /proc). */
export function childFfmpegPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && /^ff(mpeg|probe)$/.test(comm)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
