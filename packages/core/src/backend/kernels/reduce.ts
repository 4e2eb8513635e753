/**
 * `Sum` and `Mean` for the wasm backend over leading or middle axes, without a transpose.
 *
 * tfjs-backend-wasm 4.22 reduces only over the innermost axes; for any other axis it first transposes
 * the whole input with its `Transpose` kernel (~10 ns per element on these shapes). Every bias gradient
 * is such a reduction (`sum(dy, 0)` over `[rows, features]`), the largest being the logit bias of a
 * captioner (`[T·B, vocab]`). Here a reduction over one contiguous block of axes that is not innermost
 * runs as a single pass over the input, accumulating rows in float64 (a SIMD loop, kernels.wat; JS
 * without wasm SIMD). Innermost reductions, other dtypes and non-contiguous axes go to the stock kernels.
 */
import {
  Mean,
  Sum,
  backend_util,
  getKernel,
  util,
  type KernelConfig,
  type KernelFunc,
  type MeanAttrs,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { simdKernels } from '../simd/simd-module';
import { asWasmBackend, heapF32, sizeOf } from './wasm-internals';

/**
 * Sums `x` viewed as `[outer, reduce, inner]` over its middle axis into `out` (`[outer, inner]`),
 * scaled by `scale`.
 */
export function sumMiddleAxis(
  x: Float32Array,
  outer: number,
  reduce: number,
  inner: number,
  out: Float32Array,
  scale: number,
): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(0);
    const base = o * reduce * inner;
    for (let r = 0; r < reduce; r++) {
      const row = base + r * inner;
      for (let i = 0; i < inner; i++) acc[i]! += x[row + i]!;
    }
    const dst = o * inner;
    for (let i = 0; i < inner; i++) out[dst + i] = acc[i]! * scale;
  }
}

/** `[outer, reduce, inner]` sizes when `axes` are one contiguous block that is not innermost, else null. */
function middleBlock(shape: number[], axes: number[]): [number, number, number] | null {
  if (axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  if (last - first + 1 !== sorted.length) return null;
  if (last === shape.length - 1) return null;
  return [sizeOf(shape.slice(0, first)), sizeOf(shape.slice(first, last + 1)), sizeOf(shape.slice(last + 1))];
}

const stock = new Map<string, KernelConfig>();
const setUp = new WeakMap<object, Set<string>>();

/** Remembers the stock kernels, which keep the reductions this kernel does not handle. */
export function keepStockReduceKernels(): void {
  for (const config of wasmReduceKernelConfigs) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current != null && current.kernelFunc !== config.kernelFunc) stock.set(config.kernelName, current);
  }
}

/**
 * The stock kernel, set up for this backend instance: unregistered before the backend initialised, its
 * `setupFunc` (which binds the C function) has not run.
 */
function stockFor(kernelName: string, backend: object): KernelFunc {
  const config = stock.get(kernelName);
  if (config == null) throw new BackendError(`${kernelName}: the stock wasm kernel is missing`);
  let done = setUp.get(backend);
  if (done == null) {
    done = new Set();
    setUp.set(backend, done);
  }
  if (!done.has(kernelName)) {
    config.setupFunc?.(backend);
    done.add(kernelName);
  }
  return config.kernelFunc;
}

function reduceKernel(kernelName: string, isMean: boolean): KernelFunc {
  return (args) => {
    const x = args.inputs['x'] as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as SumAttrs | MeanAttrs;
    const axes = util.parseAxisParam(axis, x.shape);
    const block = x.dtype === 'float32' ? middleBlock(x.shape, axes) : null;
    if (block == null) return stockFor(kernelName, args.backend)(args);
    const backend = asWasmBackend(args.backend);
    const [outShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const shape = keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const out = backend.makeOutput(shape, 'float32');
    const [outer, reduce, inner] = block;
    const scale = isMean ? 1 / reduce : 1;
    const simd = simdKernels(backend);
    if (simd != null) {
      const acc = backend.makeOutput([2 * inner], 'float32'); // inner float64 sums
      const at = (info: TensorInfo) => backend.dataIdMap.get(info.dataId).memoryOffset;
      simd.sum_middle(at(x), at(out), at(acc), outer, reduce, inner, scale);
      backend.disposeData(acc.dataId, true);
      return out;
    }
    sumMiddleAxis(heapF32(backend, x), outer, reduce, inner, heapF32(backend, out), scale);
    return out;
  };
}

/** Our `Sum` and `Mean` for the wasm backend. */
export const wasmReduceKernelConfigs: KernelConfig[] = [
  { kernelName: Sum, backendName: 'wasm', kernelFunc: reduceKernel(Sum, false) },
  { kernelName: Mean, backendName: 'wasm', kernelFunc: reduceKernel(Mean, true) },
];
