/**
 * Worker threads that run our SIMD kernels (kernels.wat) on the wasm backend's shared memory.
 *
 * Each worker instantiates the kernels module on the same `WebAssembly.Memory` as tfjs-backend-wasm, so
 * a kernel call is only a function index and a few numbers (pointers into the heap and sizes): no data
 * is copied. Calls are handed over through a `SharedArrayBuffer` with atomics, not messages: a posted
 * message costs ~50 µs of event-loop latency, which a decoding step's small products cannot afford. A
 * worker spins for {@link WORKER_SPIN_MS} after each call before it sleeps in `Atomics.wait`, so the next
 * call of a burst (the products of one decoding step) reaches it in a microsecond, while an idle pool
 * costs no CPU. The calling thread takes the first share of every call itself, then waits.
 */
import { Worker } from 'node:worker_threads';
import { BackendError } from '../errors';
import type { SimdKernels } from '../simd/simd-module';

/** The kernels a pool can run (exports of kernels.wat that are safe to run on parts of a tensor). */
export const POOL_FUNCTIONS = [
  'gemm',
  'gemm_rows',
  'bmm_nn',
  'bmm_nt',
  'transpose',
  'transpose_batch',
  'adam',
] as const;

/** The name of a kernel a pool can run. */
export type PoolFunction = (typeof POOL_FUNCTIONS)[number];

/** One kernel call: an export of kernels.wat and its arguments (byte offsets, sizes, scalars). */
export interface KernelCall {
  fn: PoolFunction;
  args: readonly number[];
}

/** How long a worker keeps polling for the next call after finishing one, before it sleeps. */
export const WORKER_SPIN_MS = 0.2;
/** How long the calling thread polls for its workers before it sleeps (their shares are about as long as its own). */
const CALLER_SPIN_MS = 2;

// Layout of a worker's slot in the control block (int32 indices), its arguments and its error text.
const SLOT = 8;
const SEQ = 0;
const DONE = 1;
const FN = 2;
const ARG_COUNT = 3;
const STATUS = 4;
const MAX_ARGS = 24;
const ERROR_BYTES = 512;

/**
 * The worker's program (CommonJS, run with `eval`: a bundled or transpiled library has no worker file
 * of its own to point at). It reports `ready` once the kernels are instantiated, then serves calls.
 */
const WORKER_SOURCE = `
'use strict';
const { workerData, parentPort } = require('node:worker_threads');
(function serve() {
  const { module, memory, control, args, errors, slot, functions, spinMs } = workerData;
  const ctl = new Int32Array(control);
  const argv = new Float64Array(args);
  const text = new Uint8Array(errors);
  const base = slot * ${SLOT};
  const argBase = slot * ${MAX_ARGS};
  let fns;
  try {
    const exported = new WebAssembly.Instance(module, { env: { memory } }).exports;
    fns = functions.map((name) => exported[name]);
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.stack || error) });
    return;
  }
  parentPort.postMessage({ ready: true });
  let seen = 0;
  for (;;) {
    let seq = Atomics.load(ctl, base + ${SEQ});
    if (seq === seen) {
      const until = performance.now() + spinMs;
      while ((seq = Atomics.load(ctl, base + ${SEQ})) === seen && performance.now() < until) {}
      while (seq === seen) {
        Atomics.wait(ctl, base + ${SEQ}, seen);
        seq = Atomics.load(ctl, base + ${SEQ});
      }
    }
    seen = seq;
    if (seq < 0) return;
    let status = 0;
    try {
      const n = ctl[base + ${ARG_COUNT}];
      const a = [];
      for (let i = 0; i < n; i++) a.push(argv[argBase + i]);
      fns[ctl[base + ${FN}]](...a);
    } catch (error) {
      status = 1;
      const message = new TextEncoder().encode(String(error && error.message || error)).subarray(0, ${ERROR_BYTES - 1});
      text.fill(0, slot * ${ERROR_BYTES}, (slot + 1) * ${ERROR_BYTES});
      text.set(message, slot * ${ERROR_BYTES});
    }
    Atomics.store(ctl, base + ${STATUS}, status);
    Atomics.store(ctl, base + ${DONE}, seq);
    Atomics.notify(ctl, base + ${DONE});
  }
})();
`;

/** Calls `fn` of `kernels` with `args`. */
function invoke(kernels: SimdKernels, call: KernelCall): void {
  (kernels[call.fn] as (...args: number[]) => void)(...call.args);
}

/**
 * A fixed set of worker threads bound to one wasm memory; `size` counts the calling thread too.
 * Create it with {@link WorkerPool.start}; {@link WorkerPool.close} ends the workers.
 */
export class WorkerPool {
  private readonly control: Int32Array;
  private readonly args: Float64Array;
  private readonly errors: Uint8Array;
  private readonly issued: number[];
  private closed = false;
  private shared = 0;

