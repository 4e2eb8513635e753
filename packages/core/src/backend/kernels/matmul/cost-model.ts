/**
 * The decisions of the `BatchMatMul` kernel (../batch-mat-mul.ts): which form of a product moves and
 * packs the least data, when a `b` is cut into blocks or padded, when batched products run in SIMD loops,
 * and when a product is worth splitting over threads. Costs are estimates measured on this machine kind;
 * none of these decisions changes a result's bits except the depth blocking of {@link productLayout},
 * which therefore depends on nothing but the shapes and XNNPACK's cache, never on the thread count.
 */

/**
 * Cost weights, in units of one element transposed in JS (~2.5 ns here): XNNPACK's packing of a fresh
 * `b` (a strided gather, as it asks for transposed weights) measured 1.5-3x a JS transpose.
 */
const PACK_COST = 2.5;
const TRANSPOSE_COST = 1;

/**
 * Up to this many multiply-adds per batch slice, batched products run in our SIMD loops (measured: 2–4x
 * faster than per-slice XNNPACK calls up to ~1 M per slice, slower at 16 M).
 */
export const SMALL_SLICE_MACS = 4 * 1024 * 1024;

/**
 * Floats added to each row of a `b` whose rows are a multiple of 256 floats: XNNPACK packs such a `b`
 * 2–2.5x slower (its column walk hits the same cache sets); from a padded copy it packs at the normal
 * rate, and the product's extra columns are dropped.
 */
export const ROW_PAD = 16;

/** Products with fewer rows than this are not blocked (the copies would not pay off). */
export const BLOCK_MIN_ROWS = 256;

/** Whether a `b` of `cols` columns, multiplied with `m` rows of `a`, is worth a row-padded copy. */
export function worthPadding(m: number, rows: number, cols: number): boolean {
  return m < BLOCK_MIN_ROWS && cols % 256 === 0 && rows * cols >= 64 * 1024;
}

/**
 * Packed size of `b` (bytes) above which a tall product is cut into blocks. XNNPACK's fully-connected
 * operator streams all of packed `b` once per few rows of `a`; when that is larger than the core's L2
 * cache, the product becomes memory-bound (a [800,512]·[512,9487] logit layer ran at ~79% of the
 * 1024³ rate, at ~105% in column blocks of 2048).
 */
export const DEFAULT_PACK_BUDGET = 2 * 1024 * 1024;
let packBudgetBytes = DEFAULT_PACK_BUDGET;

/**
 * Sets the packed-size threshold of blocking (benchmarks and tests only; `Infinity` disables blocking,
 * {@link DEFAULT_PACK_BUDGET} restores it).
 */
export function setPackBudget(bytes: number): void {
  packBudgetBytes = bytes;
}

/** How 2-D transposed products choose their form: by the cost model, or forced (for benchmarks). */
export type ProductForm = 'auto' | 'direct' | 'swapped';
let forcedForm: ProductForm = 'auto';

/** Forces the form of transposed 2-D products (benchmarks only; `'auto'` restores the cost model). */
export function setProductForm(form: ProductForm): void {
  forcedForm = form;
}

function pick(direct: number, swapped: number): 'direct' | 'swapped' {
  if (forcedForm !== 'auto') return forcedForm;
  return direct <= swapped ? 'direct' : 'swapped';
}

/**
 * Form of an untransposed `[m,k]·[k,n]` product. With XNNPACK: direct (it packs `b`, unless it holds it
 * packed; plus a row-padded copy where {@link worthPadding}) or swapped (`Cᵀ = bᵀ·aᵀ`: `bᵀ` made unless
 * kept, `aᵀ` transposed and packed, the result transposed back). Our GEMM packs `b` on every call either
 * way, so for it the direct form never moves more.
 */
export function untransposedForm(
  m: number,
  k: number,
  n: number,
  ours: boolean,
  bPacked: boolean,
  bTransposedKept: boolean,
): 'direct' | 'swapped' {
  if (ours) return pick(0, 1);
  const direct = bPacked ? 0 : k * n * PACK_COST + (worthPadding(m, k, n) ? k * n * TRANSPOSE_COST : 0);
  const swapped =
    (bTransposedKept ? 0 : k * n * TRANSPOSE_COST) + k * m * (TRANSPOSE_COST + PACK_COST) + n * m * TRANSPOSE_COST;
  return pick(direct, swapped);
}

/**
 * Form of a 2-D product with at least one transposed operand: direct (transposed copies of the
 * transposed operands, `b`'s kept) or swapped (`Cᵀ = op(b)ᵀ·op(a)ᵀ`, then transposed back). Our GEMM
 * (`ours`) packs its right operand on every call, whichever form.
 */
export function transposedForm(
  m: number,
  k: number,
  n: number,
  ours: boolean,
  transposeA: boolean,
  transposeB: boolean,
  bTransposedKept: boolean,
): 'direct' | 'swapped' {
  const pack = ours ? 0 : PACK_COST;
  const direct =
    (transposeA ? m * k * TRANSPOSE_COST : 0) +
    (transposeB ? (bTransposedKept ? 0 : k * n * (TRANSPOSE_COST + pack)) : k * n * pack);
  const swapped =
    (transposeB ? 0 : n * k * TRANSPOSE_COST) +
    (transposeA ? k * m * pack : k * m * (TRANSPOSE_COST + pack)) +
    n * m * TRANSPOSE_COST;
  return pick(direct, swapped);
}

