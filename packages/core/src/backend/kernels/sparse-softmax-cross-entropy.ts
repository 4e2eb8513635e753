/**
 * Kernels of {@link sparseSoftmaxCrossEntropy}: the per-row loss read off the softmax, and the gradient
 * `softmax · dy − onehot · dy`, for the wasm and cpu backends.
 *
 * tfjs's `losses.softmaxCrossEntropy` needs one-hot labels as large as the logits and runs some ten
 * full-size kernels forward and backward (log-softmax through `Exp`, `Sub`, `Sum`, `Log`, the one-hot
 * product, ...). For a captioner's `[T·B, vocab]` logits that was the largest non-matmul cost of a step
 * (760 ms on wasm for [800, 9487] with its gradient). Here the only full-size passes are one softmax
 * (XNNPACK's vectorised kernel on wasm) and one broadcast multiply in the backward pass; the rest is
 * O(rows).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { asWasmBackend, heapF32, heapI32, type WasmBackendInternals } from './wasm-internals';

/** Kernel: per-row `−log softmax(logits)[target]` from `logits`, `probs = softmax(logits)`, `targets`. */
export const SPARSE_SOFTMAX_CE_LOSS = 'CaptionSparseSoftmaxCrossEntropyLoss';
/** Kernel: `dlogits = probs · dy[row] − onehot(target) · dy[row]` from `probs`, `targets`, `dy`. */
export const SPARSE_SOFTMAX_CE_GRAD = 'CaptionSparseSoftmaxCrossEntropyGrad';

/** Below this probability the loss is computed from the row's log-sum-exp instead of `−log p`. */
const TINY_PROBABILITY = 1e-30;

/** Throws when a row's target class is outside `[0, classes)`; `where` names the op. */
export function checkTarget(where: string, target: number, row: number, classes: number): void {
  if (!(target >= 0 && target < classes)) {
    throw new BackendError(`${where}: target ${target} of row ${row} is outside [0, ${classes})`);
  }
}

/**
 * Fills `loss[r] = −log probs[r, t_r]`; when that probability is tiny (or 0 in float32), from the row's
 * log-sum-exp `logits[r, j*] − log probs[r, j*]` at its largest logit `j*`, minus `logits[r, t_r]`.
 */
export function rowLosses(
  logits: Float32Array,
  probs: Float32Array,
  targets: Int32Array,
  classes: number,
  loss: Float32Array,
): void {
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r]!;
    checkTarget('sparseSoftmaxCrossEntropy', t, r, classes);
    const base = r * classes;
    const p = probs[base + t]!;
    if (p > TINY_PROBABILITY) {
      loss[r] = -Math.log(p);
      continue;
    }
    let best = base;
    for (let j = base + 1; j < base + classes; j++) if (logits[j]! > logits[best]!) best = j;
    loss[r] = logits[best]! - Math.log(probs[best]!) - logits[base + t]!;
  }
}

/** Subtracts `dy[r]` at each row's target of `grad` (which holds `probs · dy`). */
export function subtractAtTargets(grad: Float32Array, targets: Int32Array, dy: Float32Array, classes: number): void {
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r]!;
    checkTarget('sparseSoftmaxCrossEntropy', t, r, classes);
    grad[r * classes + t]! -= dy[r]!;
  }
}

/** `[rows, classes]` of a rank-2 logits (or probabilities) input; `where` names the op. */
export function rowsAndClasses(where: string, logits: TensorInfo): [number, number] {
  if (logits.shape.length !== 2) {
    throw new BackendError(`${where}: logits must be [rows, classes], got [${logits.shape.join(',')}]`);
  }
  return [logits.shape[0]!, logits.shape[1]!];
}

const wasmLoss: KernelFunc = ({ inputs, backend }) => {
  const wasm = asWasmBackend(backend);
  const logits = inputs['logits'] as TensorInfo;
  const [rows, classes] = rowsAndClasses('sparseSoftmaxCrossEntropy', logits);
  const out = wasm.makeOutput([rows], 'float32');
  rowLosses(
    heapF32(wasm, logits),
    heapF32(wasm, inputs['probs'] as TensorInfo),
    heapI32(wasm, inputs['targets'] as TensorInfo),
    classes,
    heapF32(wasm, out),
  );
  return out;
};

