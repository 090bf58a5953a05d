/**
 * Progress of a long run: a cli-progress bar on a terminal, weighted by the
 * expected seconds of each step, or one plain line per step when stderr is
 * not a terminal (CI, docker logs), where a redrawn bar would be noise.
 */
import cliProgress from 'cli-progress';

/** Tracks a run made of steps with expected durations. */
export class Progress {
  private readonly bar: cliProgress.SingleBar | undefined;
  private done = 0;
  private current = { label: '', weight: 0, started: 0 };
  private readonly timer: NodeJS.Timeout | undefined;

  /** `totalSeconds` is the sum of the steps' expected seconds. */
  constructor(private readonly totalSeconds: number) {
    if (process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        { format: ' {bar} {percentage}% | elapsed {duration_formatted} | eta {eta_formatted} | {step}', stream: process.stderr, etaBuffer: 50, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, Math.round(totalSeconds)), 0, { step: 'starting' });
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

  /** Prints `line` without breaking the bar. */
  log(line: string): void {
    if (this.bar) {
      this.bar.stop();
      process.stderr.write(line + '\n');
      this.bar.start(Math.max(1, Math.round(this.totalSeconds)), this.value(), { step: this.current.label });
    } else {
      process.stderr.write(`  ${line}\n`);
    }
  }

  /** Ends the display. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.bar) {
      this.bar.update(Math.round(this.totalSeconds), { step: 'done' });
      this.bar.stop();
    }
  }

  private value(): number {
    const inStep = Math.min(this.current.weight, (Date.now() - this.current.started) / 1000);
    return Math.min(this.totalSeconds, Math.round(this.done + inStep));
  }

  private redraw(): void {
    this.bar?.update(this.value(), { step: this.current.label });
  }
}
