/**
 * `sparseSoftmaxCrossEntropy`: per-row cross-entropy of logits against integer targets, fused.
 */
import * as tfc from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { SPARSE_SOFTMAX_CE_GRAD, SPARSE_SOFTMAX_CE_LOSS } from '../kernels/sparse-softmax-cross-entropy';
import { pickPerRow } from './pick-per-row';

function checkInputs(logits: tfc.Tensor, targets: tfc.Tensor): void {
  if (logits.rank !== 2)
    throw new BackendError(`sparseSoftmaxCrossEntropy: logits must be rank 2, got [${logits.shape.join(',')}]`);
  if (targets.rank !== 1 || targets.shape[0] !== logits.shape[0]) {
    throw new BackendError(
      `sparseSoftmaxCrossEntropy: ` +
        `targets must be [${logits.shape[0]}] to match ` +
        `logits [${logits.shape.join(',')}], got [${targets.shape.join(',')}]`,
    );
  }
  if (targets.dtype !== 'int32')
    throw new BackendError(`sparseSoftmaxCrossEntropy: targets must be int32, got ${targets.dtype}`);
  if (logits.dtype !== 'float32')
    throw new BackendError(`sparseSoftmaxCrossEntropy: logits must be float32, got ${logits.dtype}`);
}

/** The same loss from stock ops (numerically stable), for backends without our kernels. */
function composite(logits: tfc.Tensor2D, targets: tfc.Tensor1D): tfc.Tensor1D {
  return tfc.tidy(() => tfc.sub(tfc.logSumExp(logits, 1), pickPerRow(logits, targets)) as tfc.Tensor1D);
}

const fused = tfc.customGrad((...args: Array<tfc.Tensor | tfc.GradSaveFunc>) => {
  const [logits, targets, save] = args as [tfc.Tensor, tfc.Tensor, tfc.GradSaveFunc];
  const probs = tfc.softmax(logits);
  const value = tfc.engine().runKernel(SPARSE_SOFTMAX_CE_LOSS, { logits, probs, targets }) as tfc.Tensor;
  save([probs, targets]);
  return {
    value,
    gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => {
      const [savedProbs, savedTargets] = saved as [tfc.Tensor, tfc.Tensor];
      const grad = tfc
        .engine()
        .runKernel(SPARSE_SOFTMAX_CE_GRAD, { probs: savedProbs, targets: savedTargets, dy }) as tfc.Tensor;
      return [grad, tfc.zeros(savedTargets.shape)];
    },
  };
});

/**
 * Cross-entropy of each row of `logits` `[rows, classes]` against its integer target:
 * `loss[r] = −log softmax(logits[r])[targets[r]]`, as `[rows]` (apply masks and means yourself).
 * Differentiable with respect to `logits`.
 *
 * Equal to `tf.losses.softmaxCrossEntropy(oneHot(targets), logits, undefined, undefined, NONE)`
 * without the one-hot matrix, and much cheaper on wasm and cpu, where it runs as two fused kernels
 * (see docs/backends.md); elsewhere it falls back to stock ops.
 *
 * @throws {BackendError} on shape or dtype errors, or a target outside `[0, classes)`
 *
 * @example
 * ```ts
 * const loss = sparseSoftmaxCrossEntropy(logits, targets); // [T·B]
 * const mean = tf.div(tf.sum(tf.mul(loss, mask)), tf.sum(mask));
 * ```
 */
export function sparseSoftmaxCrossEntropy(logits: tfc.Tensor2D, targets: tfc.Tensor1D): tfc.Tensor1D {
  checkInputs(logits, targets);
  const backend = tfc.getBackend();
  if (
    tfc.getKernel(SPARSE_SOFTMAX_CE_LOSS, backend) == null ||
    tfc.getKernel(SPARSE_SOFTMAX_CE_GRAD, backend) == null
  ) {
    return composite(logits, targets);
  }
  return fused(logits, targets) as tfc.Tensor1D;
}
