/**
 * `initBackend`: choose, initialise and patch the TensorFlow.js backend that `@caption/core` runs on.
 */
import { availableParallelism } from 'node:os';
import * as tfc from '@tensorflow/tfjs-core';
// Side effects: the cpu backend, and every op's gradient (tfjs-core's package entry registers none).
import '@tensorflow/tfjs-backend-cpu';
import '../nn/tfjs-gradients';
import { BackendError } from './errors';
import { registerCaptionKernels } from './kernels/register';
import { setSplitAll } from './kernels/matmul/cost-model';
import { asWasmBackend, type WasmBackendInternals } from './kernels/wasm-internals';
import { dynamicImport, loadNativeBackend, type ModuleImporter, type NativePackage } from './native';
import { isSharedMemory } from './simd/simd-module';
import { setThreadCount } from './threads/backend-threads';
import { sharedMemoryWasmPaths, stockWasmPaths } from './threads/wasm-binaries';

/** What to run on. `auto` picks tfjs-node-gpu, then tfjs-node when installed, else wasm. */
export type BackendKind = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';

/** A backend that actually runs (what `auto` resolved to). */
export type ResolvedBackendKind = Exclude<BackendKind, 'auto'>;

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Do not print the line naming the backend (warnings about broken native packages still go to `log`). */
  quiet?: boolean;
  /** Receives the backend line and warnings; default: one line each on stderr. */
  log?: (line: string) => void;
  /**
   * Directory (or URL prefix) of the `tfjs-backend-wasm*.wasm` files, for bundled applications where
   * they are not next to `@tensorflow/tfjs-backend-wasm/dist` (passed to its `setWasmPaths`).
   */
  wasmPaths?: string;
  /**
   * Threads of the wasm backend (Node): worker threads that share its memory run the large matrix
   * products (and small batched ones) with it, split by columns or rows; a product too small to pay for
   * the hand-over (~256 K multiply-adds per thread) stays on the calling thread. Results are bit-identical
   * for every thread count: each output element is computed by one thread, in the same order. Default:
   * the `CAPTION_WASM_THREADS` environment variable, else the machine's cores (`os.availableParallelism()`).
   * `1` is the single-threaded backend on tfjs's own binary, without workers. Going from 1 to more threads
   * re-creates the wasm backend on a shared memory, which needs no tensor to be alive on it; going back to
   * 1 re-creates it on tfjs's binary when no tensor is alive, else keeps the shared memory without workers
   * (same results). Ignored by the other backends.
   */
  threads?: number;
  /**
   * For tests: split every product and transpose that has parts for several threads, however small, so
   * that small models run the threaded paths too (results are the same; it is slower). Default: on when
   * the `CAPTION_WASM_SPLIT_ALL` environment variable is `1`.
   */
  splitAll?: boolean;
  /** @internal module loader, replaced in tests to simulate absent or broken native packages */
  importer?: ModuleImporter;
}

/** What {@link initBackend} set up. */
export interface BackendInfo {
  /** the backend that runs */
  kind: ResolvedBackendKind;
  /** the tfjs backend name (`tensorflow`, `wasm` or `cpu`) */
  tfjsBackend: string;
  /** a one-line human description, as printed */
  description: string;
  /** the kernels `@caption/core` registered for this backend */
  kernels: string[];
  /** warnings raised while choosing (e.g. a native package installed but unusable) */
  warnings: string[];
  /** threads the backend's kernels use (wasm: as asked, or 1 where WebAssembly SIMD is missing; others: 1) */
  threads: number;
}

const NATIVE_PACKAGE: Record<'node-gpu' | 'node', NativePackage> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

const LOG_PREFIX = '[@caption/core]';

interface ActiveBackend {
  requested: BackendKind;
  /** the thread count asked for (wasm) */
  threads: number;
  /** the tfjs backend instance it was set up on: a new engine (vitest file, `engine().reset()`) means redo */
  backendInstance: unknown;
  info: BackendInfo;
}

let active: ActiveBackend | null = null;
let pending: Promise<BackendInfo> | null = null;
const printed = new Set<string>();
const warned = new Set<string>();

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Marks the cpu backend as used once, with tfjs logging muted for that instant, so that its
 * "install tfjs-node to speed things up" banner (printed by the cpu backend on its first write in Node)
 * never appears. It only matters when cpu runs, which is also the case for wasm's cpu fallbacks.
 */
function muteCpuBanner(): void {
  const cpu = tfc.engine().findBackend('cpu');
  if (cpu == null) return;
  const env = tfc.env();
  const wasProd = env.getBool('PROD');
  env.set('PROD', true);
  try {
    const dataId = cpu.write(new Float32Array(1), [1], 'float32');
    cpu.disposeData(dataId, true);
  } finally {
    env.set('PROD', wasProd);
  }
}

/** `tfjs-backend-wasm`'s priority when it registers itself (its `base.js`). */
const WASM_PRIORITY = 2;

