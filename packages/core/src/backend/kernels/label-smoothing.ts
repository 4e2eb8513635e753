/**
 * Kernels of {@link labelSmoothingCrossEntropy}: AoANet's label-smoothed loss per row, read off the
 * softmax of the logits, and its gradient `dy · (softmax − q)`, for the wasm and cpu backends.
 *
 * Written with tfjs ops, `log_softmax` followed by the KL divergence to the smoothed target distribution
 * runs some fifteen full-size kernels forward and backward (max, subtract, exp, sum, log, the row sums and
 * the gold log-probs, and their gradients): ~0.3 s for AoANet's `[850, 9488]` logits on wasm. Here the
 * only full-size passes are one softmax (XNNPACK's vectorised kernel on wasm), two scans (row sums and
 * maxima of the logits, maxima of the probabilities) forward and one pass writing the gradient backward,
 * SIMD loops on wasm (kernels.wat), JS loops on cpu.
 *
 * With `q` = `1 − ε` on the target and `ε/(V − 1)` elsewhere, `lse` the row's log-sum-exp and
 * `log p_v = x_v − lse`:
 * ```
 * loss = Σ_v q_v log q_v − (ε/(V−1))·(Σ_v x_v − V·lse) − (1 − ε − ε/(V−1))·(x_t − lse)
 * dloss/dx_v = softmax_v − q_v
 * ```
 * `lse = max_v x_v − log max_v p_v` (the largest probability, at the largest logit, is at least 1/V: no
 * underflow).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { simdKernels } from '../simd/simd-module';
import {
  checkTarget,
  cpuRowLossKernel,
  cpuValues,
  rowsAndClasses,
  wasmOrCpuKernels,
} from './sparse-softmax-cross-entropy';
import { asWasmBackend, heapF32, heapI32 } from './wasm-internals';

/** Kernel: per-row label-smoothed loss from `logits`, `probs = softmax(logits)`, `targets`; attr `smoothing`. */
export const LABEL_SMOOTHING_LOSS = 'CaptionLabelSmoothingLoss';
/** Kernel: `dlogits = dy[row] · (probs − q)` from `probs`, `targets`, `dy`; attr `smoothing`. */
export const LABEL_SMOOTHING_GRAD = 'CaptionLabelSmoothingGrad';

/** Attributes of both kernels. */
export interface LabelSmoothingAttrs {
  /** ε in [0, 1) */
  smoothing: number;
}

/** The smoothed target distribution of `classes` classes: `on` at the target, `off` elsewhere, and `Σ q log q`. */
export function smoothedTarget(
  smoothing: number,
  classes: number,
): { on: number; off: number; negativeEntropy: number } {
  const off = smoothing / (classes - 1);
  const on = 1 - smoothing;
  const xlogx = (v: number) => (v === 0 ? 0 : v * Math.log(v));
  return { on, off, negativeEntropy: xlogx(on) + (classes - 1) * xlogx(off) };
}

/** Per row of `x` `[rows, cols]`: `sums[r] = Σ_j x[r, j]` (float64) and `maxes[r] = max_j x[r, j]` (JS loop). */
export function rowSumsAndMaxes(
  x: Float32Array,
  rows: number,
  cols: number,
  sums: Float64Array,
  maxes: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let max = -Infinity;
    for (let j = r * cols; j < (r + 1) * cols; j++) {
      const v = x[j]!;
      sum += v;
      if (v > max) max = v;
    }
    sums[r] = sum;
    maxes[r] = max;
  }
}

/**
 * Fills `loss[r]` with row r's KL divergence from the smoothed target to `softmax(logits[r])`, from the
 * row's logit sum, its largest logit and its largest probability (`lse = max x − log max p`).
 */
export function smoothedLossesFromRowStats(
  logits: Float32Array,
  targets: Int32Array,
  classes: number,
  smoothing: number,
  stats: { logitSums: Float64Array; logitMaxes: Float32Array; probMaxes: Float32Array },
  loss: Float32Array,
): void {
  const { on, off, negativeEntropy } = smoothedTarget(smoothing, classes);
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r]!;
    checkTarget('labelSmoothingCrossEntropy', t, r, classes);
    const lse = stats.logitMaxes[r]! - Math.log(stats.probMaxes[r]!);
    loss[r] =
      negativeEntropy - off * (stats.logitSums[r]! - classes * lse) - (on - off) * (logits[r * classes + t]! - lse);
  }
}

/** The losses in JS loops (cpu, and wasm without SIMD). */
export function smoothedRowLosses(
  logits: Float32Array,
  probs: Float32Array,
  targets: Int32Array,
  classes: number,
  smoothing: number,
  loss: Float32Array,
): void {
  const rows = targets.length;
  const stats = {
    logitSums: new Float64Array(rows),
    logitMaxes: new Float32Array(rows),
    probMaxes: new Float32Array(rows),
  };
  rowSumsAndMaxes(logits, rows, classes, stats.logitSums, stats.logitMaxes);
  rowSumsAndMaxes(probs, rows, classes, new Float64Array(rows), stats.probMaxes);
  smoothedLossesFromRowStats(logits, targets, classes, smoothing, stats, loss);
}

/** Sets `grad[r, t_r] = (probs[r, t_r] − (1 − ε)) · dy[r]` (float32 roundings as the SIMD kernel's). */
function fixTargets(
  probs: Float32Array,
  targets: Int32Array,
  dy: Float32Array,
  classes: number,
  smoothing: number,
  grad: Float32Array,
): void {
  const on = Math.fround(1 - smoothing);
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r]!;
    checkTarget('labelSmoothingCrossEntropy', t, r, classes);
    const at = r * classes + t;
    grad[at] = Math.fround(Math.fround(probs[at]! - on) * dy[r]!);
  }
}

