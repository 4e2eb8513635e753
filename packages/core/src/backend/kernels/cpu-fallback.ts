/**
 * Kernels that tfjs-backend-wasm 4.22 lacks, run on the cpu backend's implementation.
 *
 * `DepthwiseConv2dNativeBackprop{Input,Filter}` (MobileNet-style layers) are not registered on wasm, so
 * such a CNN cannot be trained there. A fallback copies the inputs out of the wasm heap into the cpu
 * backend, runs tfjs-backend-cpu's kernel there, and copies the result back: exactly the cpu result, at
 * cpu speed for that kernel. (`Conv2DBackpropFilter`, the weight gradient of every convolution, has its
 * own wasm kernel, conv2d-backprop-filter.ts, which uses this fallback only for NCHW data.)
 */
import { engine, getKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BackendError } from '../errors';
import { asWasmBackend } from './wasm-internals';

/** The kernels wasm lacks that we provide through the cpu fallback. */
export const CPU_FALLBACK_KERNELS = [
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
] as const;

function cpuBackend(): MathBackendCPU {
  const cpu = engine().findBackend('cpu') as MathBackendCPU | null;
  if (cpu == null) throw new BackendError('The cpu backend is not registered; import @tensorflow/tfjs-backend-cpu.');
  return cpu;
}

/** A wasm kernel that runs the cpu backend's `kernelName` on copies of its inputs. */
export function cpuFallbackFor(kernelName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wasm = asWasmBackend(backend);
    const cpuKernel = getKernel(kernelName, 'cpu');
    if (cpuKernel == null) throw new BackendError(`The cpu backend has no ${kernelName} kernel to fall back on.`);
    const cpu = cpuBackend();
    const cpuInputs: Record<string, TensorInfo> = {};
    try {
      for (const [name, info] of Object.entries(inputs)) {
        if (info == null) continue;
        const values = wasm.readSync(info.dataId) as Float32Array | Int32Array | Uint8Array;
        cpuInputs[name] = cpu.makeTensorInfo(info.shape, info.dtype, values);
      }
      const result = cpuKernel.kernelFunc({ inputs: cpuInputs, backend: cpu, attrs: attrs ?? {} });
      const outputs = Array.isArray(result) ? result : [result];
      const copied = outputs.map((out) => {
        const values = cpu.readSync(out.dataId) as Float32Array | Int32Array | Uint8Array;
        const info = wasm.makeOutput(out.shape, out.dtype);
        const { memoryOffset } = wasm.dataIdMap.get(info.dataId);
        wasm.wasm.HEAPU8.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), memoryOffset);
        cpu.disposeData(out.dataId, true);
        return info;
      });
      return Array.isArray(result) ? copied : copied[0]!;
    } finally {
      for (const info of Object.values(cpuInputs)) cpu.disposeData(info.dataId, true);
    }
  };
  return { kernelName, backendName: 'wasm', kernelFunc };
}
