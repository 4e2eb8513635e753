/**
 * `adamUpdate`: one Adam/AdamW step of one parameter as a single fused kernel.
 */
import * as tfc from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { ADAM_UPDATE, type AdamUpdateAttrs } from '../kernels/adam-update';

/** Hyper-parameters of one {@link adamUpdate}. */
export interface AdamUpdateOptions {
  /** PyTorch's `lr`: the step size before bias correction (also scales AdamW's decoupled decay). */
  learningRate: number;
  /** PyTorch's `betas[0]`: decay of the first moment `m` (`exp_avg`). */
  beta1: number;
  /** PyTorch's `betas[1]`: decay of the second moment `v` (`exp_avg_sq`). */
  beta2: number;
  /** added outside the square root, as PyTorch does */
  epsilon: number;
  /** this parameter's step count k, from 1 (bias corrections 1 − βᵏ) */
  step: number;
  /** L2 weight decay (Adam) or decoupled decay (AdamW); default 0 */
  weightDecay?: number;
  /** AdamW's decoupled decay `p ← p·(1 − lr·λ)` instead of `g ← g + λ·p`; default false */
  decoupled?: boolean;
}

/** The new parameter and moments (fresh tensors; assign them to the variables). */
export interface AdamUpdateResult {
  /** The updated parameter, same shape and dtype as the input parameter. */
  param: tfc.Tensor;
  /** The updated first moment `m` (PyTorch's `exp_avg`), same shape as the parameter. */
  expAvg: tfc.Tensor;
  /** The updated second moment `v` (PyTorch's `exp_avg_sq`), same shape as the parameter. */
  expAvgSq: tfc.Tensor;
}

/** The same step from tfjs ops, for backends without the fused kernel. */
function composite(
  param: tfc.Tensor,
  grad: tfc.Tensor,
  m: tfc.Tensor,
  v: tfc.Tensor,
  a: AdamUpdateAttrs,
): AdamUpdateResult {
  return tfc.tidy(() => {
    let p = param;
    let g = grad;
    if (a.weightDecay !== 0) {
      if (a.decoupled) p = tfc.mul(p, 1 - a.learningRate * a.weightDecay);
      else g = tfc.add(g, tfc.mul(param, a.weightDecay));
    }
    const expAvg = tfc.add(tfc.mul(m, a.beta1), tfc.mul(g, 1 - a.beta1));
    const expAvgSq = tfc.add(tfc.mul(v, a.beta2), tfc.mul(tfc.square(g), 1 - a.beta2));
    const denom = tfc.add(tfc.div(tfc.sqrt(expAvgSq), Math.sqrt(1 - a.beta2 ** a.step)), a.epsilon);
    const stepSize = a.learningRate / (1 - a.beta1 ** a.step);
    return { param: tfc.sub(p, tfc.mul(tfc.div(expAvg, denom), stepSize)), expAvg, expAvgSq };
  });
}

/**
 * One Adam (or AdamW) update of a parameter with PyTorch's formulas:
 * ```
 * AdamW: p ← p·(1 − lr·λ)          Adam: g ← g + λ·p
 * m ← β₁·m + (1 − β₁)·g
 * v ← β₂·v + (1 − β₂)·g²
 * p ← p − (lr / (1 − β₁ᵏ)) · m / (√v / √(1 − β₂ᵏ) + ε)
 * ```
 * On wasm and cpu this is one kernel that reads each element once (instead of a dozen full-size
 * kernels); elsewhere the same formulas run as tfjs ops. Inputs are not modified.
 *
 * @example
 * ```ts
 * const options = { learningRate: 5e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: k };
 * const next = adamUpdate(weight, grad, expAvg, expAvgSq, options);
 * weight.assign(next.param); expAvg.assign(next.expAvg); expAvgSq.assign(next.expAvgSq);
 * tf.dispose([next.param, next.expAvg, next.expAvgSq]);
 * ```
 */
export function adamUpdate(
  param: tfc.Tensor,
  grad: tfc.Tensor,
  expAvg: tfc.Tensor,
  expAvgSq: tfc.Tensor,
  options: AdamUpdateOptions,
): AdamUpdateResult {
  const attrs: AdamUpdateAttrs = {
    learningRate: options.learningRate,
    beta1: options.beta1,
    beta2: options.beta2,
    epsilon: options.epsilon,
    step: options.step,
    weightDecay: options.weightDecay ?? 0,
    decoupled: options.decoupled ?? false,
  };
  if (!(Number.isInteger(attrs.step) && attrs.step >= 1))
    throw new BackendError(`adamUpdate: step must be an integer >= 1, got ${attrs.step}`);
  for (const [name, t] of [
    ['grad', grad],
    ['expAvg', expAvg],
    ['expAvgSq', expAvgSq],
  ] as const) {
    if (t.shape.join(',') !== param.shape.join(',')) {
      throw new BackendError(`adamUpdate: ${name} has shape [${t.shape.join(',')}], param [${param.shape.join(',')}]`);
    }
  }
  if (tfc.getKernel(ADAM_UPDATE, tfc.getBackend()) == null) return composite(param, grad, expAvg, expAvgSq, attrs);
  const [p, m, v] = tfc
    .engine()
    .runKernel(ADAM_UPDATE, { param, grad, expAvg, expAvgSq }, attrs as unknown as tfc.NamedAttrMap) as tfc.Tensor[];
  return { param: p!, expAvg: m!, expAvgSq: v! };
}