/** Writes `grad[r, v] = dy[r] · (probs[r, v] − q_v)` in JS loops (one float32 rounding per operation). */
export function smoothedGradient(
  probs: Float32Array,
  targets: Int32Array,
  dy: Float32Array,
  classes: number,
  smoothing: number,
  grad: Float32Array,
): void {
  const off = Math.fround(smoothedTarget(smoothing, classes).off);
  for (let r = 0; r < targets.length; r++) {
    const s = dy[r]!;
    for (let j = r * classes; j < (r + 1) * classes; j++) grad[j] = Math.fround(Math.fround(probs[j]! - off) * s);
  }
  fixTargets(probs, targets, dy, classes, smoothing, grad);
}

function smoothingOf(attrs: NamedAttrMap | undefined): number {
  const smoothing = (attrs as unknown as LabelSmoothingAttrs | undefined)?.smoothing;
  if (smoothing === undefined || !(smoothing >= 0 && smoothing < 1)) {
    throw new BackendError(`labelSmoothingCrossEntropy: smoothing must be in [0, 1), got ${String(smoothing)}`);
  }
  return smoothing;
}

const wasmLoss: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasmBackend(backend);
  const logits = inputs['logits'] as TensorInfo;
  const probs = inputs['probs'] as TensorInfo;
  const targets = inputs['targets'] as TensorInfo;
  const [rows, classes] = rowsAndClasses('labelSmoothingCrossEntropy', logits);
  const smoothing = smoothingOf(attrs);
  const out = wasm.makeOutput([rows], 'float32');
  const simd = simdKernels(wasm);
  if (simd == null) {
    smoothedRowLosses(
      heapF32(wasm, logits),
      heapF32(wasm, probs),
      heapI32(wasm, targets),
      classes,
      smoothing,
      heapF32(wasm, out),
    );
    return out;
  }
  // two SIMD scans (logits: sums and maxima; probabilities: maxima), then O(rows) in JS
  const scratch = [
    wasm.makeOutput([2 * rows], 'float32'),
    wasm.makeOutput([2 * rows], 'float32'),
    wasm.makeOutput([rows], 'float32'),
    wasm.makeOutput([rows], 'float32'),
  ];
  try {
    const at = (info: TensorInfo) => wasm.dataIdMap.get(info.dataId).memoryOffset;
    const [logitSums, probSums, logitMaxes, probMaxes] = scratch as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
    simd.row_sum_max(at(logits), rows, classes, at(logitSums), at(logitMaxes));
    simd.row_sum_max(at(probs), rows, classes, at(probSums), at(probMaxes));
    const stats = {
      logitSums: new Float64Array(wasm.wasm.HEAPU8.buffer, at(logitSums), rows),
      logitMaxes: heapF32(wasm, logitMaxes),
      probMaxes: heapF32(wasm, probMaxes),
    };
    smoothedLossesFromRowStats(
      heapF32(wasm, logits),
      heapI32(wasm, targets),
      classes,
      smoothing,
      stats,
      heapF32(wasm, out),
    );
  } finally {
    for (const info of scratch) wasm.disposeData(info.dataId, true);
  }
  return out;
};

const wasmGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasmBackend(backend);
  const probs = inputs['probs'] as TensorInfo;
  const targets = inputs['targets'] as TensorInfo;
  const dy = inputs['dy'] as TensorInfo;
  const [rows, classes] = rowsAndClasses('labelSmoothingCrossEntropy', probs);
  const smoothing = smoothingOf(attrs);
  const grad = wasm.makeOutput(probs.shape, 'float32');
  const simd = simdKernels(wasm);
  if (simd == null) {
    smoothedGradient(
      heapF32(wasm, probs),
      heapI32(wasm, targets),
      heapF32(wasm, dy),
      classes,
      smoothing,
      heapF32(wasm, grad),
    );
    return grad;
  }
  const at = (info: TensorInfo) => wasm.dataIdMap.get(info.dataId).memoryOffset;
  simd.sub_scale_rows(at(probs), at(grad), rows, classes, Math.fround(smoothedTarget(smoothing, classes).off), at(dy));
  fixTargets(heapF32(wasm, probs), heapI32(wasm, targets), heapF32(wasm, dy), classes, smoothing, heapF32(wasm, grad));
  return grad;
};

const cpuLoss = cpuRowLossKernel('labelSmoothingCrossEntropy', (x, loss, attrs) =>
  smoothedRowLosses(x.logits, x.probs, x.targets, x.classes, smoothingOf(attrs), loss),
);

const cpuGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const probs = inputs['probs'] as TensorInfo;
  const [rows, classes] = rowsAndClasses('labelSmoothingCrossEntropy', probs);
  const grad = new Float32Array(rows * classes);
  smoothedGradient(
    cpuValues(cpu, probs),
    cpuValues(cpu, inputs['targets'] as TensorInfo),
    cpuValues(cpu, inputs['dy'] as TensorInfo),
    classes,
    smoothingOf(attrs),
    grad,
  );
  return cpu.makeTensorInfo([rows, classes], 'float32', grad);
};

/** The two kernels for a backend (wasm and cpu have them). */
export function labelSmoothingKernels(backendName: 'wasm' | 'cpu'): KernelConfig[] {
  return wasmOrCpuKernels(backendName, {
    [LABEL_SMOOTHING_LOSS]: { wasm: wasmLoss, cpu: cpuLoss },
    [LABEL_SMOOTHING_GRAD]: { wasm: wasmGrad, cpu: cpuGrad },
  });
}
