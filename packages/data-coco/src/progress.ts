/**
 * Progress reporting for long passes (image checks, preflight): a cli-progress bar on a TTY, plain
 * lines otherwise (at most every 10 %), nothing when disabled.
 */
import cliProgress from 'cli-progress';

/** Receives progress of a pass over `total` items. */
export interface ProgressReporter {
  /** Called after each item. */
  tick(): void;
  /** Called once at the end. */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface CreateProgressOptions {
  /** Also show the rate in these units per second (e.g. `images` → `12.3 images/s`). Default: no rate. */
  rateUnit?: string;
}

/**
 * A reporter writing to `stream`: a bar when it is a TTY, else a line such as `check-images: 500/5000`
 * at each further 10 % and at the end.
 */
export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WritableStream = process.stderr,
  options: CreateProgressOptions = {},
): ProgressReporter {
  let done = 0;
  const start = performance.now();
  const rate = (): string =>
    options.rateUnit === undefined
      ? ''
      : ` ${(done / Math.max(1e-9, (performance.now() - start) / 1000)).toFixed(1)} ${options.rateUnit}/s`;
  if ((stream as NodeJS.WriteStream).isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% {value}/{total}{rate} eta {eta_formatted}`,
        stream: stream as NodeJS.WriteStream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '' });
    return {
      tick: () => {
        done += 1;
        bar.increment(1, { rate: rate() });
      },
      stop: () => bar.stop(),
    };
  }
  let nextReport = Math.ceil(total / 10);
  return {
    tick: () => {
      done += 1;
      if (done >= nextReport && done < total) {
        stream.write(`${label}: ${done}/${total}${rate()}\n`);
        nextReport = done + Math.ceil(total / 10);
      }
    },
    stop: () => {
      stream.write(`${label}: ${done}/${total} done${rate()}\n`);
    },
  };
}

/** A reporter that reports nothing. */
export const silentProgress: ProgressReporter = { tick: () => undefined, stop: () => undefined };

/** The reporter an option `progress` asks for: none (`false`/absent), stderr (`true`), or the given stream. */
export function progressTo(
  label: string,
  total: number,
  option: boolean | NodeJS.WritableStream | undefined,
): ProgressReporter {
  if (option === undefined || option === false) return silentProgress;
  return createProgress(label, total, option === true ? process.stderr : option);
}

/** Runs `work` on every item with at most `concurrency` in flight; results in input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await work(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
