/**
 * The helpers through which the packages' `bench/` scripts time work and print results: wall-clock and
 * process CPU time of a call, medians, seconds formatting, markdown tables, and the load average (the
 * machine is shared, so benches report CPU time and load next to wall time).
 *
 * @example
 * ```ts
 * import { markdownTable, median, timed } from '@caption/bench-support';
 * const runs = Array.from({ length: 5 }, () => timed(() => work()));
 * console.log(markdownTable(['median wall', 'median cpu'], [[`${median(runs.map((r) => r.wallMs))} ms`, `${median(runs.map((r) => r.cpuMs))} ms`]]));
 * ```
 */
import { loadavg } from 'node:os';
import { Random } from '../../random/random';

/**
 * A call's result with its wall-clock time and the CPU time (user + system) this process used meanwhile,
 * V8's garbage-collection threads included: on a shared machine the CPU time tells the work done when the
 * wall time is inflated by other jobs. Both in milliseconds and in seconds.
 */
export interface Timed<T> {
  value: T;
  wallMs: number;
  cpuMs: number;
  /** `wallMs / 1000` */
  seconds: number;
  /** `cpuMs / 1000` */
  cpuSeconds: number;
}

function finish<T>(value: T, wall0: number, cpu0: NodeJS.CpuUsage): Timed<T> {
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { value, wallMs, cpuMs, seconds: wallMs / 1000, cpuSeconds: cpuMs / 1000 };
}

/** Runs `f` and measures its wall-clock and process CPU time. */
export function timed<T>(f: () => T): Timed<T> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  return finish(f(), wall0, cpu0);
}

/** {@link timed} for a function that may return a promise (awaited inside the measurement). */
export async function timedAsync<T>(f: () => T | Promise<T>): Promise<Timed<T>> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  return finish(await f(), wall0, cpu0);
}

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Seconds with three significant digits for values from 0.001 to 99.9 (`12.3`, `1.23`, `0.123`). */
export function formatSeconds(seconds: number): string {
  return seconds >= 10 ? seconds.toFixed(1) : seconds >= 1 ? seconds.toFixed(2) : seconds.toFixed(3);
}

/** Milliseconds as `12.34 s` from 10 s on, else `123 ms` / `12.3 ms`. */
export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 100 ? 0 : 1)} ms`;
}

/** One markdown table row: `| a | b |`. */
export function markdownRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** A markdown table: header row, `|---|` separator, rows. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [markdownRow(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(markdownRow)].join('\n');
}

/** The 1, 5 and 15 minute load averages, one decimal each (`'3.4 4.1 4.2'`). */
export function loadAverageText(): string {
  return loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
}

/** Uniform numbers in [0, 1) from a seed: the repository's one generator (`tooling/random`). */
export function seededRandom(seed: number): () => number {
  const rng = new Random(seed);
  return () => rng.next();
}
