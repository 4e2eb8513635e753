/**
 * A `Slice` for the wasm backend that reads the input in place.
 *
 * tfjs-backend-wasm 4.22's `Slice` first copies the *whole* input out of the wasm heap
 * (`backend.readSync`) and then copies the slice from that copy. `tf.split`, `tf.unstack` and the
 * gradient of `tf.concat` call it once per output (through a direct call that the kernel registry
 * cannot redirect), so splitting an LSTM's gates into four, or a `[T, B, 4H]` projection into T steps,
 * copied the full tensor four or T times. Here `Slice`, `SplitV` and `Unpack` copy straight from the
 * heap, one contiguous run at a time.
 */
import {
  Slice,
  SplitV,
  Unpack,
  backend_util,
  getKernel,
  slice_util,
  util,
  type KernelConfig,
  type KernelFunc,
  type SliceAttrs,
  type SplitVAttrs,
  type TensorInfo,
  type UnpackAttrs,
} from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { asWasmBackend, sizeOf } from './wasm-internals';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * Copies the box `begin`/`size` of a row-major tensor of `shape` (element size `bytes`) from byte
 * offset `src` to byte offset `dst` of `heap`, one contiguous run of the innermost dimensions at a time.
 */
export function copySlice(
  heap: Uint8Array,
  src: number,
  dst: number,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  bytes: number,
): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let stride = bytes;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d]!;
  }
  // The innermost dimensions taken whole (after the last partial one) form one contiguous run.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === shape[inner] && begin[inner] === 0) inner--;
  const run = size[inner]! * strides[inner]!;
  const outer = inner; // dimensions 0..inner-1 are iterated
  const count = sizeOf(size.slice(0, outer));
  const index = new Array<number>(outer).fill(0);
  let base = src;
  for (let d = 0; d <= inner; d++) base += begin[d]! * strides[d]!;
  let out = dst;
  for (let i = 0; i < count; i++) {
    let offset = base;
    for (let d = 0; d < outer; d++) offset += index[d]! * strides[d]!;
    heap.copyWithin(out, offset, offset + run);
    out += run;
    for (let d = outer - 1; d >= 0; d--) {
      index[d]!++;
      if (index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
}

const stock = new Map<string, KernelFunc>();

/** Remembers the stock kernels, which still handle string tensors. */
export function keepStockSliceKernels(): void {
  for (const config of wasmSliceKernelConfigs) {
    const current = getKernel(config.kernelName, 'wasm');
    if (current != null && current.kernelFunc !== config.kernelFunc) stock.set(config.kernelName, current.kernelFunc);
  }
}

function viaStock(kernelName: string, args: Parameters<KernelFunc>[0], dtype: string): ReturnType<KernelFunc> {
  const kernel = stock.get(kernelName);
  if (kernel == null) throw new BackendError(`${kernelName}: no kernel for ${dtype} tensors`);
  return kernel(args);
}

/** The slice `begin`/`size` (already parsed) of `x` as a new wasm tensor. */
function sliceOf(
  backend: ReturnType<typeof asWasmBackend>,
  x: TensorInfo,
  begin: number[],
  size: number[],
): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (sizeOf(size) === 0) return out;
  const src = backend.dataIdMap.get(x.dataId).memoryOffset;
  const dst = backend.dataIdMap.get(out.dataId).memoryOffset;
  copySlice(backend.wasm.HEAPU8, src, dst, x.shape, begin, size, BYTES[x.dtype]!);
  return out;
}

const slice: KernelFunc = (args) => {
  const x = args.inputs['x'] as TensorInfo;
  if (BYTES[x.dtype] === undefined) return viaStock(Slice, args, x.dtype);
  const { begin, size } = args.attrs as unknown as SliceAttrs;
  const [begin_, size_] = slice_util.parseSliceParams(x, begin, size) as [number[], number[]];
  return sliceOf(asWasmBackend(args.backend), x, begin_, size_);
};

const splitV: KernelFunc = (args) => {
  const x = args.inputs['x'] as TensorInfo;
  if (BYTES[x.dtype] === undefined) return viaStock(SplitV, args, x.dtype);
  const backend = asWasmBackend(args.backend);
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
  const $axis = util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, $axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[$axis] = s;
    const part = sliceOf(backend, x, begin.slice(), size);
    begin[$axis]! += s;
    return part;
  });
};

const unpack: KernelFunc = (args) => {
  const x = args.inputs['value'] as TensorInfo;
  if (BYTES[x.dtype] === undefined) return viaStock(Unpack, args, x.dtype);
  const backend = asWasmBackend(args.backend);
  const { axis } = args.attrs as unknown as UnpackAttrs;
  const $axis = axis < 0 ? axis + x.shape.length : axis;
  const outShape = x.shape.filter((_, d) => d !== $axis);
  const size = x.shape.slice();
  size[$axis] = 1;
  return Array.from({ length: x.shape[$axis]! }, (_, i) => {
    const begin = new Array<number>(x.shape.length).fill(0);
    begin[$axis] = i;
    const part = sliceOf(backend, x, begin, size);
    return { ...part, shape: outShape };
  });
};

/** Our `Slice`, `SplitV` and `Unpack` for the wasm backend. */
export const wasmSliceKernelConfigs: KernelConfig[] = [
  { kernelName: Slice, backendName: 'wasm', kernelFunc: slice },
  { kernelName: SplitV, backendName: 'wasm', kernelFunc: splitV },
  { kernelName: Unpack, backendName: 'wasm', kernelFunc: unpack },
];
