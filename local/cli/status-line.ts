/**
 * What start-up is doing, on stderr, for the seconds before the progress bar or the banner
 * (synthesizing the stack, opening the store, seeding). On a terminal: one line with a spinner
 * and the elapsed time, rewritten in place and cleared when done. Elsewhere (a pipe, a file, CI):
 * one plain line per step, no control characters. The spinner cannot turn while the synth holds
 * the event loop (it is synchronous), but its line says what is going on meanwhile.
 */

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;

export interface StatusStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export class StatusLine {
  private text: string | undefined;
  private detail = '';
  private since = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly stream: StatusStream = process.stderr,
    /** false: says nothing (e.g. `--json` into a pipe). */
    private readonly enabled = true,
  ) {
    this.tty = stream.isTTY === true;
  }

  /** A new step: `synthesizing the stack`. */
  phase(text: string): void {
    if (!this.enabled) return;
    this.text = text;
    this.detail = '';
    this.since = Date.now();
    if (!this.tty) {
      this.stream.write(`${text}…\n`);
      return;
    }
    this.timer ??= setInterval(() => this.draw(), FRAME_MS);
    this.timer.unref();
    this.draw();
  }

  /** More about the current step on a terminal (`3,000/10,000`); nothing elsewhere. */
  progress(detail: string): void {
    if (!this.enabled || !this.tty || this.text === undefined) return;
    this.detail = detail;
    this.draw();
  }

  /** The steps are over: the line is cleared (a terminal); `final`, if given, is printed. */
  done(final?: string): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.enabled) return;
    if (this.tty && this.text !== undefined) this.stream.write('\r\x1b[2K');
    this.text = undefined;
    if (final !== undefined) this.stream.write(`${final}\n`);
  }

  private draw(): void {
    if (this.text === undefined) return;
    this.frame = (this.frame + 1) % FRAMES.length;
    const seconds = ((Date.now() - this.since) / 1000).toFixed(1);
    const detail = this.detail === '' ? '' : ` ${this.detail}`;
    const line = `${FRAMES[this.frame]} ${this.text}${detail}… ${seconds} s`;
    // One row only: a wrapped line could not be rewritten in place.
    const columns =
      this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 80;
    const width = Math.max(20, columns - 1);
    this.stream.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
  }
}