/** The thread count asked for: the option, else `CAPTION_WASM_THREADS`, else the machine's cores. */
function requestedThreads(options: InitBackendOptions): number {
  const fromEnv = process.env['CAPTION_WASM_THREADS'];
  const value = options.threads ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : availableParallelism());
  if (!Number.isInteger(value) || value < 1) {
    const source = options.threads !== undefined ? 'the threads option' : 'CAPTION_WASM_THREADS';
    throw new BackendError(
      `initBackend: ${source} must be a positive integer, got ${String(options.threads ?? fromEnv)}`,
    );
  }
  return value;
}

/** The wasm backend instance if tfjs has initialised one (without initialising it). */
function initializedWasmBackend(): WasmBackendInternals | null {
  const registry = (tfc.engine() as unknown as { registry: Record<string, unknown> }).registry;
  const backend = registry['wasm'];
  return backend == null ? null : asWasmBackend(backend);
}

/**
 * Replaces the initialised wasm backend by a fresh one (the next `setBackend('wasm')` initialises it with
 * the binary then configured), because its memory's sharedness is not what the thread count needs.
 * Returns false, changing nothing, when tensors are alive on it and `required` is false (one thread on a
 * shared memory computes the same as on tfjs's own binary).
 *
 * @throws {BackendError} when tensors are alive on it and `required` (several threads need a shared memory)
 */
async function recreateWasmBackend(existing: WasmBackendInternals, required: boolean): Promise<boolean> {
  const live = existing.numDataIds();
  if (live > 0) {
    if (!required) return false;
    throw new BackendError(
      `initBackend: running the wasm backend on several threads re-creates it on a shared memory, which ` +
        `would lose the ${live} tensor buffers alive on it; dispose them first, or give the thread count ` +
        `to the first initBackend call`,
    );
  }
  const factory = tfc.findBackendFactory('wasm');
  if (factory == null) throw new BackendError('initBackend: the wasm backend is not registered');
  await setThreadCount(existing, 1);
  tfc.removeBackend('wasm');
  tfc.registerBackend('wasm', factory, WASM_PRIORITY);
  return true;
}

/** Whether tfjs was last pointed at our shared-memory binary (so a later single thread must point it back). */
let sharedPathsSet = false;

async function setUpWasm(options: InitBackendOptions, requested: number): Promise<BackendInfo> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as {
    setWasmPaths?: (prefixOrFileMap: string | Record<string, string>, usePlatformFetch?: boolean) => void;
  };
  const warnings: string[] = [];
  const simd = (await tfc.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  let threads = requested;
  if (threads > 1 && !simd) {
    warnings.push(`wasm threads need WebAssembly SIMD, which this runtime lacks: running on 1 thread`);
    threads = 1;
  }
  const shared = threads > 1;
  const existing = initializedWasmBackend();
  const created =
    existing == null ||
    (isSharedMemory(existing.wasm.asm?.memory) !== shared && (await recreateWasmBackend(existing, shared)));
  if (created) {
    // point tfjs at the binary this thread count needs before it initialises the backend
    if (shared) {
      wasm.setWasmPaths?.(sharedMemoryWasmPaths(options.wasmPaths), true);
      sharedPathsSet = true;
    } else if (sharedPathsSet) {
      wasm.setWasmPaths?.(stockWasmPaths(options.wasmPaths), false);
      sharedPathsSet = false;
    } else if (options.wasmPaths !== undefined) {
      wasm.setWasmPaths?.(options.wasmPaths);
    }
  }
  const kernels = registerCaptionKernels('wasm');
  registerCaptionKernels('cpu');
  let ok: boolean;
  try {
    ok = await tfc.setBackend('wasm');
  } catch (error) {
    throw new BackendError(`Initialization of the wasm backend failed: ${(error as Error).message}`);
  }
  if (!ok) {
    throw new BackendError(
      'Initialization of the wasm backend failed (are the tfjs-backend-wasm*.wasm files next to ' +
        "@tensorflow/tfjs-backend-wasm/dist, or given through initBackend's `wasmPaths`?)",
    );
  }
  await setThreadCount(asWasmBackend(tfc.engine().backend), threads);
  for (const warning of warnings) warnOnce(warning, options);
  return {
    kind: 'wasm',
    tfjsBackend: 'wasm',
    description: `wasm (XNNPACK, ${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`,
    kernels,
    warnings,
    threads,
  };
}

async function setUpCpu(): Promise<BackendInfo> {
  const kernels = registerCaptionKernels('cpu');
  await tfc.setBackend('cpu');
  return {
    kind: 'cpu',
    tfjsBackend: 'cpu',
    description: 'cpu (pure JavaScript; slow, reference only)',
    kernels,
    warnings: [],
    threads: 1,
  };
}

/**
 * Tries one native package. Returns its info, or null when absent; a broken install gives a warning
 * (under `auto`) or an error (when asked for explicitly).
 */
