/**
 * Our SIMD kernels (kernels.wat), instantiated next to tfjs-backend-wasm's module on its memory.
 *
 * tfjs's wasm binary exposes no fused kernels beyond its own; a second, tiny module that imports the
 * same `WebAssembly.Memory` can run vectorised loops over tensors in place. Where WebAssembly SIMD or
 * the memory is unavailable, {@link simdKernels} returns null and callers use their JS loops.
 */
import type { WasmBackendInternals } from '../kernels/wasm-internals';
import { withSharedMemory } from '../threads/shared-memory';
import { SIMD_KERNELS_WASM_BASE64 } from './kernels-wasm';

/** The exported functions of kernels.wat (pointers are byte offsets into the backend's heap). */
export interface SimdKernels {
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    outP: number,
    outM: number,
    outV: number,
    n: number,
    stepSize: number,
    bias2Sqrt: number,
    eps: number,
    beta1: number,
    c1: number,
    beta2: number,
    c2: number,
    keep: number,
    l2: number,
  ): void;
  /** `dst[cols, rows] = transpose(src[rows, cols])`, float32, row strides `srcStride`, `dstStride` (floats) */
  transpose(src: number, dst: number, rows: number, cols: number, srcStride: number, dstStride: number): void;
  /** `batch` stacked `rows × cols` matrices at `src`, each transposed into the same place of `dst` */
  transpose_batch(src: number, dst: number, batch: number, rows: number, cols: number): void;
  /** `out[b] = A[b]·B[b]` for contiguous batches; A's (i, p) at `i·aRow + p·aCol` elements, B `k×n` */
  bmm_nn(
    a: number,
    b: number,
    out: number,
    batch: number,
    m: number,
    k: number,
    n: number,
    aRow: number,
    aCol: number,
  ): void;
  /** `out[b] = A[b]·B[b]ᵀ` for contiguous batches; A `m×k`, B `n×k`, both row-major */
  bmm_nt(a: number, b: number, out: number, batch: number, m: number, k: number, n: number): void;
  /** copies `rows` rows of `width` bytes between row strides (bytes) */
  copy2d(src: number, srcStride: number, dst: number, dstStride: number, rows: number, width: number): void;
  /** `dst[i] += src[i]` for `n` floats */
  add_into(src: number, dst: number, n: number): void;
  /** `out[o, i] = scale·Σ_r x[o, r, i]` (float64 sums in `acc`, `inner` doubles of scratch) */
  sum_middle(x: number, out: number, acc: number, outer: number, reduce: number, inner: number, scale: number): void;
  /** per row of `x [rows, cols]`: `sums[r]` (float64) = Σ_j x[r, j], `maxes[r]` (float32) = max_j x[r, j] */
  row_sum_max(x: number, rows: number, cols: number, sums: number, maxes: number): void;
  /** `dst[r, j] = (src[r, j] − c) · scales[r]` for `src [rows, cols]`, float32 `scales [rows]` */
  sub_scale_rows(src: number, dst: number, rows: number, cols: number, c: number, scales: number): void;
  /**
   * `C[i, j] = Σ_p A[i, p]·B[p, j]` for `m × k` A and `k × n` B, summed in order from +0 (the bits of
   * XNNPACK's product); row-major, row strides `lda`, `ldb`, `ldc` in floats; B is packed per block of
   * `nc` columns into `pk` (`k · ⌈min(nc, n)/8⌉·8` floats)
   */
  /**
   * `C[i, j] = Σ_p A[i, p]·B[p, j]` summed in order from +0 (the bits of {@link SimdKernels.gemm}) with B read in
   * place, not packed: for products with few rows of A (a decoding step), where packing B costs more than the
   * product; row strides `lda`, `ldb`, `ldc` in floats
   */
  gemm_rows(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    lda: number,
    ldb: number,
    ldc: number,
  ): void;
  gemm(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    lda: number,
    ldb: number,
    ldc: number,
    nc: number,
    pk: number,
  ): void;
}

/** The parts of the WebAssembly JS API used here (the package compiles without DOM typings). */
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
  Memory: abstract new (...args: never[]) => object;
}

const webAssembly = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

const compiled = new Map<boolean, object | null>();
const instances = new WeakMap<WasmBackendInternals, SimdKernels | null>();

function decodeBase64(text: string): Uint8Array {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(text, 'base64'));
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * The compiled kernels module, for an ordinary or a shared memory (the import's declared sharedness must
 * match the memory's), or null where WebAssembly SIMD is unavailable.
 */
export function simdKernelsModule(shared: boolean): object | null {
  let module = compiled.get(shared);
  if (module === undefined) {
    let bytes = decodeBase64(SIMD_KERNELS_WASM_BASE64);
    if (shared) bytes = withSharedMemory(bytes);
    module = webAssembly != null && webAssembly.validate(bytes) ? new webAssembly.Module(bytes) : null;
    compiled.set(shared, module);
  }
  return module;
}

/** Whether a `WebAssembly.Memory` is backed by a `SharedArrayBuffer`. */
export function isSharedMemory(memory: unknown): boolean {
  const buffer = (memory as { buffer?: unknown } | null)?.buffer;
  return typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;
}

/** The SIMD kernels bound to this backend's memory, or null where they cannot run. */
export function simdKernels(backend: WasmBackendInternals): SimdKernels | null {
  const known = instances.get(backend);
  if (known !== undefined) return known;
  let kernels: SimdKernels | null = null;
  const memory = backend.wasm.asm?.memory;
  const module = simdKernelsModule(isSharedMemory(memory));
  if (webAssembly != null && module != null && memory instanceof webAssembly.Memory) {
    const instance = new webAssembly.Instance(module, { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
  }
  instances.set(backend, kernels);
  return kernels;
}
