/**
 * The one place that talks to ffmpeg and ffprobe. fluent-ffmpeg (the project's choice; upstream
 * is archived) is imported here and nowhere else, behind a small job description, so swapping it
 * for a plain child_process runner touches this file only.
 *
 * ffprobe runs through execFile with `-of json` rather than fluent-ffmpeg's ffprobe(): that one
 * cannot be cancelled and parses ffprobe's INI output, losing types.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { setPriority } from 'node:os';
import ffmpeg from 'fluent-ffmpeg';
import { DiskFullError } from '../storage/storage';
import { FfmpegFailedError, MediaToolMissingError, TranscodeCancelledError } from './errors';

/** What to change when the media worker's temporary folder is on a full volume. */
export const MEDIA_TMP_SETTING = "TMPDIR (the worker process's temporary folder)";

export interface FfmpegPaths {
  ffmpegPath: string;
  ffprobePath: string;
}

/** One ffmpeg invocation: inputs, one filter graph, any number of outputs (options include -map). */
export interface FfmpegJob {
  inputs: Array<{ path: string; options?: string[] }>;
  filterGraph: string;
  outputs: Array<{ path: string; options: string[] }>;
}

/** What ffmpeg's periodic stats line says. */
export interface FfmpegStats {
  frame: number;
  /** Output timestamp reached, seconds. */
  outSeconds: number;
  /** Encoding speed relative to real time (1.0 = real time), when ffmpeg reports it. */
  speed?: number;
}

export interface RunFfmpegOptions {
  ffmpegPath: string;
  signal?: AbortSignal;
  onStats?: (stats: FfmpegStats) => void;
  /**
   * Sees every warning/error line ffmpeg logs (without the level prefix). Returning an Error stops
   * ffmpeg at once and rejects with it: a damaged input fails fast instead of after a full encode.
   */
  inspectLog?: (level: 'warning' | 'error', line: string) => Error | undefined;
  /**
   * Runs ffmpeg at a lower priority (a nice value, 1 to 19): for work that should use the CPU a
   * transcode leaves idle rather than slow the transcode down (the content gate's frame decode).
   */
  niceness?: number;
}

/** Global options every run gets: no stdin, level-prefixed log lines so errors can be told apart. */
const GLOBAL_OPTIONS = ['-nostdin', '-hide_banner', '-loglevel', 'level+info'];

function buildCommand(job: FfmpegJob): ffmpeg.FfmpegCommand {
  const command = ffmpeg({ stdoutLines: 200 });
  job.inputs.forEach((input, i) => {
    command.input(input.path);
    // ffmpeg accepts global options anywhere; putting them before the first input keeps them first.
    addOptions(
      command.inputOptions.bind(command),
      i === 0 ? [...GLOBAL_OPTIONS, ...(input.options ?? [])] : (input.options ?? []),
    );
  });
  command.complexFilter(job.filterGraph);
  for (const output of job.outputs)
    addOptions(command.output(output.path).outputOptions.bind(command), output.options);
  return command;
}