async function setUpNative(
  kind: 'node-gpu' | 'node',
  explicit: boolean,
  options: InitBackendOptions,
  warnings: string[],
): Promise<BackendInfo | null> {
  const packageName = NATIVE_PACKAGE[kind];
  const result = await loadNativeBackend(packageName, options.importer ?? dynamicImport);
  if (result.status === 'loaded' && (await tfc.setBackend('tensorflow'))) {
    return {
      kind,
      tfjsBackend: 'tensorflow',
      description: `tensorflow (${packageName}, native libtensorflow${kind === 'node-gpu' ? ' with CUDA' : ''})`,
      kernels: registerCaptionKernels('tensorflow'),
      warnings,
      threads: 1,
    };
  }
  if (result.status === 'absent') {
    if (explicit) {
      throw new BackendError(
        `initBackend('${kind}'): ${packageName} is not installed. It is an optional peer dependency: ` +
          `npm install ${packageName}@${tfc.version_core} (see docs/backends.md of @caption/core).`,
      );
    }
    return null;
  }
  const reason = result.status === 'broken' ? result.reason : `setBackend('tensorflow') failed`;
  const message = `${packageName} is installed but cannot be used: ${reason}`;
  if (explicit) throw new BackendError(`initBackend('${kind}'): ${message}`);
  const warning = `${message}; falling back.`;
  warnings.push(warning);
  warnOnce(warning, options);
  return null;
}

/** Prints a warning once per process. */
function warnOnce(warning: string, options: InitBackendOptions): void {
  if (warned.has(warning)) return;
  warned.add(warning);
  (options.log ?? defaultLog)(`${LOG_PREFIX} warning: ${warning}`);
}

async function setUp(kind: BackendKind, options: InitBackendOptions, threads: number): Promise<BackendInfo> {
  muteCpuBanner();
  switch (kind) {
    case 'cpu':
      return setUpCpu();
    case 'wasm':
      return setUpWasm(options, threads);
    case 'node-gpu':
    case 'node': {
      const info = await setUpNative(kind, true, options, []);
      if (info == null) throw new BackendError(`initBackend('${kind}') failed`);
      return info;
    }
    case 'auto': {
      const warnings: string[] = [];
      for (const native of ['node-gpu', 'node'] as const) {
        const info = await setUpNative(native, false, options, warnings);
        if (info != null) return info;
      }
      const info = await setUpWasm(options, threads);
      return { ...info, warnings: [...warnings, ...info.warnings] };
    }
    default: {
      const never: never = kind;
      throw new BackendError(`initBackend: unknown backend kind '${String(never)}'`);
    }
  }
}

/**
 * Chooses and initialises the tfjs backend, registers `@caption/core`'s kernels for it, and prints one
 * line saying which backend runs. Await it before creating any tensor.
 *
 * - `'auto'`: `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node` when installed and working
 *   (optional peer dependencies, loaded with a dynamic import), else `'wasm'`. An absent package is
 *   skipped silently; an installed but broken one (addon not built, CUDA missing, a second tfjs-core)
 *   gives one warning naming the reason.
 * - `'wasm'`: tfjs-backend-wasm (XNNPACK, SIMD), plus our kernels: a JS `UnsortedSegmentSum` (embedding
 *   gradients), cpu fallbacks for the convolution gradients wasm lacks, and a `BatchMatMul` that runs every
 *   product on a fast path (our GEMM, with XNNPACK's bits), on `options.threads` threads (default: the
 *   machine's cores; worker threads sharing the backend's memory; results do not depend on the count).
 * - `'cpu'`: the pure-JS reference backend, with a linear-time `UnsortedSegmentSum`.
 * - `'node-gpu'` / `'node'`: that package or a {@link BackendError}.
 *
 * Idempotent: a second call with the same kind and thread count returns the same info and prints nothing;
 * a call with another kind or count switches. The cpu backend's "install tfjs-node" banner is suppressed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@caption/core';
 *
 * const info = await initBackend('auto');        // stderr: [@caption/core] backend: wasm (XNNPACK, SIMD, 2 threads)
 * console.log(info.kind, tf.getBackend());       // 'wasm' 'wasm'
 * await initBackend('wasm', { threads: 1 });     // one thread, tfjs's own binary
 * ```
 */
export async function initBackend(kind: BackendKind = 'auto', options: InitBackendOptions = {}): Promise<BackendInfo> {
  while (pending != null) await pending.catch(() => undefined);
  const threads = requestedThreads(options);
  setSplitAll(options.splitAll ?? process.env['CAPTION_WASM_SPLIT_ALL'] === '1');
  if (
    active != null &&
    active.requested === kind &&
    active.threads === threads &&
    tfc.getBackend() === active.info.tfjsBackend &&
    tfc.engine().backend === active.backendInstance
  ) {
    return active.info;
  }
  const run = (async () => {
    const info = await setUp(kind, options, threads);
    active = { requested: kind, threads, backendInstance: tfc.engine().backend, info };
    const line = `${LOG_PREFIX} backend: ${info.description}`;
    if (options.quiet !== true && !printed.has(line)) {
      printed.add(line);
      (options.log ?? defaultLog)(line);
    }
    return info;
  })();
  pending = run;
  try {
    return await run;
  } finally {
    pending = null;
  }
}

/** The backend set up by the last successful {@link initBackend}, or null before one. */
export function currentBackend(): BackendInfo | null {
  return active != null && tfc.getBackend() === active.info.tfjsBackend ? active.info : null;
}
