/**
 * Registration of our kernels in tfjs's global kernel registry, idempotently, keeping the stock
 * kernels they replace so that tests can compare against them.
 */
import {
  getGradient,
  getKernel,
  registerGradient,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs-core';
import { batchMatMulGradConfig } from '../gradients/batch-mat-mul-grad';
import { gluLastAxisGradConfig, lstmGatesGradConfig, lstmGatesZeroStateGradConfig } from '../ops/gates';
import { wasmBatchMatMulConfig } from './batch-mat-mul';
import { cpuBatchMatMulConfig } from './cpu-batch-mat-mul';
import { adamUpdateKernel } from './adam-update';
import { wasmConv2DBackpropFilterConfig } from './conv2d-backprop-filter';
import { CPU_FALLBACK_KERNELS, cpuFallbackFor } from './cpu-fallback';
import { wasmIdentityConfig } from './identity';
import { gateKernels } from './gates';
import { labelSmoothingKernels } from './label-smoothing';
import { layerNormKernels } from './layer-norm';
import { keepStockReduceKernels, wasmReduceKernelConfigs } from './reduce';
import { keepStockSliceKernels, wasmSliceKernelConfigs } from './slice';
import { sparseSoftmaxCrossEntropyKernels } from './sparse-softmax-cross-entropy';
import { keepStockKernel } from './stock';
import { cpuUnsortedSegmentSumConfig, wasmUnsortedSegmentSumConfig } from './unsorted-segment-sum';

/** The kernels `@caption/core` registers for a tfjs backend name. */
export function captionKernelsFor(backendName: string): KernelConfig[] {
  switch (backendName) {
    case 'wasm':
      return [
        wasmUnsortedSegmentSumConfig,
        wasmBatchMatMulConfig,
        wasmIdentityConfig,
        ...wasmSliceKernelConfigs,
        ...wasmReduceKernelConfigs,
        wasmConv2DBackpropFilterConfig,
        ...CPU_FALLBACK_KERNELS.map((name) => cpuFallbackFor(name)),
        ...sparseSoftmaxCrossEntropyKernels('wasm'),
        ...labelSmoothingKernels('wasm'),
        ...gateKernels('wasm'),
        ...layerNormKernels('wasm'),
        adamUpdateKernel('wasm'),
      ];
    case 'cpu':
      return [
        cpuBatchMatMulConfig,
        cpuUnsortedSegmentSumConfig,
        ...sparseSoftmaxCrossEntropyKernels('cpu'),
        ...labelSmoothingKernels('cpu'),
        ...gateKernels('cpu'),
        ...layerNormKernels('cpu'),
        adamUpdateKernel('cpu'),
      ];
    default:
      return [];
  }
}

const ours = new Set<KernelConfig['kernelFunc']>();

/**
 * Registers our kernels for `backendName`, replacing stock ones of the same name. Calling it again is
 * harmless. Must run before the backend executes its first kernel of these names (a backend calls a
 * kernel's `setupFunc` only when it is initialised, and ours have none).
 *
 * @returns the names of the kernels that are ours after the call
 */
export function registerCaptionKernels(backendName: string): string[] {
  registerCaptionGradients();
  if (backendName === 'wasm') {
    keepStockSliceKernels();
    keepStockReduceKernels();
  }
  const configs = captionKernelsFor(backendName);
  for (const config of configs) {
    const existing = getKernel(config.kernelName, backendName);
    if (existing != null && ours.has(existing.kernelFunc)) continue;
    if (existing != null) {
      keepStockKernel(existing);
      unregisterKernel(config.kernelName, backendName);
    }
    registerKernel(config);
    ours.add(config.kernelFunc);
  }
  return configs.map((c) => c.kernelName);
}

export { stockKernel } from './stock';

/** Whether the kernel currently registered under this name is one of ours. */
export function isCaptionKernel(kernelName: string, backendName: string): boolean {
  const current = getKernel(kernelName, backendName);
  return current != null && ours.has(current.kernelFunc);
}

/**
 * Registers our gradients (backend-independent): a broadcast-aware `BatchMatMul` gradient, and those of the fused
 * LSTM-gate and GLU kernels. Idempotent.
 */
export function registerCaptionGradients(): void {
  for (const config of [
    batchMatMulGradConfig,
    lstmGatesGradConfig,
    lstmGatesZeroStateGradConfig,
    gluLastAxisGradConfig,
  ])
    if (getGradient(config.kernelName) !== config) registerGradient(config);
}
