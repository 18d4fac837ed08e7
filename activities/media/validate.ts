/**
 * Checks a finished rendition against its channel preset. Pure: takes what ffprobe and the box
 * reader found and returns every problem, so one failure report lists them all.
 */
import type { ChannelPreset } from './presets';
import type { RenditionSummary } from './probe';

/** The disclosure every rendition carries in its container metadata (the MP4 `comment` tag). */
export const AI_DISCLOSURE = 'AI-generated video (synthetic media made with a text-to-video model)';

export interface RenditionFacts {
  summary: RenditionSummary;
  fastStart: boolean;
  /** x264's settings from the stream's SEI; undefined when another encoder made it. */
  x264?: Record<string, string>;
}

export function renditionProblems(facts: RenditionFacts, preset: ChannelPreset): string[] {
  const { summary: s, fastStart, x264 } = facts;
  const v = s.video;
  const problems: string[] = [];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  const fps = `${preset.fps}/1`;

  expect(s.container.split(',').includes('mp4'), `container is ${s.container || 'unknown'}, expected MP4`);
  expect(fastStart, 'moov box is not before mdat (not fast start)');
  expect(v.codec === 'h264', `video codec is ${v.codec || 'missing'}, expected h264`);
  expect(
    v.profile === preset.video.profile,
    `H.264 profile is ${v.profile || 'unknown'}, expected ${preset.video.profile}`,
  );
  expect(
    v.level === preset.video.level,
    `H.264 level is ${v.level / 10}, expected ${preset.video.level / 10}`,
  );
  expect(v.pixFmt === 'yuv420p', `pixel format is ${v.pixFmt || 'unknown'}, expected yuv420p`);
  expect(
    v.width === preset.width && v.height === preset.height,
    `frame is ${v.width}x${v.height}, expected ${preset.width}x${preset.height}`,
  );
  expect(v.sar === '1:1', `sample aspect ratio is ${v.sar || 'unset'}, expected 1:1 (square pixels)`);
  expect(
    v.frameRate === fps && v.avgFrameRate === fps,
    `frame rate is ${v.avgFrameRate} (${v.frameRate}), expected constant ${fps}`,
  );
  expect(preset.fps <= preset.limits.maxFps, `frame rate above the channel's ${preset.limits.maxFps} fps`);
  // Container overhead and rounding: allow 5 % over the VBV cap on the long-run average.
  expect(
    v.bitrate <= preset.video.maxBitrate * 1.05,
    `video bitrate ${(v.bitrate / 1e6).toFixed(2)} Mbps is above the ${preset.video.maxBitrate / 1e6} Mbps cap`,
  );
  expect(
    s.durationSeconds >= preset.limits.minSeconds && s.durationSeconds <= preset.limits.maxSeconds,
    `duration ${s.durationSeconds.toFixed(2)} s is outside ${preset.limits.minSeconds}–${preset.limits.maxSeconds} s`,
  );
  expect(
    s.bytes > 0 && s.bytes <= preset.limits.maxBytes,
    `file is ${(s.bytes / 1024 / 1024).toFixed(1)} MiB, limit ${preset.limits.maxBytes / 1024 / 1024} MiB`,
  );
  if (!s.audio) {
    problems.push('no audio track (the channels expect one, silent if need be)');
  } else {
    const a = s.audio;
    expect(a.codec === 'aac' && a.profile === 'LC', `audio is ${a.codec} ${a.profile}, expected AAC-LC`);
    expect(
      a.sampleRate === preset.audio.sampleRate,
      `audio sample rate is ${a.sampleRate} Hz, expected ${preset.audio.sampleRate}`,
    );
    expect(
      a.channels === preset.audio.channels,
      `audio has ${a.channels} channels, expected ${preset.audio.channels}`,
    );
  }
  expect(
    Boolean(s.comment?.includes('AI-generated')),
    'container metadata lacks the AI-generated disclosure',
  );
  if (x264) {
    // x264 omits open_gop without B-frames: then every GOP is closed anyway.
    expect((x264.open_gop ?? '0') === '0', 'GOPs are open, expected closed');
    expect(
      x264.keyint === String(preset.video.gopFrames),
      `keyframe interval is ${x264.keyint}, expected ${preset.video.gopFrames}`,
    );
  }
  return problems;
}

/** Source problems no encode can fix, found before spending the encode: a clip too long or too short. */
export function sourceProblems(durationSeconds: number, preset: ChannelPreset): string[] {
  const { minSeconds, maxSeconds } = preset.limits;
  if (durationSeconds < minSeconds || durationSeconds > maxSeconds) {
    return [
      `the master clip is ${durationSeconds.toFixed(2)} s; ${preset.name} accepts ${minSeconds}–${maxSeconds} s`,
    ];
  }
  return [];
}
