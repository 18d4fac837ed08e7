/**
 * Which frames of a master the gate looks at, pure: `count` frames spread evenly over the clip
 * (the middle of each of `count` equal parts, so the first and last frames of a fade are not
 * what stands for the clip) plus the frame the renditions show as their poster (the still every
 * channel and Studio shows first).
 */
import { posterFrameIndex } from '../media/rendition-job';

/**
 * Frames the gate samples besides the poster frame. A generated clip is one continuous shot from
 * one prompt (5 s at most for Wan2.2: 121 frames at 24 fps), so four frames about a second
 * apart, plus the poster, see what it shows; each more frame adds its classification to the
 * media stage (bench/gate.bench.ts). Changing it changes the stored checks' key (gate.ts).
 */
export const SAMPLED_FRAMES = 4;

/** The most frames one clip costs the gate: the spread ones and the poster frame, when it is another. */
export const MAX_FRAMES_PER_CLIP = SAMPLED_FRAMES + 1;

export interface FrameSample {
  index: number;
  poster: boolean;
}

export function sampleFrames(totalFrames: number, count = SAMPLED_FRAMES): FrameSample[] {
  const total = Math.max(1, Math.floor(totalFrames));
  const poster = posterFrameIndex(total);
  const picked = new Set<number>([poster]);
  const n = Math.min(count, total);
  for (let k = 0; k < n; k++) picked.add(Math.min(total - 1, Math.floor(((k + 0.5) * total) / n)));
  return [...picked].sort((a, b) => a - b).map((index) => ({ index, poster: index === poster }));
}
