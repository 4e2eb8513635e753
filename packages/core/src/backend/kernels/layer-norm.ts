/**
 * Kernels of {@link layerNorm}: layer normalisation over the last axis, forward and backward, for the wasm
 * and cpu backends.
 *
 * Written with tfjs ops, one layer norm is ~10 kernels forward (mean, subtract, square, sum, divide, sqrt,
 * add, divide, multiply, add) and ~25 backward. At a captioner's small widths (AoANet's demo: 64 features)
 * each costs far more in tfjs's per-kernel overhead than in arithmetic, so here one kernel does the forward
 * pass and one the backward pass, in JS loops over the rows (float64 row sums).
 *
 * With `c = x − μ` per row of `F` features and `D` the row's denominator:
 * ```
 * standard:  D = sqrt(Σc²/F + eps)                  annotated:  s = sqrt(Σc²/(F−1)), D = s + eps
 * y = γ·c/D + β
 * g_j = γ_j·dy_j/D − (Σ_k γ_k·dy_k·c_k)/D² · ∂D/∂c_j,  ∂D/∂c_j = c_j/(F·D)  or  c_j/((F−1)·s) (0 where s = 0)
 * dx = g − mean(g),  dγ = Σ_rows dy·c/D,  dβ = Σ_rows dy
 * ```
 * The annotated variant's `∂D/∂c` is taken as 0 on constant rows (`s = 0`), as PyTorch's `std` backward
 * does (see `sqrtWithZeroGradientAtZero`), so such rows get finite gradients.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { cpuValues, wasmOrCpuKernels } from './sparse-softmax-cross-entropy';
import { asWasmBackend, heapF32, sizeOf, type WasmBackendInternals } from './wasm-internals';

/** Kernel: `y` (the shape of `x`) and `stats` `[rows, 2]` from `x`, `gain`, `shift`; attrs `variant`, `eps`. */
export const LAYER_NORM = 'CaptionLayerNorm';
/** Kernel: `dx`, `dgain`, `dshift` from `dy`, `x`, `gain`, `stats` (the forward's); attrs `variant`, `eps`. */
export const LAYER_NORM_GRAD = 'CaptionLayerNormGrad';

/**
 * Which normalisation a layer norm computes.
 * - `'standard'`: `nn.LayerNorm`: `(x − μ) / sqrt(var + eps) · weight + bias`, biased variance, eps 1e-5,
 *   parameters `weight`, `bias`.
 * - `'annotated'`: the annotated transformer's, used everywhere in AoANet (`models/TransformerModel.py`):
 *   `a_2 · (x − μ) / (std + eps) + b_2` with the UNBIASED std (divides by N − 1) and eps (1e-6) added to
 *   the std, parameters `a_2`, `b_2`. It differs from the standard one by 0.045 on the reference fixture.
 */
export type LayerNormVariant = 'standard' | 'annotated';

/** Attributes of both kernels. */
export interface LayerNormAttrs {
  /** which denominator */
  variant: LayerNormVariant;
  /** > 0: added to the variance (standard) or to the std (annotated) */
  eps: number;
}

/**
 * Per row of `x` `[rows, F]`: `y = γ·(x − μ)/D + β`, and `stats[2r] = μ`, `stats[2r + 1] = σ`, where σ is
 * `D` for the standard variant and the unbiased std `s` for the annotated one (`D = s + eps`; the backward
 * pass needs `s` itself to know where it is 0). Row sums in float64.
 */
export function layerNormRows(
  x: Float32Array,
  gain: Float32Array,
  shift: Float32Array,
  features: number,
  attrs: LayerNormAttrs,
  y: Float32Array,
  stats: Float32Array,
): void {
  const rows = x.length / features;
  const standard = attrs.variant === 'standard';
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    let sum = 0;
    for (let j = base; j < base + features; j++) sum += x[j]!;
    const mean = sum / features;
    let squares = 0;
    for (let j = base; j < base + features; j++) {
      const c = x[j]! - mean;
      squares += c * c;
    }
    const sigma = standard ? Math.sqrt(squares / features + attrs.eps) : Math.sqrt(squares / (features - 1));
    const inverse = 1 / (standard ? sigma : sigma + attrs.eps);
    for (let j = 0; j < features; j++) y[base + j] = gain[j]! * (x[base + j]! - mean) * inverse + shift[j]!;
    stats[2 * r] = mean;
    stats[2 * r + 1] = sigma;
  }
}

/** The gradients of {@link layerNormRows}' `y` (see the formulas above), float64 sums. */
export function layerNormRowsGrad(
  dy: Float32Array,
  x: Float32Array,
  gain: Float32Array,
  stats: Float32Array,
  features: number,
  attrs: LayerNormAttrs,
  dx: Float32Array,
  dgain: Float32Array,
  dshift: Float32Array,
): void {
  const rows = x.length / features;
  const standard = attrs.variant === 'standard';
  const gainSums = new Float64Array(features);
  const shiftSums = new Float64Array(features);
  const g = new Float64Array(features);
  for (let r = 0; r < rows; r++) {
    const base = r * features;
    const mean = stats[2 * r]!;
    const sigma = stats[2 * r + 1]!;
    const inverse = 1 / (standard ? sigma : sigma + attrs.eps);
    // Σ γ·dy·c, and the gain's and shift's sums
    let dot = 0;
    for (let j = 0; j < features; j++) {
      const d = dy[base + j]!;
      const c = x[base + j]! - mean;
      dot += gain[j]! * d * c;
      gainSums[j]! += d * c * inverse;
      shiftSums[j]! += d;
    }
    // g_j = γ_j·dy_j/D − coef·c_j, coef = dot/D² · ∂D/∂c_j / c_j
    let coef: number;
    if (standard) coef = (dot * inverse * inverse * inverse) / features;
    else coef = sigma > 0 ? (dot * inverse * inverse) / ((features - 1) * sigma) : 0;
    let gSum = 0;
    for (let j = 0; j < features; j++) {
      const gj = gain[j]! * dy[base + j]! * inverse - coef * (x[base + j]! - mean);
      g[j] = gj;
      gSum += gj;
    }
    const gMean = gSum / features;
    for (let j = 0; j < features; j++) dx[base + j] = g[j]! - gMean;
  }
  dgain.set(gainSums);
  dshift.set(shiftSums);
}

