/** Where the command writes: process.stdout / process.stderr, or a capture in tests. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * A one-line progress bar on a terminal, `[=====>    ] 5/12 cat.png`, redrawn in place.
 * Off (every method a no-op) when the stream is not a TTY. Call {@link clear} before printing
 * anything else so lines do not mix with the bar.
 */
export class ProgressBar {
  private shown = false;
  private last = '';

  constructor(
    private readonly stream: OutputStream,
    private readonly total: number,
    private readonly enabled: boolean,
  ) {}

  /** Draws the bar at `done` of `total`, naming the item being worked on. */
  update(done: number, label: string): void {
    if (!this.enabled) return;
    const counter = `${done}/${this.total}`;
    const columns = Math.max(40, this.stream.columns ?? 80);
    const width = Math.min(30, Math.max(10, columns - counter.length - 30));
    const filled = Math.round((done / this.total) * width);
    const bar = '='.repeat(filled) + (filled < width ? '>' : '') + ' '.repeat(Math.max(0, width - filled - 1));
    const room = columns - width - counter.length - 6;
    const name = label.length > room ? `…${label.slice(label.length - room + 1)}` : label;
    this.last = `[${bar}] ${counter} ${name}`;
    this.stream.write(`\r\x1b[2K${this.last}`);
    this.shown = true;
  }

  /** Erases the bar (to print a line); {@link redraw} puts it back. */
  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }

  /** Draws the last state again after {@link clear}. */
  redraw(): void {
    if (!this.enabled || this.last === '') return;
    this.stream.write(`\r\x1b[2K${this.last}`);
    this.shown = true;
  }
}
