/**
 * A `BatchMatMul` for the cpu backend that broadcasts batch dimensions correctly.
 *
 * tfjs-backend-cpu 4.22 pairs output batch i with batch `i mod batchA` of `a` and `i mod batchB` of `b`, which is right
 * only when each operand's batch shape is a trailing part of the output's (or a single matrix): for batches
 * `[2, 1] × [1, 3]` it computes 3 products into a `[2, 3, …]` output (the other half is garbage), and `[2, 3] × [2, 1]`
 * pair the wrong matrices. Here an operand whose batch shape is neither is first tiled to the output's batch shape
 * (cpu's `Tile`), then the stock kernel runs; other products go to it unchanged.
 */
import {
  BatchMatMul,
  broadcast_util,
  getKernel,
  type KernelBackend,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { stockKernel } from './stock';
import { sizeOf } from './wasm-internals';

/** Whether the stock kernel's `i mod batch` indexing reads this operand's batch shape right. */
function modIndexable(batch: readonly number[], outBatch: readonly number[]): boolean {
  if (sizeOf(batch) === 1) return true;
  let first = 0;
  while (first < batch.length && batch[first] === 1) first++;
  const rest = batch.slice(first);
  const tail = outBatch.slice(outBatch.length - rest.length);
  return rest.length <= outBatch.length && rest.every((d, i) => d === tail[i]);
}

const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
  const stock = stockKernel(BatchMatMul, 'cpu');
  const tile = getKernel('Tile', 'cpu');
  if (stock == null || tile == null) throw new BackendError('The cpu backend has no stock BatchMatMul or Tile kernel.');
  const a = inputs['a'] as TensorInfo;
  const b = inputs['b'] as TensorInfo;
  const outBatch = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const temps: TensorInfo[] = [];
  const broadcast = (x: TensorInfo): TensorInfo => {
    const batch = x.shape.slice(0, -2);
    if (modIndexable(batch, outBatch)) return x;
    const aligned = [...new Array<number>(outBatch.length - batch.length).fill(1), ...batch];
    const reps = [...outBatch.map((d, i) => d / aligned[i]!), 1, 1];
    const tiled = tile.kernelFunc({
      inputs: { x: { ...x, shape: [...aligned, ...x.shape.slice(-2)] } },
      backend,
      attrs: { reps },
    }) as TensorInfo;
    temps.push(tiled);
    return tiled;
  };
  try {
    return stock.kernelFunc({ inputs: { a: broadcast(a), b: broadcast(b) }, backend, attrs });
  } finally {
    for (const t of temps) (backend as KernelBackend).disposeData(t.dataId);
  }
};

/** Our `BatchMatMul` for the cpu backend (broadcast batches; the stock kernel does the products). */
export const cpuBatchMatMulConfig: KernelConfig = { kernelName: BatchMatMul, backendName: 'cpu', kernelFunc };
