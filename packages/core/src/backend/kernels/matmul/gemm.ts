/**
 * `C = A·B` with our GEMM kernel (kernels.wat) split over the calling thread and the worker pool.
 *
 * Each output element is computed by one thread, by the same kernel, in the same order (and that order
 * gives XNNPACK's bits), so the result does not depend on the thread count or the split. The split is by
 * 8-column panels (each thread packs only its own columns of B), or by rows of 4 when B has fewer panels
 * than there are threads.
 */
import { BackendError } from '../../errors';
import { simdKernels } from '../../simd/simd-module';
import type { KernelCall, WorkerPool } from '../../threads/worker-pool';
import type { WasmBackendInternals } from '../wasm-internals';
import { gemmBlockColumns } from './cost-model';

/** A product's operands in the heap: byte offsets, row strides in floats. */
export interface GemmOperands {
  a: number;
  lda: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
  m: number;
  k: number;
  n: number;
}

/** Per-thread packing buffers of a backend, grown on demand and kept (a few hundred KiB each). */
const packBuffers = new WeakMap<WasmBackendInternals, Array<{ pointer: number; bytes: number }>>();

function packBuffer(backend: WasmBackendInternals, thread: number, bytes: number): number {
  let buffers = packBuffers.get(backend);
  if (buffers == null) {
    buffers = [];
    packBuffers.set(backend, buffers);
  }
  const known = buffers[thread];
  if (known != null && known.bytes >= bytes) return known.pointer;
  if (known != null) backend.wasm._free(known.pointer);
  const pointer = backend.wasm._malloc(bytes);
  if (pointer === 0) throw new BackendError(`gemm: cannot allocate ${bytes} bytes of packing buffer in the wasm heap`);
  buffers[thread] = { pointer, bytes };
  return pointer;
}

/** Floats of packed B that one thread's share of `width` columns needs. */
function packFloats(k: number, width: number): number {
  return k * Math.ceil(Math.min(gemmBlockColumns(k), width) / 8) * 8;
}

/** Our SIMD kernels module, or a {@link BackendError} naming the kernel that needed it. */
function requireSimd(backend: WasmBackendInternals, kernel: string): NonNullable<ReturnType<typeof simdKernels>> {
  const simd = simdKernels(backend);
  if (simd == null) throw new BackendError(`${kernel}: the SIMD kernels module is not available`);
  return simd;
}

/** Thread `t`'s columns `[j0, j1)` of `n`, split into whole groups of `unit` columns (the kernel's lanes or panels). */
function columnShare(t: number, threads: number, n: number, unit: number): [number, number] {
  const groups = Math.ceil(n / unit);
  return [Math.floor((t * groups) / threads) * unit, Math.min(n, Math.floor(((t + 1) * groups) / threads) * unit)];
}

/**
 * Runs `C = A·B` for few rows of A with B read in place (kernels.wat `gemm_rows`, no packing), on `threads`
 * threads of `pool`, each taking a range of columns (a multiple of 4, so every thread runs whole SIMD lanes).
 */
export function parallelGemmRows(
  backend: WasmBackendInternals,
  pool: WorkerPool | null,
  g: GemmOperands,
  threads: number,
): void {
  const simd = requireSimd(backend, 'gemm_rows');
  if (pool == null || threads <= 1) {
    simd.gemm_rows(g.a, g.b, g.c, g.m, g.k, g.n, g.lda, g.ldb, g.ldc);
    return;
  }
  const calls: KernelCall[] = [];
  for (let t = 0; t < threads; t++) {
    const [j0, j1] = columnShare(t, threads, g.n, 4);
    if (j1 > j0) {
      calls.push({
        fn: 'gemm_rows',
        args: [g.a, g.b + 4 * j0, g.c + 4 * j0, g.m, g.k, j1 - j0, g.lda, g.ldb, g.ldc],
      });
    }
  }
  pool.run(calls, simd);
}

/** Runs `C = A·B` on `threads` threads of `pool` (the calling thread included; no pool: 1 thread). */
export function parallelGemm(
  backend: WasmBackendInternals,
  pool: WorkerPool | null,
  g: GemmOperands,
  threads: number,
): void {
  const simd = requireSimd(backend, 'gemm');
  const nc = gemmBlockColumns(g.k);
  if (pool == null || threads <= 1) {
    const pk = packBuffer(backend, 0, 4 * packFloats(g.k, g.n));
    simd.gemm(g.a, g.b, g.c, g.m, g.k, g.n, g.lda, g.ldb, g.ldc, nc, pk);
    return;
  }
  const calls: KernelCall[] = [];
  const panels = Math.ceil(g.n / 8);
  if (panels >= threads) {
    for (let t = 0; t < threads; t++) {
      const [j0, j1] = columnShare(t, threads, g.n, 8);
      const pk = packBuffer(backend, t, 4 * packFloats(g.k, j1 - j0));
      calls.push({
        fn: 'gemm',
        args: [g.a, g.b + 4 * j0, g.c + 4 * j0, g.m, g.k, j1 - j0, g.lda, g.ldb, g.ldc, nc, pk],
      });
    }
  } else {
    const blocks = Math.ceil(g.m / 4);
    const used = Math.min(threads, blocks);
    for (let t = 0; t < used; t++) {
      const i0 = Math.floor((t * blocks) / used) * 4;
      const i1 = Math.min(g.m, Math.floor(((t + 1) * blocks) / used) * 4);
      const pk = packBuffer(backend, t, 4 * packFloats(g.k, g.n));
      calls.push({
        fn: 'gemm',
        args: [g.a + 4 * i0 * g.lda, g.b, g.c + 4 * i0 * g.ldc, i1 - i0, g.k, g.n, g.lda, g.ldb, g.ldc, nc, pk],
      });
    }
  }
  pool.run(calls, simd);
}
