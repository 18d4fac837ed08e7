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
 * The master's encoder settings, after the conversion to BT.709 yuv444p. Every frame is a
 * keyframe (-g 1): the content gate (activities/safety/frames.ts) seeks to five frames, and with
 * x264's default GOP each seek decoded from the first frame (4.6 CPU s for five frames of a 5 s
 * 1280x704 clip, against 0.8 s all-intra); the file is about the FFV1 masters' size (79 MB).
 */
// prettier-ignore
const MASTER_VIDEO_OPTIONS = [
  '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', '-threads', '4', '-g', '1',
  '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv',
];

/**
 * The master clip: raw planar RGB frames (gbrp) piped into ffmpeg, converted once to BT.709
 * YUV 4:4:4 (the colour space every rendition is made in, full chroma) and stored as lossless
 * H.264 (qp 0, High 4:4:4 Intra, CAVLC) in Matroska at the model's fps, no audio. Against
 * the FFV1 RGB masters made before, measured on a 121-frame 1280x704 Mandelbrot clip (the hard
 * case; bench/media.bench.ts): decoding takes about a third of the CPU (2.1 against 6.3 CPU s
 * all-intra; 1.8 with x264's default GOP, which made the gate's seeks cost 4.6 CPU s), the file is
 * about the same size (79 MB), and writing it took 1.9 against 5.9 CPU s. The
 * frames are the model's to within 8-bit YUV rounding (52 dB PSNR in RGB), and renditions made
 * from it match those made from the RGB master (SSIM 0.9955-0.9958 on that clip, ≥ 0.995 checked
 * by test/unit/media/master-quality.test.ts). Masters stored in the old format keep
 * their keys and still transcode: the renditions' filter graph reads either.
 *
 * Frames arrive a window at a time; `write` resolves when ffmpeg has taken them, so memory stays
 * bounded. Flags make the bytes depend on the frames only (bitexact, no metadata, a fixed x264
 * thread count), not on the machine's core count.
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
      '-vf', 'scale=out_color_matrix=bt709:out_range=tv:flags=accurate_rnd+bitexact,format=yuv444p',
      ...MASTER_VIDEO_OPTIONS,
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
