/**
 * Training progress output: a cli-progress bar on a terminal, plain log lines otherwise (CI, files,
 * pipes), or nothing. Shows the loss, perplexity (`exp(loss)`, meaningful when the loss is the mean
 * per-token cross-entropy), learning rate, tokens per second and seconds per step.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

/** `'auto'`: a bar when the stream is a TTY and the epoch length is known, else lines. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

/** A writable text stream (process.stdout / stderr, or anything with `write`). */
export interface ProgressStream {
  /** Writes text as given (lines end with `\n`); the return value is ignored. */
  write(text: string): unknown;
  /** True for a terminal: `'auto'` mode then draws a bar. Absent counts as false. */
  isTTY?: boolean;
}

/** Options of {@link TrainingProgress}. */
export interface ProgressOptions {
  /**
   * Default `'auto'`. `'bar'` falls back to `'lines'` when the epoch length is unknown; `'silent'` prints
   * nothing, not even {@link TrainingProgress.message}s.
   */
  mode?: ProgressMode;
  /** Steps per plain log line (the reference's `losses_log_every`); default 25. */
  every?: number;
  /** Default: process.stderr. */
  stream?: ProgressStream;
  /** Show `ppl = exp(loss)`; default true. */
  perplexity?: boolean;
}

/** One finished training step, as reported. */
export interface StepReport {
  /** Steps completed (1-based number of this step). */
  step: number;
  /** Epoch of this step (0-based). */
  epoch: number;
  /** The step's loss; lines and the bar show the mean over the last `every` steps (at most). */
  loss: number;
  /** Learning rate used for the step. */
  learningRate: number;
  /** Tokens in the batch, when known. */
  tokens: number | null;
  /** Index of the step within its epoch (1-based). */
  stepInEpoch: number;
}

function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e5 ? x.toExponential(2) : x.toFixed(digits);
}

/**
 * Progress reporting for a training run.
 *
 * @example
 * ```ts
 * const progress = new TrainingProgress({ mode: 'auto' }, { stepsPerEpoch: 500 });
 * progress.step({ step: 1, epoch: 0, stepInEpoch: 1, loss: 9.1, learningRate: 2e-4, tokens: 640 });
 * progress.close();
 * ```
 */
export class TrainingProgress {
  private readonly mode: Exclude<ProgressMode, 'auto'>;
  private readonly every: number;
  private readonly stream: ProgressStream;
  private readonly perplexity: boolean;
  private readonly stepsPerEpoch: number | null;
  private multibar: MultiBar | null = null;
  private bar: SingleBar | null = null;
  private barEpoch = -1;
  private window = { loss: 0, count: 0, tokens: 0, tokenSteps: 0, start: performance.now() };

  /**
   * @param options output mode, line interval, stream and whether to show perplexity
   * @param totals `stepsPerEpoch`: batches per epoch, for the bar's length and the `(i/n)` in lines; a bar
   *   needs it (`'auto'` and `'bar'` print lines without it)
   */
  constructor(
    options: ProgressOptions = {},
    totals: {
      /** Batches per epoch, or null / absent when unknown. */
      stepsPerEpoch?: number | null;
    } = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.every = options.every ?? 25;
    this.perplexity = options.perplexity ?? true;
    this.stepsPerEpoch = totals.stepsPerEpoch ?? null;
    const mode = options.mode ?? 'auto';
    this.mode = mode === 'auto' ? (this.stream.isTTY === true && this.stepsPerEpoch !== null ? 'bar' : 'lines') : mode;
    if (this.mode === 'bar' && this.stepsPerEpoch === null) this.mode = 'lines';
  }

  /** Records one step; prints a line every `every` steps or moves the bar. */
  step(r: StepReport): void {
    const w = this.window;
    w.loss += r.loss;
    w.count += 1;
    if (r.tokens !== null) {
      w.tokens += r.tokens;
      w.tokenSteps += 1;
    }
    const seconds = (performance.now() - w.start) / 1000;
    const tokensPerSecond = w.tokenSteps > 0 && seconds > 0 ? w.tokens / seconds : null;
    if (this.mode === 'bar') {
      this.updateBar(r, tokensPerSecond);
      if (w.count >= this.every) this.resetWindow();
    } else if (this.mode === 'lines' && r.step % this.every === 0) {
      const mean = w.loss / w.count;
      const parts = [
        `step ${r.step}`,
        `epoch ${r.epoch}` + (this.stepsPerEpoch !== null ? ` (${r.stepInEpoch}/${this.stepsPerEpoch})` : ''),
        `loss ${fmt(mean)}`,
      ];
      if (this.perplexity) parts.push(`ppl ${fmt(Math.exp(mean), 2)}`);
      parts.push(`lr ${r.learningRate.toExponential(2)}`);
      if (tokensPerSecond !== null) parts.push(`${tokensPerSecond.toFixed(0)} tok/s`);
      parts.push(`${(seconds / w.count).toFixed(3)} s/step`);
      this.stream.write(`${parts.join(' | ')}\n`);
      this.resetWindow();
    }
  }

  /** Prints a message without breaking the bar. */
  message(text: string): void {
    if (this.mode === 'silent') return;
    if (this.multibar !== null) this.multibar.log(`${text}\n`);
    else this.stream.write(`${text}\n`);
  }

  /** Stops the bar (call once at the end). */
  close(): void {
    this.multibar?.stop();
    this.multibar = null;
    this.bar = null;
  }

  private resetWindow(): void {
    this.window = { loss: 0, count: 0, tokens: 0, tokenSteps: 0, start: performance.now() };
  }

  private updateBar(r: StepReport, tokensPerSecond: number | null): void {
    const w = this.window;
    const mean = w.loss / w.count;
    const payload = {
      epoch: r.epoch,
      loss: fmt(mean),
      ppl: this.perplexity ? ` | ppl ${fmt(Math.exp(mean), 2)}` : '',
      lr: r.learningRate.toExponential(2),
      tps: tokensPerSecond === null ? '' : ` | ${tokensPerSecond.toFixed(0)} tok/s`,
    };
    if (this.multibar === null) {
      this.multibar = new MultiBar(
        {
          stream: this.stream as NodeJS.WritableStream,
          format: 'epoch {epoch} |{bar}| {value}/{total} | loss {loss}{ppl} | lr {lr}{tps} | eta {eta_formatted}',
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      );
    }
    if (this.bar === null || this.barEpoch !== r.epoch) {
      this.bar?.stop();
      this.bar = this.multibar.create(this.stepsPerEpoch ?? 0, 0, payload);
      this.barEpoch = r.epoch;
    }
    this.bar.update(r.stepInEpoch, payload);
  }
}
