/** Small timing helpers for the bench: wall-clock and CPU seconds, medians. */

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Runs `fn` and returns its result with the elapsed wall-clock seconds and the CPU seconds (user + system) the
 * process used meanwhile, V8's garbage-collection threads included: on a shared machine the CPU time tells the
 * work done when the wall time is inflated by other jobs.
 */
export async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { value, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Formats seconds with three significant digits. */
export function formatSeconds(seconds: number): string {
  return seconds >= 10 ? seconds.toFixed(1) : seconds >= 1 ? seconds.toFixed(2) : seconds.toFixed(3);
}
