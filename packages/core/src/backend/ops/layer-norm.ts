/**
 * `layerNorm`: layer normalisation over the last axis with a gain and a shift, fused into one kernel
 * forward and one backward where they are registered (wasm, cpu).
 */
import * as tfc from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { LAYER_NORM, LAYER_NORM_GRAD, type LayerNormAttrs, type LayerNormVariant } from '../kernels/layer-norm';

/** Options of {@link layerNorm}. */
export interface LayerNormOptions {
  /** Which normalisation (see {@link LayerNormVariant}). */
  variant: LayerNormVariant;
  /** > 0: added to the variance (`'standard'`) or to the std (`'annotated'`). */
  eps: number;
}

function checkInputs(x: tfc.Tensor, gain: tfc.Tensor, shift: tfc.Tensor, options: LayerNormOptions): void {
  const where = `layerNorm(${String(options.variant)})`;
  const features = x.shape[x.rank - 1];
  if (features === undefined) throw new BackendError(`${where}: x must have at least one dimension, got a scalar`);
  for (const [name, t] of [
    ['gain', gain],
    ['shift', shift],
  ] as const) {
    if (t.rank !== 1 || t.shape[0] !== features) {
      throw new BackendError(
        `${where}: ${name} has shape [${t.shape.join(', ')}], expected [${features}] (the last dimension of x ` +
          `[${x.shape.join(', ')}])`,
      );
    }
  }
  for (const [name, t] of [
    ['x', x],
    ['gain', gain],
    ['shift', shift],
  ] as const) {
    if (t.dtype !== 'float32') throw new BackendError(`${where}: ${name} must be float32, got ${t.dtype}`);
  }
  if (options.variant !== 'standard' && options.variant !== 'annotated') {
    throw new BackendError(`${where}: variant must be 'standard' or 'annotated'`);
  }
  if (!Number.isFinite(options.eps) || !(options.eps > 0)) {
    throw new BackendError(`${where}: eps must be a positive number, got ${options.eps}`);
  }
  if (options.variant === 'annotated' && features < 2) {
    throw new BackendError(`${where}: the annotated variant needs a last dimension >= 2 (its std divides by N - 1)`);
  }
}

/**
 * `sqrt(v)` for `v >= 0` whose gradient is `dy / (2 sqrt(v))` where `v > 0` and 0 where `v == 0`
 * (PyTorch's convention for `std`), so constant rows give no NaN in the backward pass.
 */
export function sqrtWithZeroGradientAtZero(v: tfc.Tensor): tfc.Tensor {
  const op = tfc.customGrad((...args: Array<tfc.Tensor | tfc.GradSaveFunc>) => {
    const [variance, save] = args as [tfc.Tensor, tfc.GradSaveFunc];
    const root = tfc.sqrt(variance);
    save([root]);
    return {
      value: root,
      gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => {
        const [savedRoot] = saved as [tfc.Tensor];
        return tfc.divNoNan(tfc.mul(dy, 0.5), savedRoot);
      },
    };
  });
  return op(v);
}

/**
 * {@link layerNorm} in stock tfjs ops (~10 kernels forward, ~25 backward): its path on backends without
 * its kernels, and their reference in tests.
 */
export function layerNormInStockOps(
  x: tfc.Tensor,
  gain: tfc.Tensor,
  shift: tfc.Tensor,
  { variant, eps }: LayerNormOptions,
): tfc.Tensor {
  const features = x.shape[x.rank - 1]!;
  return tfc.tidy(() => {
    const mean = tfc.mean(x, -1, true);
    const centered = tfc.sub(x, mean);
    const sumSquares = tfc.sum(tfc.square(centered), -1, true);
    let normalised: tfc.Tensor;
    if (variant === 'standard') {
      normalised = tfc.mul(centered, tfc.rsqrt(tfc.add(tfc.div(sumSquares, features), eps)));
    } else {
      const std = sqrtWithZeroGradientAtZero(tfc.div(sumSquares, features - 1));
      normalised = tfc.div(centered, tfc.add(std, eps));
    }
    return tfc.add(tfc.mul(normalised, gain), shift);
  });
}

function fused(x: tfc.Tensor, gain: tfc.Tensor, shift: tfc.Tensor, options: LayerNormOptions): tfc.Tensor {
  const attrs: LayerNormAttrs = { variant: options.variant, eps: options.eps };
  const namedAttrs = attrs as unknown as tfc.NamedAttrMap;
  const op = tfc.customGrad((...args: Array<tfc.Tensor | tfc.GradSaveFunc>) => {
    const [input, g, s, save] = args as [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.GradSaveFunc];
    const [value, stats] = tfc.engine().runKernel(LAYER_NORM, { x: input, gain: g, shift: s }, namedAttrs) as [
      tfc.Tensor,
      tfc.Tensor,
    ];
    save([input, g, stats]);
    return {
      value,
      gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => {
        const [savedX, savedGain, savedStats] = saved as [tfc.Tensor, tfc.Tensor, tfc.Tensor];
        return tfc
          .engine()
          .runKernel(
            LAYER_NORM_GRAD,
            { dy, x: savedX, gain: savedGain, stats: savedStats },
            namedAttrs,
          ) as tfc.Tensor[];
      },
    };
  });
  return op(x, gain, shift);
}

/**
 * Layer normalisation of `x` (`[..., F]`, any rank ≥ 1) over its last axis: `γ·(x − μ)/D + β` with gain
 * `γ` and shift `β` (`[F]` each) and the denominator of `options.variant`: `sqrt(var + eps)` (`'standard'`,
 * PyTorch's `nn.LayerNorm`) or `std_unbiased + eps` (`'annotated'`, AoANet's, whose std has gradient 0 on
 * constant rows). Differentiable with respect to `x`, `gain` and `shift`.
 *
 * On wasm and cpu it runs as one kernel forward and one backward (JS loops, float64 row sums) instead of
 * ~10 and ~25 stock kernels, which at small widths cost more in tfjs's per-kernel overhead than in
 * arithmetic; elsewhere it falls back to those stock ops. {@link LayerNorm} uses it.
 *
 * @throws {BackendError} when `gain` or `shift` is not `[F]` for `x`'s last dimension `F`, on a scalar `x`,
 * a dtype other than float32, an unknown variant, a non-positive `eps`, or `'annotated'` with `F < 2`
 *
 * @example
 * ```ts
 * const y = layerNorm(x, gamma, beta, { variant: 'standard', eps: 1e-5 }); // x [B, T, F], gamma/beta [F]
 * ```
 */
export function layerNorm(x: tfc.Tensor, gain: tfc.Tensor, shift: tfc.Tensor, options: LayerNormOptions): tfc.Tensor {
  checkInputs(x, gain, shift, options);
  const backend = tfc.getBackend();
  if (x.size === 0 || tfc.getKernel(LAYER_NORM, backend) == null || tfc.getKernel(LAYER_NORM_GRAD, backend) == null) {
    return layerNormInStockOps(x, gain, shift, options);
  }
  return fused(x, gain, shift, options);
}
