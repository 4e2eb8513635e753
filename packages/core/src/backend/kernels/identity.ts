/**
 * A zero-copy `Identity` for the wasm backend.
 *
 * tfjs's engine clones every tensor it saves for the backward pass (`Identity`), and the wasm backend's
 * `Identity` copies the data; the cpu backend's shares it (tensors are immutable). In the benchmark's
 * training step that was ~740 copies per step, a few percent of it. Sharing the data under a second
 * reference is what `Reshape` already does on wasm.
 */
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { asWasmBackend } from './wasm-internals';

const identity: KernelFunc = ({ inputs, backend }) => {
  const wasm = asWasmBackend(backend);
  const x = inputs['x'] as TensorInfo;
  wasm.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Our `Identity` for the wasm backend. */
export const wasmIdentityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity,
};
