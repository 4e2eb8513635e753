/**
 * Test support: run a computation on the cpu backend with tfjs's stock kernels (those our kernels
 * replace are swapped back in for the duration), to compare our kernels against.
 */
import * as tfc from '@tensorflow/tfjs-core';
import { registerKernel, unregisterKernel, getKernel } from '@tensorflow/tfjs-core';
import { maxAbsDiff as maxValueDiff } from '@caption/test-support';
import { stockKernel } from './stock';

/** The data of a tensor with its shape, detached from any backend. */
export interface HostTensor {
  shape: number[];
  dtype: tfc.DataType;
  values: Float32Array | Int32Array | Uint8Array;
}

/** Reads tensors into host arrays. */
export function toHost(tensors: tfc.Tensor[]): HostTensor[] {
  return tensors.map((t) => ({ shape: t.shape, dtype: t.dtype, values: t.dataSync() as HostTensor['values'] }));
}

/** Runs `fn` under `tidy` and returns its outputs as host arrays (no tensor survives). */
export function hostTidy(fn: () => tfc.Tensor[]): HostTensor[] {
  let result: HostTensor[] = [];
  tfc.tidy(() => {
    result = toHost(fn());
  });
  return result;
}

/** Creates tensors on the current backend from host arrays. */
export function fromHost(hosts: HostTensor[]): tfc.Tensor[] {
  return hosts.map((h) => tfc.tensor(h.values, h.shape, h.dtype));
}

/**
 * Runs `fn` on `backendName` with stock tfjs kernels, returns its outputs as host arrays, and restores
 * the previous backend and our kernels.
 */
export async function runWithStockKernels(
  backendName: string,
  inputs: HostTensor[],
  fn: (...xs: tfc.Tensor[]) => tfc.Tensor[],
): Promise<HostTensor[]> {
  const previous = tfc.getBackend();
  const swapped: tfc.KernelConfig[] = [];
  for (const config of tfc.getKernelsForBackend(backendName)) {
    const stock = stockKernel(config.kernelName, backendName);
    if (stock == null) continue;
    swapped.push(getKernel(config.kernelName, backendName));
    unregisterKernel(config.kernelName, backendName);
    registerKernel(stock);
  }
  try {
    await tfc.setBackend(backendName);
    return hostTidy(() => fn(...fromHost(inputs)));
  } finally {
    for (const ours of swapped) {
      unregisterKernel(ours.kernelName, backendName);
      registerKernel(ours);
    }
    await tfc.setBackend(previous);
  }
}

/**
 * Largest absolute difference between two host tensors of the same shape (throws on shape mismatch; +∞ for non-finite
 * values).
 */
export function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  if (a.shape.join(',') !== b.shape.join(',')) {
    throw new Error(`shape mismatch: [${a.shape.join(',')}] vs [${b.shape.join(',')}]`);
  }
  return maxValueDiff(a.values, b.values);
}