/** Lowers the running ffmpeg's priority; where the system refuses, it runs at the normal one. */
function lowerPriority(command: ffmpeg.FfmpegCommand, niceness: number): void {
  const pid = (command as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc?.pid;
  try {
    if (pid) setPriority(pid, niceness);
  } catch {
    // Only the order in which the CPU serves processes changes, never the result.
  }
}

/**
 * fluent-ffmpeg splits an array item with exactly one space into two arguments ("-c:v libx264");
 * passed as separate arguments, items are kept whole, so a metadata value with a space survives.
 */
function addOptions(add: (...options: string[]) => unknown, options: string[]): void {
  if (options.length > 1) add(...options);
  // A lone flag such as -an has no space to split.
  else if (options.length === 1) add(options[0]);
}

/** The exact argument list runFfmpeg gives ffmpeg (for benchmarks and debugging). */
export function ffmpegArgs(job: FfmpegJob): string[] {
  // _getArguments is fluent-ffmpeg's own argument builder; it is what run() spawns with.
  const command = buildCommand(job) as unknown as { _getArguments(): string[] };
  return command._getArguments();
}

const STATS = /frame=\s*(\d+).*?time=\s*(-?)(\d+):(\d+):([\d.]+)(?:.*?speed=\s*([\d.]+)x)?/;
const LEVEL_PREFIX = /\[(warning|error|fatal|panic)\] /;

export function parseStatsLine(line: string): FfmpegStats | undefined {
  const m = STATS.exec(line);
  if (!m) return undefined;
  const seconds = Number(m[3]) * 3600 + Number(m[4]) * 60 + Number(m[5]);
  return { frame: Number(m[1]), outSeconds: m[2] ? 0 : seconds, speed: m[6] ? Number(m[6]) : undefined };
}

/** Runs one ffmpeg job to completion. Abort kills ffmpeg (SIGKILL) and resolves only once it has exited. */
export async function runFfmpeg(job: FfmpegJob, options: RunFfmpegOptions): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) throw abortReason(signal);
  await assertExecutable('ffmpeg', options.ffmpegPath);
  ffmpeg.setFfmpegPath(options.ffmpegPath);
  const command = buildCommand(job);

  return new Promise<void>((resolve, reject) => {
    let stopWith: Error | undefined;
    let started = false;
    const stop = (err: Error): void => {
      if (stopWith) return;
      stopWith = err;
      // Before 'start' there is no process yet; the 'start' handler kills it as soon as it exists.
      if (started) command.kill('SIGKILL');
    };
    const onAbort = (): void => stop(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });

    command.on('start', () => {
      started = true;
      if (stopWith) command.kill('SIGKILL');
      else if (options.niceness) lowerPriority(command, options.niceness);
    });
    command.on('stderr', (line: string) => {
      const stats = options.onStats && parseStatsLine(line);
      if (stats) {
        options.onStats!(stats);
        return;
      }
      const level = LEVEL_PREFIX.exec(line);
      if (!level || !options.inspectLog) return;
      const text = line.replace(LEVEL_PREFIX, '');
      const problem = options.inspectLog(level[1] === 'warning' ? 'warning' : 'error', text);
      if (problem) stop(problem);
    });
    // fluent-ffmpeg emits 'end'/'error' only after the process has exited and its stderr closed.
    command.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      if (stopWith) reject(stopWith);
      else resolve();
    });
    command.on('error', (err: Error & { code?: string }, _stdout: string | null, stderr: string | null) => {
      signal?.removeEventListener('abort', onAbort);
      if (stopWith) return reject(stopWith);
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        return reject(
          new MediaToolMissingError(
            'ffmpeg',
            options.ffmpegPath,
            err.code === 'ENOENT' ? 'not found' : 'not executable',
          ),
        );
      }
      if (/No space left on device|Disk quota exceeded/i.test(stderr ?? '')) {
        const dir = dirname(job.outputs[0]?.path ?? '.');
        return reject(new DiskFullError(dir, "ffmpeg's output", MEDIA_TMP_SETTING));
      }
      reject(new FfmpegFailedError(err.message.split('\n')[0], tail(stderr)));
    });
    command.run();
  });
}

/**
 * fluent-ffmpeg 2.1.3 throws an uncaught TypeError when spawning a missing binary after its
 * capability cache is warm (its spawn 'error' handler reads output buffers that do not exist),
 * which would kill the whole worker, so the binary is looked up here first, the way the shell
 * would: a path as is, a bare name on PATH. Every run looks again (a few stat calls): a binary
 * removed while the worker runs (a package upgrade) must fail the job, not the process.
 */
async function assertExecutable(tool: 'ffmpeg' | 'ffprobe', command: string): Promise<void> {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return;
    } catch {
      // Not this one.
    }
  }
  throw new MediaToolMissingError(
    tool,
    command,
    command.includes('/') ? 'not found or not executable' : 'not found on PATH',
  );
}

function tail(stderr: string | null | undefined, lines = 15): string {
  return (stderr ?? '')
    .split(/\r?\n|\r/)
    .filter((l) => l.trim() && !l.includes('frame='))
    .slice(-lines)
    .join('\n');
}

function abortReason(signal: AbortSignal): Error {
  // Temporal's cancellationSignal carries a CancelledFailure: rethrowing it marks the activity cancelled.
  return signal.reason instanceof Error ? signal.reason : new TranscodeCancelledError();
}

/** ffprobe's JSON for one file (-show_format -show_streams). */
export interface ProbeJson {
  format?: {
    format_name?: string;
    duration?: string;
    size?: string;
    bit_rate?: string;
    tags?: Record<string, string>;
  };
  streams?: ProbeStream[];
}

export interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  level?: number;
  pix_fmt?: string;
  width?: number;
  height?: number;
  sample_aspect_ratio?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  bit_rate?: string;
  sample_rate?: string;
  channels?: number;
  tags?: Record<string, string>;
}

/** Thrown when ffprobe runs but cannot read the file; the caller decides what that means. */
export class ProbeFailedError extends Error {
  override readonly name = 'ProbeFailedError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`ffprobe could not read ${path}: ${detail}`);
  }
}

