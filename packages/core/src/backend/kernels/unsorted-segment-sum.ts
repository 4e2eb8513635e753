/**
 * `UnsortedSegmentSum` in O(N·D) for the wasm and cpu backends.
 *
 * It is the gradient of `tf.gather` (hence of every embedding lookup). tfjs-backend-wasm 4.22 has no
 * such kernel, so an embedding cannot be trained there; tfjs-backend-cpu has one that loops over every
 * *segment* with `equal`/`mul`/`sum` kernels, i.e. O(numSegments·N·D): 3.5 s per call for a 9487-word
 * vocabulary at batch 5. This kernel walks the rows once and adds each into its segment. Ids outside
 * `[0, numSegments)` are dropped, as the cpu kernel does.
 */
import {
  UnsortedSegmentSum,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BackendError } from '../errors';
import { asWasmBackend, heapF32, heapI32, sizeOf } from './wasm-internals';

type NumericArray = Float32Array | Int32Array;

/** Output shape: `[numSegments, ...x.shape.slice(segmentIds.rank)]`. */
function outputShape(x: TensorInfo, segmentIds: TensorInfo, numSegments: number): number[] {
  const idRank = segmentIds.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (x.shape[i] !== segmentIds.shape[i]) {
      throw new BackendError(
        `UnsortedSegmentSum: ` +
          `segmentIds shape [${segmentIds.shape.join(',')}] must be a prefix of x shape [${x.shape.join(',')}]`,
      );
    }
  }
  return [numSegments, ...x.shape.slice(idRank)];
}

/**
 * Adds row `i` of `x` (rows of `inner` elements) into row `ids[i]` of `out`, which must be zeroed.
 * Rows whose id is outside `[0, numSegments)` are skipped.
 */
export function segmentSumInto(
  x: NumericArray,
  ids: Int32Array,
  numSegments: number,
  inner: number,
  out: NumericArray,
): void {
  const rows = ids.length;
  for (let r = 0; r < rows; r++) {
    const s = ids[r]!;
    if (s < 0 || s >= numSegments) continue;
    const src = r * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j]! += x[src + j]!;
  }
}

function checkDtypes(x: TensorInfo, segmentIds: TensorInfo): void {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new BackendError(`UnsortedSegmentSum: x must be float32 or int32, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new BackendError(`UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`);
  }
}

const wasmUnsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasmBackend(backend);
  const x = inputs['x'] as TensorInfo;
  const segmentIds = inputs['segmentIds'] as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  checkDtypes(x, segmentIds);
  const shape = outputShape(x, segmentIds, numSegments);
  const out = wasm.makeOutput(shape, x.dtype);
  // Views are taken after the allocation above, which may grow (and detach) the heap.
  const outView = x.dtype === 'float32' ? heapF32(wasm, out) : heapI32(wasm, out);
  outView.fill(0);
  const xView = x.dtype === 'float32' ? heapF32(wasm, x) : heapI32(wasm, x);
  const inner = sizeOf(shape) / numSegments || 0;
  segmentSumInto(xView, heapI32(wasm, segmentIds), numSegments, inner, outView);
  return out;
};

const cpuUnsortedSegmentSum: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const x = inputs['x'] as TensorInfo;
  const segmentIds = inputs['segmentIds'] as TensorInfo;
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  checkDtypes(x, segmentIds);
  const shape = outputShape(x, segmentIds, numSegments);
  const xValues = cpu.data.get(x.dataId).values as NumericArray;
  const idValues = cpu.data.get(segmentIds.dataId).values as Int32Array;
  const out = x.dtype === 'float32' ? new Float32Array(sizeOf(shape)) : new Int32Array(sizeOf(shape));
  segmentSumInto(xValues, idValues, numSegments, out.length / numSegments || 0, out);
  return cpu.makeTensorInfo(shape, x.dtype, out);
};

/** Our `UnsortedSegmentSum` for the wasm backend (absent there in tfjs 4.22). */
export const wasmUnsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: wasmUnsortedSegmentSum,
};

/** Our `UnsortedSegmentSum` for the cpu backend (replaces the O(numSegments·N·D) stock kernel). */
export const cpuUnsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'cpu',
  kernelFunc: cpuUnsortedSegmentSum,
};
