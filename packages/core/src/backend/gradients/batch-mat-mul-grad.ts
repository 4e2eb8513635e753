/**
 * A `BatchMatMul` gradient that handles broadcasting.
 *
 * tfjs-core 4.22's gradient returns gradients with the *output's* batch shape, so differentiating
 * `matMul(x[B,T,D], w[D,H])` (a linear layer on a sequence) or any broadcast product throws
 * "The gradient of input 'b' has shape '…', which does not match the shape of the input '…'" on every
 * backend. This gradient sums the gradient over the broadcast batch dimensions, and computes the
 * gradient of a shared 2-D operand as a single flattened product instead of a batch of products and a
 * sum.
 */
import {
  BatchMatMul,
  broadcast_util,
  matMul,
  reshape,
  sum,
  type BatchMatMulAttrs,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
} from '@tensorflow/tfjs-core';

function batchSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 2; i++) n *= shape[i]!;
  return n;
}

/** Sums `grad` (shaped like the product's output batch) down to `shape`. */
function reduceToShape(grad: Tensor, shape: number[]): Tensor {
  if (grad.shape.length === shape.length && grad.shape.every((d, i) => d === shape[i])) return grad;
  const gradBatch = grad.shape.slice(0, -2);
  const targetBatch = shape.slice(0, -2);
  const axes = broadcast_util.getReductionAxes(targetBatch, gradBatch);
  const reduced = axes.length > 0 ? sum(grad, axes) : grad;
  return reshape(reduced, shape);
}

/** Flattens all leading dimensions: `[..., r, c]` → `[prod(...)·r, c]`. */
function flatRows(x: Tensor): Tensor {
  const cols = x.shape[x.shape.length - 1]!;
  return reshape(x, [x.size / cols, cols]);
}

/** Broadcast-aware gradient of `BatchMatMul`. */
export const batchMatMulGradConfig: GradConfig = {
  kernelName: BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const g = dy as Tensor;
    const [a, b] = saved as [Tensor, Tensor];
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const outBatchRank = g.shape.length - 2;
    // A shared 2-D b against a batched, untransposed a (a linear layer on a sequence): flatten.
    const sharedB =
      batchSize(b.shape) === 1 && batchSize(a.shape) > 1 && !transposeA && a.shape.length - 2 === outBatchRank;
    const gradA = (): Tensor => {
      const raw = !transposeA
        ? matMul(g, b, false, !transposeB)
        : transposeB
          ? matMul(b, g, true, true)
          : matMul(b, g, false, true);
      return reduceToShape(raw, a.shape);
    };
    const gradB = (): Tensor => {
      if (sharedB) {
        const flat = !transposeB
          ? matMul(flatRows(a), flatRows(g), true, false)
          : matMul(flatRows(g), flatRows(a), true, false);
        return reshape(flat, b.shape);
      }
      const raw = !transposeB
        ? matMul(a, g, !transposeA, false)
        : transposeA
          ? matMul(g, a, true, true)
          : matMul(g, a, true, false);
      return reduceToShape(raw, b.shape);
    };
    return { a: gradA, b: gradB };
  },
};
