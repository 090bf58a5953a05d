/**
 * Progress of a long run: a cli-progress bar on a terminal, weighted by the
 * expected seconds of each step, or one plain line per step when stderr is
 * not a terminal (CI, docker logs), where a redrawn bar would be noise.
 */
import cliProgress from 'cli-progress';

const clock = (sec: number): string => `${Math.floor(sec / 60)}:${String(Math.floor(sec % 60)).padStart(2, '0')}`;

/** Tracks a run made of steps with expected durations. */
export class Progress {
  private readonly multi: cliProgress.MultiBar | undefined;
  private readonly bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  private done = 0;
  private current = { label: 'starting', weight: 0, started: Date.now() };
  private readonly timer: NodeJS.Timeout | undefined;

  /** `totalSeconds` is the sum of the steps' expected seconds. */
  constructor(private readonly totalSeconds: number) {
    if (process.stderr.isTTY) {
      // A MultiBar, even for one bar: its log() prints above the bar without restarting it.
      this.multi = new cliProgress.MultiBar(
        { format: ' {bar} {percentage}% | {elapsed} elapsed, ~{left} left | {step}', stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multi.create(Math.max(1, Math.round(totalSeconds)), 0, this.payload());
      // Move within a step too: a 1M-area prefill is a long step.
      this.timer = setInterval(() => this.redraw(), 500);
      this.timer.unref();
    }
  }

  /** Starts step `label`, expected to take `seconds`. */
  step(label: string, seconds: number): void {
    this.done += this.current.weight;
    this.current = { label, weight: seconds, started: Date.now() };
    if (this.bar) this.redraw();
    else process.stderr.write(`[${new Date().toISOString()}] ${label}\n`);
  }

  /** Prints `line` above the bar (or as a plain line). */
  log(line: string): void {
    if (this.multi) this.multi.log(line + '\n');
    else process.stderr.write(`  ${line}\n`);
  }

  /** Ends the display. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.multi && this.bar) {
      this.bar.update(Math.round(this.totalSeconds), { ...this.payload(), step: 'done', left: '0:00' });
      this.multi.stop();
    }
  }

  private value(): number {
    const inStep = Math.min(this.current.weight, (Date.now() - this.current.started) / 1000);
    return Math.min(this.totalSeconds, this.done + inStep);
  }

  private payload(): { step: string; elapsed: string; left: string } {
    return { step: this.current.label, elapsed: clock((Date.now() - this.started) / 1000), left: clock(Math.max(0, this.totalSeconds - this.value())) };
  }

  private redraw(): void {
    this.bar?.update(Math.round(this.value()), this.payload());
  }
}
