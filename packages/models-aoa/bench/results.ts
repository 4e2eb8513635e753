/**
 * The JSON that `bench/index.ts --json=FILE` writes and `bench/pytorch.ts` reads.
 */

/** Wall-clock and CPU milliseconds of one run. */
export interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** The measurements, named by their keys in the reference's `timings.json` (`gen.py --only timings`). */
export type BenchKey =
  | 'xe_train_step_ms'
  | 'self_critical_step_ms'
  | 'greedy_decode_ms_per_image_batch10'
  | 'beam3_decode_ms_per_image_batch10';

/** One measurement: its runs (decoding: per image), its analytic matmul FLOPs (per image likewise). */
export interface BenchRow {
  key: BenchKey;
  name: string;
  runs: Timing[];
  flops: number;
  note: string;
}

/** What `--json` writes. */
export interface BenchResult {
  date: string;
  /** initBackend's description, e.g. `wasm (XNNPACK, SIMD, 2 threads)` */
  backend: string;
  threads: number;
  runs: number;
  loadAverage: { start: number[]; end: number[] };
  rows: BenchRow[];
}