export function ffprobeJson(
  path: string,
  options: { ffprobePath: string; signal?: AbortSignal },
): Promise<ProbeJson> {
  const args = ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', path];
  return new Promise((resolve, reject) => {
    execFile(
      options.ffprobePath,
      args,
      { signal: options.signal, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (err.name === 'AbortError') return reject(abortReason(options.signal!));
          if (code === 'ENOENT' || code === 'EACCES') {
            return reject(
              new MediaToolMissingError(
                'ffprobe',
                options.ffprobePath,
                code === 'ENOENT' ? 'not found' : 'not executable',
              ),
            );
          }
          return reject(new ProbeFailedError(path, stderr.trim().split('\n').pop() || err.message));
        }
        try {
          resolve(JSON.parse(stdout) as ProbeJson);
        } catch {
          reject(new ProbeFailedError(path, 'ffprobe printed no JSON'));
        }
      },
    );
  });
}

export interface MediaToolsInfo {
  ffmpegVersion: string;
  ffprobeVersion: string;
}

const REQUIRED_ENCODERS = ['libx264', 'aac', 'mjpeg', 'libwebp_anim'];
const REQUIRED_FILTERS = ['drawtext', 'overlay', 'boxblur', 'tpad', 'fps', 'scale'];

/**
 * Checks that ffmpeg and ffprobe run, are 5.1 or newer, and have the encoders and filters the
 * presets use. A worker calls it at start so a missing package shows up before the first post.
 */
export async function checkMediaTools(paths: FfmpegPaths): Promise<MediaToolsInfo> {
  const ffmpegVersion = await versionOf('ffmpeg', paths.ffmpegPath);
  const ffprobeVersion = await versionOf('ffprobe', paths.ffprobePath);
  const missing = await lacking(paths.ffmpegPath, REQUIRED_ENCODERS, REQUIRED_FILTERS);
  if (missing.length > 0)
    throw new MediaToolMissingError('ffmpeg', paths.ffmpegPath, `it lacks ${missing.join(', ')}`);
  return { ffmpegVersion, ffprobeVersion };
}

/**
 * Checks what a GPU worker needs of ffmpeg: it writes each master clip with libx264
 * (activities/generate/master.ts). Checked at start, so a GPU host without it stops before it
 * spends minutes of GPU time on a clip it cannot store.
 */
export async function checkMasterEncoder(ffmpegPath: string): Promise<string> {
  const version = await versionOf('ffmpeg', ffmpegPath);
  const missing = await lacking(ffmpegPath, ['libx264']);
  if (missing.length > 0)
    throw new MediaToolMissingError(
      'ffmpeg',
      ffmpegPath,
      `it lacks ${missing.join(', ')} (master clips are H.264)`,
    );
  return version;
}

/** Which of `encoders` and `filters` the ffmpeg at `ffmpegPath` lacks, as "encoder x", "filter y". */
async function lacking(ffmpegPath: string, encoders: string[], filters: string[] = []): Promise<string[]> {
  ffmpeg.setFfmpegPath(ffmpegPath);
  const command = ffmpeg();
  const hasEncoders = await new Promise<ffmpeg.Encoders>((resolve, reject) =>
    command.availableEncoders((err, data) => (err ? reject(err) : resolve(data))),
  );
  const hasFilters =
    filters.length === 0
      ? {}
      : await new Promise<ffmpeg.Filters>((resolve, reject) =>
          command.availableFilters((err, data) => (err ? reject(err) : resolve(data))),
        );
  return [
    ...encoders.filter((e) => !(e in hasEncoders)).map((e) => `encoder ${e}`),
    ...filters.filter((f) => !(f in hasFilters)).map((f) => `filter ${f}`),
  ];
}

function versionOf(tool: 'ffmpeg' | 'ffprobe', path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ['-version'], (err, stdout) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const problem =
          code === 'ENOENT'
            ? 'not found'
            : code === 'EACCES'
              ? 'not executable'
              : `\`${tool} -version\` failed`;
        return reject(new MediaToolMissingError(tool, path, problem));
      }
      const token = /version\s+(\S+)/.exec(stdout)?.[1];
      if (!token) return reject(new MediaToolMissingError(tool, path, 'it printed no version'));
      // Release builds say 5.1.9-0+deb12u1; git snapshots (N-1234-g...) are taken as new enough.
      const m = /^n?(\d+)\.(\d+)/.exec(token);
      if (m && (Number(m[1]) < 5 || (Number(m[1]) === 5 && Number(m[2]) < 1))) {
        return reject(new MediaToolMissingError(tool, path, `version ${token} is too old`));
      }
      resolve(token);
    });
  });
}
