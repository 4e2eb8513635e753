/**
 * `Conv2DBackpropFilter` for the wasm backend (which lacks it): the filter gradient of a convolution
 * computed as one forward convolution on XNNPACK.
 *
 * For `y = conv2d(x, w)` with strides `s`, `dW[i, j, c, f] = Σ_{n, y, x} x̃[n, y·s_h + i, x·s_w + j, c] ·
 * dy[n, y, x, f]`, where `x̃` is `x` padded as the forward pass padded it. That is a stride-1 'valid'
 * convolution of `x̃` with the batch as its channel axis (`[C, H̃, W̃, N]`) by `dy` as the filter
 * (`[outH, outW, N, F]`) dilated by the forward strides, giving `[C, fH, fW, F]`, then transposed to
 * `[fH, fW, C, F]`. The cpu kernel on copies of the tensors (the previous fallback) took 18.8 s for the
 * first layer of a 64-crop batch of the shapes example's CNN; an im2col product was 1.6–5× slower than
 * this (measured per layer there).
 *
 * NCHW data and non-float32 tensors (which tfjs's wasm `Conv2D` does not run) go to the cpu fallback, as
 * does a `dy` whose shape the attributes do not give (tfjs's conv2d gradient drops a `dimRoundingMode`).
 * tfjs has no gradient for dilated convolutions, so the attributes carry no dilations.
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  getKernel,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { cpuFallbackFor } from './cpu-fallback';
import { asWasmBackend, type WasmBackendInternals } from './wasm-internals';

const cpuFallback = cpuFallbackFor(Conv2DBackpropFilter);

/** Runs a registered wasm kernel on tensor infos (its output is ours to dispose). */
function run(
  backend: WasmBackendInternals,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown>,
): TensorInfo {
  const kernel = getKernel(kernelName, 'wasm');
  if (kernel == null) throw new BackendError(`The wasm backend has no ${kernelName} kernel.`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as NamedAttrMap }) as TensorInfo;
}

const kernelFunc: KernelFunc = (args) => {
  const { inputs, attrs } = args;
  const backend = asWasmBackend(args.backend);
  const x = inputs['x'] as TensorInfo;
  const dy = inputs['dy'] as TensorInfo;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  if (dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4) {
    return cpuFallback.kernelFunc(args);
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const {
    batchSize,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    strideHeight,
    strideWidth,
    filterHeight,
    filterWidth,
    padInfo,
  } = info;
  if (dy.shape.join(',') !== [batchSize, outHeight, outWidth, outChannels].join(',')) {
    // tfjs's conv2d gradient drops the forward pass's dimRoundingMode, so dy may be larger than these
    // attributes say; the cpu kernel reads the part they describe
    return cpuFallback.kernelFunc(args);
  }
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo): TensorInfo => {
    temps.push(t);
    return t;
  };
  try {
    // x̃: the rows and columns the forward pass read, from −top/−left on (padded with zeros, or cut where
    // the strides leave the last ones unread)
    const rows = (outHeight - 1) * strideHeight + filterHeight;
    const cols = (outWidth - 1) * strideWidth + filterWidth;
    const keptRows = Math.min(inHeight, rows - padInfo.top);
    const keptCols = Math.min(inWidth, cols - padInfo.left);
    let padded = x;
    if (keptRows < inHeight || keptCols < inWidth) {
      padded = keep(
        run(backend, 'Slice', { x }, { begin: [0, 0, 0, 0], size: [batchSize, keptRows, keptCols, inChannels] }),
      );
    }
    const paddings = [
      [0, 0],
      [padInfo.top, rows - padInfo.top - keptRows],
      [padInfo.left, cols - padInfo.left - keptCols],
      [0, 0],
    ];
    if (paddings.some(([before, after]) => before !== 0 || after !== 0)) {
      padded = keep(run(backend, 'PadV2', { x: padded }, { paddings, constantValue: 0 }));
    }
    const input = keep(run(backend, 'Transpose', { x: padded }, { perm: [3, 1, 2, 0] })); // [C, H̃, W̃, N]
    const filter = keep(run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] })); // [outH, outW, N, F]
    const product = keep(
      run(
        backend,
        'Conv2D',
        { x: input, filter },
        { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [strideHeight, strideWidth] },
      ),
    ); // [C, fH, fW, F]
    return run(backend, 'Transpose', { x: product }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId, true);
  }
};

/** Our `Conv2DBackpropFilter` for the wasm backend. */
export const wasmConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc,
};
