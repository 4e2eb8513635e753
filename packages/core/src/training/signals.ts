/**
 * Graceful stopping on SIGINT / SIGTERM: the first signal only raises a flag, so the training loop can
 * finish its current step, save a checkpoint and exit with the shell's status for that signal (130 / 143, so that
 * `train xe && train scst` does not start stage 2 after an interrupted stage 1); a second signal exits at once.
 *
 * One Ctrl-C often arrives more than once: the terminal sends SIGINT to the whole foreground process
 * group, and every `npm run` / `npx` above the training process passes it on as well. Those copies arrive
 * within milliseconds and would be taken for a second signal, killing the run unsaved. So a repeat of the
 * *same* signal within `repeatWindowMs` (default 2 s) of the first is the same request and is ignored;
 * a later repeat, or a different signal, is a second signal.
 *
 * Handlers run on Node's event loop, i.e. between synchronous tensor computations: a training loop must
 * give the event loop a turn after each step (the loop in `train-loop.ts` does).
 */
import { constants } from 'node:os';
import { OptimizerError } from '../optim/adam';

/**
 * The exit status of a process ended by `signal`, as shells report it: 128 + the signal's number (SIGINT 130,
 * SIGTERM 143).
 */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Options of {@link GracefulStop}. */
export interface GracefulStopOptions {
  /** Signals to handle; default SIGINT and SIGTERM. */
  signals?: NodeJS.Signals[];
  /** Where notices go (default: standard error). */
  log?: (message: string) => void;
  /** What a second signal does: exit immediately with 128 + signal number (default) or nothing. */
  onSecondSignal?: 'exit' | 'ignore';
  /**
   * A repeat of the first signal within this many milliseconds is the same stop request, not a second
   * signal (one Ctrl-C reaches the process once per `npm run` above it); default 2000, 0 turns it off.
   */
  repeatWindowMs?: number;
}

/**
 * A stop request raised by a signal (or by {@link GracefulStop.request}).
 *
 * @example
 * ```ts
 * const stop = new GracefulStop().install();
 * while (!stop.requested) { trainOneStep(); await new Promise((r) => setImmediate(r)); }
 * saveCheckpoint(); stop.uninstall(); if (stop.signal !== null) process.exit(signalExitCode(stop.signal));
 * ```
 */
export class GracefulStop {
  private received: NodeJS.Signals | null = null;
  /** `performance.now()` when the stop was requested. */
  private receivedAt = 0;
  private readonly repeatWindowMs: number;
  private readonly signals: NodeJS.Signals[];
  private readonly log: (message: string) => void;
  private readonly onSecondSignal: 'exit' | 'ignore';
  private readonly handlers = new Map<NodeJS.Signals, () => void>();
  private waiters: Array<(signal: NodeJS.Signals) => void> = [];

  /**
   * Handles nothing until {@link GracefulStop.install}.
   *
   * @throws {OptimizerError} when `repeatWindowMs` is negative, NaN or infinite (the error `trainLoop`
   *   raises for its other bad options)
   */
  constructor(options: GracefulStopOptions = {}) {
    this.signals = options.signals ?? ['SIGINT', 'SIGTERM'];
    this.log = options.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.onSecondSignal = options.onSecondSignal ?? 'exit';
    this.repeatWindowMs = options.repeatWindowMs ?? 2000;
    if (!(this.repeatWindowMs >= 0) || !Number.isFinite(this.repeatWindowMs)) {
      throw new OptimizerError(`GracefulStop: repeatWindowMs must be a finite number >= 0, got ${this.repeatWindowMs}`);
    }
  }

  /** Starts listening (replacing Node's default "exit at once"). Returns `this`. */
  install(): this {
    for (const signal of this.signals) {
      if (this.handlers.has(signal)) continue;
      const handler = (): void => this.onSignal(signal);
      this.handlers.set(signal, handler);
      process.on(signal, handler);
    }
    return this;
  }

  /** Stops listening; signals get Node's default behaviour again. */
  uninstall(): void {
    for (const [signal, handler] of this.handlers) process.off(signal, handler);
    this.handlers.clear();
  }

  /** True once a stop was requested. */
  get requested(): boolean {
    return this.received !== null;
  }

  /** The signal that requested the stop, or null. */
  get signal(): NodeJS.Signals | null {
    return this.received;
  }

  /** Requests a stop as if `signal` had arrived (tests, or a stop condition of the caller). */
  request(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.received !== null) return;
    this.received = signal;
    this.receivedAt = performance.now();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(signal);
  }

  /** Resolves when a stop is requested (at once if it already was). */
  whenRequested(): Promise<NodeJS.Signals> {
    if (this.received !== null) return Promise.resolve(this.received);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.received === null) {
      this.log(
        `received ${signal}: finishing the current step, then saving a checkpoint ` +
          `and exiting (send it again to exit at once)`,
      );
      this.request(signal);
      return;
    }
    if (signal === this.received && performance.now() - this.receivedAt < this.repeatWindowMs) {
      this.log(
        `received ${signal} again within ${this.repeatWindowMs} ms: the same stop request (still saving); ` +
          `send it again later to exit at once`,
      );
      return;
    }
    if (this.onSecondSignal === 'exit') {
      this.log(`received ${signal} again: exiting without saving`);
      process.exit(signalExitCode(signal));
    }
  }
}