/** How `out[m,n] = a[m,k]·b[k,n]` is cut for XNNPACK's L2 budget. */
export type ProductLayout =
  | { kind: 'whole' }
  /** column blocks of `b` of `width` columns (same bits as whole) */
  | { kind: 'columns'; width: number }
  /** row blocks of `b` of `depth` rows, the partial products summed in order (other bits than whole) */
  | { kind: 'depth'; depth: number };

/**
 * The blocking of a tall product whose packed `b` would exceed the L2 budget (and is not already packed):
 * column blocks of `b`, or, when `b` is narrow, row blocks with the partial products summed.
 */
export function productLayout(m: number, k: number, n: number, bPacked: boolean): ProductLayout {
  if (m < BLOCK_MIN_ROWS || k * n * 4 <= packBudgetBytes || bPacked) return { kind: 'whole' };
  let wide = Math.floor(packBudgetBytes / (4 * k) / 16) * 16;
  // A row stride of a multiple of 256 floats makes XNNPACK's packing 2-2.5x slower (cache-set aliasing).
  if (wide % 256 === 0) wide -= 16;
  if (wide >= 64) return { kind: 'columns', width: Math.min(wide, n) };
  return { kind: 'depth', depth: Math.max(16, Math.floor(packBudgetBytes / (4 * n) / 16) * 16) };
}

/**
 * Multiply-adds below which a product stays on one thread: handing a share to a worker costs ~1 µs when
 * it is polling (shortly after its last call) and 10–50 µs when it sleeps, against
 * ~10 µs of work at this size.
 */
export const MIN_MACS_PER_THREAD = 256 * 1024;

/** Whether every product and copy that can be split is split, however small (tests). */
let splitAll = false;

/**
 * Splits every product and transpose that has parts for several threads, however small (tests of small
 * models use it to run the threaded paths); `false` restores the size thresholds.
 */
export function setSplitAll(on: boolean): void {
  splitAll = on;
}

/** Columns per block of our GEMM: its packed `b` block (k × columns floats) stays in the L2 cache. */
const GEMM_BLOCK_BYTES = 512 * 1024;

/**
 * Threads worth using for work of `macs` multiply-adds that splits into at most `parts` pieces, on a pool
 * of `poolSize` threads (1: run it on the caller alone).
 */
export function threadsFor(macs: number, parts: number, poolSize: number): number {
  const bySize = splitAll ? poolSize : Math.floor(macs / MIN_MACS_PER_THREAD);
  return Math.max(1, Math.min(poolSize, bySize, parts));
}

/** Elements below which a copy (a transpose) stays on one thread (~20 µs of work). */
export const MIN_COPIES_PER_THREAD = 32 * 1024;

/** Threads worth using for copying `elements` floats that split into at most `parts` pieces. */
export function copyThreads(elements: number, parts: number, poolSize: number): number {
  const bySize = splitAll ? poolSize : Math.floor(elements / MIN_COPIES_PER_THREAD);
  return Math.max(1, Math.min(poolSize, bySize, parts));
}

/** Threads worth using for a `[m,k]·[k,n]` product on a pool of `poolSize` (split by 8 columns or 4 rows). */
export function gemmThreads(m: number, k: number, n: number, poolSize: number): number {
  return threadsFor(m * k * n, Math.max(Math.ceil(n / 8), Math.ceil(m / 4)), poolSize);
}

/** Width (a multiple of 8) of the column blocks of our GEMM for an inner size `k`. */
export function gemmBlockColumns(k: number): number {
  return Math.max(8, Math.floor(GEMM_BLOCK_BYTES / (4 * k) / 8) * 8);
}

/** Which engine runs a 2-D product: by the cost model, or forced (benchmarks and tests). */
export type GemmEngine = 'auto' | 'xnnpack' | 'ours';
let forcedEngine: GemmEngine = 'auto';

/** Forces the engine of 2-D products (benchmarks and tests only; `'auto'` restores the cost model). */
export function setGemmEngine(engine: GemmEngine): void {
  forcedEngine = engine;
}

/**
 * Rows of `a` up to which our `gemm_rows` (B read in place, not packed) runs a product, on any number of
 * threads: a decoding step's `[1, 768]·[768, 3072]` took 11–16 ms on two threads through the packing GEMM
 * (packing all of B for one row) against ~0.5 ms through XNNPACK's held packing on one.
 */
export const ROWS_KERNEL_MAX_ROWS = 15;

/**
 * Whether `gemm_rows` runs a product of `m` rows: few rows, unless XNNPACK is forced (benchmarks, tests).
 * The same on any thread count, so it changes no decision that depends on the thread count.
 */
export function useRowsKernel(m: number): boolean {
  return forcedEngine !== 'xnnpack' && m <= ROWS_KERNEL_MAX_ROWS;
}

/**
 * Whether our GEMM (rather than XNNPACK) runs a product too tall for {@link useRowsKernel}: unless XNNPACK is
 * forced, always (measured 1.0–1.9x XNNPACK's rate on one thread: tall products do not outgrow the L2 cache;
 * XNNPACK cannot run on our workers). XNNPACK's one remaining edge, reusing its packing of a decoding step's
 * weights for a few rows, went to `gemm_rows`, which needs no packing at all.
 */
export function useOurGemm(): boolean {
  return forcedEngine !== 'xnnpack';
}
