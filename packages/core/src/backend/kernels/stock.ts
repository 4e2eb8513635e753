/**
 * The stock tfjs kernels that `registerCaptionKernels` replaced, kept so that our wrappers can call them
 * and tests can compare against them.
 */
import type { KernelConfig } from '@tensorflow/tfjs-core';

const stock = new Map<string, KernelConfig>();

function key(kernelName: string, backendName: string): string {
  return `${backendName}/${kernelName}`;
}

/** Remembers the stock kernel a registration of ours is about to replace. */
export function keepStockKernel(config: KernelConfig): void {
  stock.set(key(config.kernelName, config.backendName), config);
}

/** The stock tfjs kernel that our registration replaced, if any. */
export function stockKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  return stock.get(key(kernelName, backendName));
}
