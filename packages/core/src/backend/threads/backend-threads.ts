/**
 * The worker pool of each wasm backend instance that runs with more than one thread.
 */
import { BackendError } from '../errors';
import type { WasmBackendInternals } from '../kernels/wasm-internals';
import { isSharedMemory, simdKernelsModule } from '../simd/simd-module';
import { WorkerPool } from './worker-pool';

const pools = new WeakMap<object, WorkerPool>();

/** The pool of a backend, or null when it runs on one thread. */
export function threadPool(backend: object): WorkerPool | null {
  return pools.get(backend) ?? null;
}

/** Threads the backend's kernels may use (1 without a pool). */
export function threadCount(backend: object): number {
  return pools.get(backend)?.size ?? 1;
}

/**
 * Gives the backend a pool of `threads` threads (the calling one included), replacing one of another
 * size; `threads` 1 removes it.
 *
 * @throws {BackendError} when the backend's memory is not shared or the workers cannot start
 */
export async function setThreadCount(backend: WasmBackendInternals, threads: number): Promise<void> {
  const current = pools.get(backend);
  if (current?.size === threads) return;
  if (current != null) {
    pools.delete(backend);
    await current.close();
  }
  if (threads <= 1) return;
  const memory = backend.wasm.asm?.memory;
  if (!isSharedMemory(memory)) {
    throw new BackendError('wasm threads need the backend on a shared WebAssembly.Memory (see initBackend)');
  }
  const module = simdKernelsModule(true);
  if (module == null) throw new BackendError('wasm threads need WebAssembly SIMD');
  pools.set(backend, await WorkerPool.start(module, memory as object, threads));
}
