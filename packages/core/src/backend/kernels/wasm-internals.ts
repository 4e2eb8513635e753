/**
 * A typed view of the parts of `@tensorflow/tfjs-backend-wasm`'s `BackendWasm` that our kernels use.
 *
 * These are internals of tfjs-backend-wasm 4.22.0 (the only version this package allows): the data map
 * from a tensor's `dataId` to its wasm tensor id and heap offset, `makeOutput` to allocate an output on
 * the heap, and the Emscripten module (`cwrap`, heap views, the C-side tensor registry). The shape of
 * the object is checked once, so that a future tfjs that changes them fails loudly instead of silently.
 */
import type { DataId, DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';

/** What the wasm backend stores per tensor. */
export interface WasmTensorData {
  /** the C-side tensor id */
  id: number;
  /** byte offset of the data in the wasm heap */
  memoryOffset: number;
  shape: number[];
  dtype: DataType;
  refCount: number;
}

/** The Emscripten module exported by tfjs-backend-wasm, as far as we use it. */
export interface WasmModule {
  HEAPU8: Uint8Array;
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
  /** the module's exports, among them its `WebAssembly.Memory` */
  asm?: { memory?: unknown };
}

/** The `BackendWasm` members our kernels use. */
export interface WasmBackendInternals extends KernelBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: {
    get(dataId: DataId): WasmTensorData;
    has(dataId: DataId): boolean;
  };
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
}

/**
 * Checks that `backend` is a tfjs-backend-wasm 4.22 backend with the internals our kernels rely on,
 * and returns it typed.
 *
 * @throws {BackendError} when a member is missing (another tfjs version)
 */
export function asWasmBackend(backend: unknown): WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | null;
  const ok =
    b != null &&
    typeof b.makeOutput === 'function' &&
    typeof b.disposeData === 'function' &&
    typeof b.incRef === 'function' &&
    typeof b.dataIdNextNumber === 'number' &&
    b.dataIdMap != null &&
    b.wasm != null &&
    typeof b.wasm.cwrap === 'function' &&
    b.wasm.HEAPU8 instanceof Uint8Array &&
    typeof b.wasm.tfjs?.registerTensor === 'function' &&
    typeof b.wasm.tfjs?.disposeData === 'function';
  if (!ok) {
    throw new BackendError(
      'The wasm backend does not expose the internals @caption/core kernels need ' +
        '(dataIdMap, makeOutput, wasm.cwrap, wasm.tfjs.registerTensor). Use @tensorflow/tfjs-backend-wasm 4.22.0.',
    );
  }
  return b as WasmBackendInternals;
}

/** A `Float32Array` over a float32 tensor's data in the wasm heap (valid until the heap grows). */
export function heapF32(backend: WasmBackendInternals, info: TensorInfo): Float32Array {
  const { memoryOffset } = backend.dataIdMap.get(info.dataId);
  return new Float32Array(backend.wasm.HEAPU8.buffer, memoryOffset, sizeOf(info.shape));
}

/** An `Int32Array` over an int32 tensor's data in the wasm heap (valid until the heap grows). */
export function heapI32(backend: WasmBackendInternals, info: TensorInfo): Int32Array {
  const { memoryOffset } = backend.dataIdMap.get(info.dataId);
  return new Int32Array(backend.wasm.HEAPU8.buffer, memoryOffset, sizeOf(info.shape));
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