function wasmMultiplyRows(wasm: WasmBackendInternals, probs: TensorInfo, dy: TensorInfo): TensorInfo {
  const multiply = getKernel('Multiply', 'wasm');
  if (multiply == null) throw new BackendError('The wasm backend has no Multiply kernel.');
  return multiply.kernelFunc({
    inputs: { a: probs, b: { dataId: dy.dataId, shape: [dy.shape[0]!, 1], dtype: 'float32' } },
    backend: wasm,
  }) as TensorInfo;
}

const wasmGrad: KernelFunc = ({ inputs, backend }) => {
  const wasm = asWasmBackend(backend);
  const probs = inputs['probs'] as TensorInfo;
  const dy = inputs['dy'] as TensorInfo;
  const [, classes] = rowsAndClasses('sparseSoftmaxCrossEntropy', probs);
  const grad = wasmMultiplyRows(wasm, probs, dy);
  subtractAtTargets(heapF32(wasm, grad), heapI32(wasm, inputs['targets'] as TensorInfo), heapF32(wasm, dy), classes);
  return grad;
};

/** The values array of a cpu-backend tensor (no copy). */
export function cpuValues<T extends Float32Array | Int32Array>(cpu: MathBackendCPU, info: TensorInfo): T {
  return cpu.data.get(info.dataId).values as T;
}

/** The inputs of a per-row loss kernel (`logits`, `probs`, `targets`) as arrays, with the logits' shape. */
export interface RowLossInputs {
  logits: Float32Array;
  probs: Float32Array;
  targets: Int32Array;
  rows: number;
  classes: number;
}

/**
 * A cpu kernel computing one loss per row of `logits` `[rows, classes]` with `fill(inputs, loss, attrs)`; `where`
 * names the op in shape errors.
 */
export function cpuRowLossKernel(
  where: string,
  fill: (inputs: RowLossInputs, loss: Float32Array, attrs: NamedAttrMap | undefined) => void,
): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const cpu = backend as MathBackendCPU;
    const logits = inputs['logits'] as TensorInfo;
    const [rows, classes] = rowsAndClasses(where, logits);
    const loss = new Float32Array(rows);
    const arrays: RowLossInputs = {
      logits: cpuValues(cpu, logits),
      probs: cpuValues(cpu, inputs['probs'] as TensorInfo),
      targets: cpuValues(cpu, inputs['targets'] as TensorInfo),
      rows,
      classes,
    };
    fill(arrays, loss, attrs);
    return cpu.makeTensorInfo([rows], 'float32', loss);
  };
}

const cpuLoss = cpuRowLossKernel('sparseSoftmaxCrossEntropy', (x, loss) =>
  rowLosses(x.logits, x.probs, x.targets, x.classes, loss),
);

const cpuGrad: KernelFunc = ({ inputs, backend }) => {
  const cpu = backend as MathBackendCPU;
  const probsInfo = inputs['probs'] as TensorInfo;
  const [rows, classes] = rowsAndClasses('sparseSoftmaxCrossEntropy', probsInfo);
  const probs = cpuValues<Float32Array>(cpu, probsInfo);
  const dy = cpuValues<Float32Array>(cpu, inputs['dy'] as TensorInfo);
  const grad = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    const s = dy[r]!;
    const base = r * classes;
    for (let j = 0; j < classes; j++) grad[base + j] = probs[base + j]! * s;
  }
  subtractAtTargets(grad, cpuValues(cpu, inputs['targets'] as TensorInfo), dy, classes);
  return cpu.makeTensorInfo([rows, classes], 'float32', grad);
};

/** Kernel configs for `backendName` from each kernel's wasm and cpu implementation. */
export function wasmOrCpuKernels(
  backendName: 'wasm' | 'cpu',
  kernels: Record<string, { wasm: KernelFunc; cpu: KernelFunc }>,
): KernelConfig[] {
  return Object.entries(kernels).map(([kernelName, funcs]) => ({
    kernelName,
    backendName,
    kernelFunc: funcs[backendName],
  }));
}

/** The two kernels for a backend (wasm and cpu have them). */
export function sparseSoftmaxCrossEntropyKernels(backendName: 'wasm' | 'cpu'): KernelConfig[] {
  return wasmOrCpuKernels(backendName, {
    [SPARSE_SOFTMAX_CE_LOSS]: { wasm: wasmLoss, cpu: cpuLoss },
    [SPARSE_SOFTMAX_CE_GRAD]: { wasm: wasmGrad, cpu: cpuGrad },
  });
}
