import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { MasterEncodeError } from './errors';

export interface MasterOptions {
  ffmpegPath: string;
  width: number;
  height: number;
  fps: number;
  /** Local file the clip is written to (seekable, so the Matroska index and duration are right). */
  file: string;
}

export const MASTER_CONTENT_TYPE = 'video/x-matroska';

/**
 * The lossless master clip: raw planar RGB frames (gbrp) piped into ffmpeg, FFV1 in Matroska at
 * the model's fps, no audio. Frames arrive a window at a time; `write` resolves when ffmpeg has
 * taken them, so memory stays bounded. Flags make the bytes depend on the frames only
 * (bitexact, no metadata, fixed slice count), not on the ffmpeg build's thread count.
 */
export class MasterWriter {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #exit: Promise<number | null>;
  #stderr = '';
  #failed: Error | undefined;

  constructor(readonly options: MasterOptions) {
    const { width, height, fps, file } = options;
    // prettier-ignore
    const args = [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'gbrp', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
      '-an', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact',
      '-c:v', 'ffv1', '-level', '3', '-g', '1', '-slices', '4', '-slicecrc', '1', '-pix_fmt', 'gbrp',
      '-f', 'matroska', file,
    ];
    this.#proc = spawn(options.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#proc.stderr.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-2000);
    });
    this.#proc.stdout.resume();
    // EPIPE when ffmpeg exits early: the exit code and stderr tell the real story.
    this.#proc.stdin.on('error', (err) => {
      this.#failed ??= err;
    });
    this.#exit = new Promise((resolve) => {
      this.#proc.on('error', (err) => {
        this.#failed = new MasterEncodeError(
          null,
          `cannot run ${options.ffmpegPath}: ${err.message} (setting ffmpeg.ffmpegPath / FFMPEG_PATH)`,
        );
        resolve(null);
      });
      this.#proc.on('close', (code) => resolve(code));
    });
  }

  /**
   * Writes frames; resolves once ffmpeg's pipe has taken every byte, so the caller may reuse the
   * buffer (the inference thread gets it back for the next window).
   */
  async write(planes: Uint8Array): Promise<void> {
    if (this.#failed) throw this.#error();
    await new Promise<void>((resolve, reject) => {
      const onClose = (): void => reject(this.#error());
      this.#proc.once('close', onClose);
      this.#proc.stdin.write(planes, (err) => {
        this.#proc.off('close', onClose);
        if (err) reject(this.#error());
        else resolve();
      });
    });
  }

  /** Ends the input and waits for ffmpeg to finish the file. */
  async finish(): Promise<void> {
    this.#proc.stdin.end();
    const code = await this.#exit;
    if (code !== 0 || this.#failed instanceof MasterEncodeError) throw this.#error(code);
  }

  /** Stops ffmpeg and removes the partial file. */
  async abort(): Promise<void> {
    this.#proc.stdin.destroy();
    this.#proc.kill('SIGKILL');
    await this.#exit;
    await rm(this.options.file, { force: true });
  }

  #error(code: number | null = this.#proc.exitCode): Error {
    if (this.#failed instanceof MasterEncodeError) return this.#failed;
    return new MasterEncodeError(
      code,
      this.#stderr.trim().split('\n').slice(-3).join(' | ') || (this.#failed?.message ?? 'no output'),
    );
  }
}
