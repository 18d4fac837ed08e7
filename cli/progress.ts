/**
 * One progress bar on stderr. On a terminal it redraws in place; elsewhere (CI, pipes) it prints
 * a line whenever the percentage moves by 10 points, so logs stay short.
 */
export class ProgressBar {
  #lastPrinted = -1;
  readonly #tty: boolean;

  constructor(
    readonly label: string,
    readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#tty = Boolean(stream.isTTY);
  }

  update(done: number, total: number, detail = ''): void {
    const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
    const percent = Math.floor(ratio * 100);
    const width = 24;
    const filled = Math.round(ratio * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${detail}`;
    if (this.#tty) {
      this.stream.write(`\r\x1b[2K${line}`);
    } else if (percent === 100 || percent - this.#lastPrinted >= 10 || this.#lastPrinted < 0) {
      this.stream.write(`${line}\n`);
      this.#lastPrinted = percent;
    }
  }

  done(message = 'done'): void {
    this.stream.write(this.#tty ? `\r\x1b[2K${this.label}: ${message}\n` : `${this.label}: ${message}\n`);
  }
}