  private constructor(
    private readonly workers: Worker[],
    buffers: { control: SharedArrayBuffer; args: SharedArrayBuffer; errors: SharedArrayBuffer },
  ) {
    this.control = new Int32Array(buffers.control);
    this.args = new Float64Array(buffers.args);
    this.errors = new Uint8Array(buffers.errors);
    this.issued = workers.map(() => 0);
  }

  /**
   * Starts `threads − 1` workers, each with its own instance of `module` (the kernels module compiled
   * for a shared memory) on `memory`, and resolves once all are ready.
   *
   * @throws {BackendError} when a worker cannot start or instantiate the module
   */
  static async start(module: object, memory: object, threads: number): Promise<WorkerPool> {
    const count = Math.max(0, Math.floor(threads) - 1);
    const buffers = {
      control: new SharedArrayBuffer(Math.max(1, count) * SLOT * 4),
      args: new SharedArrayBuffer(Math.max(1, count) * MAX_ARGS * 8),
      errors: new SharedArrayBuffer(Math.max(1, count) * ERROR_BYTES),
    };
    const workers: Worker[] = [];
    const ready: Array<Promise<void>> = [];
    for (let slot = 0; slot < count; slot++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, ...buffers, slot, functions: POOL_FUNCTIONS, spinMs: WORKER_SPIN_MS },
      });
      workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('message', (message: { ready?: boolean; error?: string }) => {
            if (message.ready === true) resolve();
            else reject(new BackendError(`a kernel worker could not start: ${message.error ?? 'unknown error'}`));
          });
          worker.once('error', (error) => reject(new BackendError(`a kernel worker failed: ${error.message}`)));
        }),
      );
    }
    const pool = new WorkerPool(workers, buffers);
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.close();
      throw error;
    }
    // Idle workers sleep in Atomics.wait and must not keep the process alive.
    for (const worker of workers) worker.unref();
    return pool;
  }

  /** Threads a call can be split over: the workers and the calling thread. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** How many {@link WorkerPool.run} calls handed work to a worker (for tests and diagnostics). */
  get sharedRuns(): number {
    return this.shared;
  }

  /**
   * Runs `calls[0]` on the calling thread (with `local`, its own instance of the kernels) and
   * `calls[i]` on worker `i − 1`, and returns when all are done. At most {@link WorkerPool.size} calls.
   *
   * @throws {BackendError} when a worker's call failed (the message names the kernel and the error)
   */
  run(calls: readonly KernelCall[], local: SimdKernels): void {
    if (this.closed) throw new BackendError('WorkerPool.run: the pool is closed');
    if (calls.length > this.size)
      throw new BackendError(`WorkerPool.run: ${calls.length} calls for ${this.size} threads`);
    const ctl = this.control;
    if (calls.length > 1) this.shared++;
    for (let w = 1; w < calls.length; w++) {
      const call = calls[w]!;
      const slot = w - 1;
      if (call.args.length > MAX_ARGS) throw new BackendError(`WorkerPool.run: ${call.fn} has too many arguments`);
      const base = slot * SLOT;
      ctl[base + FN] = POOL_FUNCTIONS.indexOf(call.fn);
      ctl[base + ARG_COUNT] = call.args.length;
      this.args.set(call.args, slot * MAX_ARGS);
      const seq = ++this.issued[slot]!;
      Atomics.store(ctl, base + SEQ, seq);
      Atomics.notify(ctl, base + SEQ);
    }
    try {
      if (calls.length > 0) invoke(local, calls[0]!);
    } finally {
      for (let w = 1; w < calls.length; w++) this.await(w - 1);
    }
    for (let w = 1; w < calls.length; w++) {
      const slot = w - 1;
      if (ctl[slot * SLOT + STATUS] !== 0) {
        const bytes = this.errors.slice(slot * ERROR_BYTES, (slot + 1) * ERROR_BYTES);
        const end = bytes.indexOf(0);
        const message = new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end));
        throw new BackendError(`kernel ${calls[w]!.fn} failed on worker ${slot + 1}: ${message}`);
      }
    }
  }

  /** Waits until worker `slot` has finished its last call: polls briefly, then sleeps. */
  private await(slot: number): void {
    const ctl = this.control;
    const index = slot * SLOT + DONE;
    const seq = this.issued[slot]!;
    const until = performance.now() + CALLER_SPIN_MS;
    while (Atomics.load(ctl, index) !== seq && performance.now() < until) {
      // poll
    }
    for (let done = Atomics.load(ctl, index); done !== seq; done = Atomics.load(ctl, index)) {
      Atomics.wait(ctl, index, done, 1000);
    }
  }

  /** Ends the workers (each finishes its current call first). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (let slot = 0; slot < this.workers.length; slot++) {
      Atomics.store(this.control, slot * SLOT + SEQ, -1);
      Atomics.notify(this.control, slot * SLOT + SEQ);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