/** The attributes, checked. */
function attrsOf(attrs: NamedAttrMap | undefined): LayerNormAttrs {
  const a = attrs as unknown as Partial<LayerNormAttrs> | undefined;
  if (a?.variant !== 'standard' && a?.variant !== 'annotated') {
    throw new BackendError(`layerNorm: variant must be 'standard' or 'annotated', got '${String(a?.variant)}'`);
  }
  if (typeof a.eps !== 'number' || !Number.isFinite(a.eps) || a.eps <= 0) {
    throw new BackendError(`layerNorm: eps must be a positive number, got ${String(a.eps)}`);
  }
  return { variant: a.variant, eps: a.eps };
}

/** The feature count `F` of `x` (its last dimension), checked against `gain` (and `stats`' rows when given). */
function featuresOf(x: TensorInfo, gain: TensorInfo, stats?: TensorInfo): number {
  const features = x.shape[x.shape.length - 1];
  if (features === undefined || gain.shape.length !== 1 || gain.shape[0] !== features) {
    throw new BackendError(
      `layerNorm: x [${x.shape.join(',')}] and gain [${gain.shape.join(',')}] must be [..., F] and [F]`,
    );
  }
  if (stats !== undefined && sizeOf(stats.shape) !== (2 * sizeOf(x.shape)) / features) {
    throw new BackendError(`layerNorm: stats [${stats.shape.join(',')}] do not match x [${x.shape.join(',')}]`);
  }
  return features;
}

/** `[y, stats]` as tensors of `backend`, from `out(shape)` outputs, filled by {@link layerNormRows}. */
function forward(
  inputs: Record<string, TensorInfo | undefined>,
  attrs: NamedAttrMap | undefined,
  out: (shape: number[]) => TensorInfo,
  values: (info: TensorInfo) => Float32Array,
): TensorInfo[] {
  const [x, gain, shift] = ['x', 'gain', 'shift'].map((name) => inputs[name]) as [TensorInfo, TensorInfo, TensorInfo];
  const features = featuresOf(x, gain);
  const a = attrsOf(attrs);
  const y = out(x.shape);
  const stats = out([sizeOf(x.shape) / features, 2]);
  // views after every allocation: a growing wasm heap detaches earlier ones
  layerNormRows(values(x), values(gain), values(shift), features, a, values(y), values(stats));
  return [y, stats];
}

/** `[dx, dgain, dshift]`, filled by {@link layerNormRowsGrad}. */
function backward(
  inputs: Record<string, TensorInfo | undefined>,
  attrs: NamedAttrMap | undefined,
  out: (shape: number[]) => TensorInfo,
  values: (info: TensorInfo) => Float32Array,
): TensorInfo[] {
  const [dy, x, gain, stats] = ['dy', 'x', 'gain', 'stats'].map((name) => inputs[name]) as [
    TensorInfo,
    TensorInfo,
    TensorInfo,
    TensorInfo,
  ];
  const features = featuresOf(x, gain, stats);
  const a = attrsOf(attrs);
  const [dx, dgain, dshift] = [out(x.shape), out([features]), out([features])] as [TensorInfo, TensorInfo, TensorInfo];
  layerNormRowsGrad(
    values(dy),
    values(x),
    values(gain),
    values(stats),
    features,
    a,
    values(dx),
    values(dgain),
    values(dshift),
  );
  return [dx, dgain, dshift];
}

function wasmParts(backend: unknown): [(shape: number[]) => TensorInfo, (info: TensorInfo) => Float32Array] {
  const wasm: WasmBackendInternals = asWasmBackend(backend);
  return [(shape) => wasm.makeOutput(shape, 'float32'), (info) => heapF32(wasm, info)];
}

/** cpu outputs are allocated zero-filled and written in place (the cpu backend keeps the array it is given). */
function cpuParts(backend: unknown): [(shape: number[]) => TensorInfo, (info: TensorInfo) => Float32Array] {
  const cpu = backend as MathBackendCPU;
  return [
    (shape) => cpu.makeTensorInfo(shape, 'float32', new Float32Array(sizeOf(shape))),
    (info) => cpuValues<Float32Array>(cpu, info),
  ];
}

const wasmForward: KernelFunc = ({ inputs, backend, attrs }) => forward(inputs, attrs, ...wasmParts(backend));
const wasmBackward: KernelFunc = ({ inputs, backend, attrs }) => backward(inputs, attrs, ...wasmParts(backend));
const cpuForward: KernelFunc = ({ inputs, backend, attrs }) => forward(inputs, attrs, ...cpuParts(backend));
const cpuBackward: KernelFunc = ({ inputs, backend, attrs }) => backward(inputs, attrs, ...cpuParts(backend));

/** The two kernels for a backend (wasm and cpu have them). */
export function layerNormKernels(backendName: 'wasm' | 'cpu'): KernelConfig[] {
  return wasmOrCpuKernels(backendName, {
    [LAYER_NORM]: { wasm: wasmForward, cpu: cpuForward },
    [LAYER_NORM_GRAD]: { wasm: wasmBackward, cpu: cpuBackward },
  });
}
