/**
 * `initBackend`: choose, initialise and patch the TensorFlow.js backend that `@caption/core` runs on.
 */
import * as tfc from '@tensorflow/tfjs-core';
// Side effects: the cpu backend, and every op's gradient (tfjs-core's package entry registers none).
import '@tensorflow/tfjs-backend-cpu';
import '../nn/tfjs-gradients';
import { BackendError } from './errors';
import { registerCaptionKernels } from './kernels/register';
import { dynamicImport, loadNativeBackend, type ModuleImporter, type NativePackage } from './native';

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
}

const NATIVE_PACKAGE: Record<'node-gpu' | 'node', NativePackage> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

const LOG_PREFIX = '[@caption/core]';

interface ActiveBackend {
  requested: BackendKind;
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

async function describeWasm(): Promise<string> {
  const simd = await tfc.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount?: () => number };
  const threads = typeof wasm.getThreadsCount === 'function' ? wasm.getThreadsCount() : 1;
  return `wasm (XNNPACK, ${simd === true ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
}

async function setUpWasm(options: InitBackendOptions): Promise<BackendInfo> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { setWasmPaths?: (prefix: string) => void };
  if (options.wasmPaths !== undefined) wasm.setWasmPaths?.(options.wasmPaths);
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
  return { kind: 'wasm', tfjsBackend: 'wasm', description: await describeWasm(), kernels, warnings: [] };
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
  if (!warned.has(warning)) {
    warned.add(warning);
    (options.log ?? defaultLog)(`${LOG_PREFIX} warning: ${warning}`);
  }
  return null;
}

async function setUp(kind: BackendKind, options: InitBackendOptions): Promise<BackendInfo> {
  muteCpuBanner();
  switch (kind) {
    case 'cpu':
      return setUpCpu();
    case 'wasm':
      return setUpWasm(options);
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
      const info = await setUpWasm(options);
      return { ...info, warnings };
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
 * - `'wasm'`: tfjs-backend-wasm (XNNPACK, SIMD, one thread in Node), plus our kernels: a JS
 *   `UnsortedSegmentSum` (embedding gradients), cpu fallbacks for the convolution gradients wasm lacks,
 *   and a `BatchMatMul` that keeps transposed and batched products on XNNPACK's fast path.
 * - `'cpu'`: the pure-JS reference backend, with a linear-time `UnsortedSegmentSum`.
 * - `'node-gpu'` / `'node'`: that package or a {@link BackendError}.
 *
 * Idempotent: a second call with the same kind returns the same info and prints nothing; a call with
 * another kind switches. The cpu backend's "install tfjs-node" banner is suppressed.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { initBackend } from '@caption/core';
 *
 * const info = await initBackend('auto');        // stderr: [@caption/core] backend: wasm (XNNPACK, SIMD, 1 thread)
 * console.log(info.kind, tf.getBackend());       // 'wasm' 'wasm'
 * ```
 */
export async function initBackend(kind: BackendKind = 'auto', options: InitBackendOptions = {}): Promise<BackendInfo> {
  while (pending != null) await pending.catch(() => undefined);
  if (
    active != null &&
    active.requested === kind &&
    tfc.getBackend() === active.info.tfjsBackend &&
    tfc.engine().backend === active.backendInstance
  ) {
    return active.info;
  }
  const run = (async () => {
    const info = await setUp(kind, options);
    active = { requested: kind, backendInstance: tfc.engine().backend, info };
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
