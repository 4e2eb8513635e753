/**
 * Gradients of tensors used at every step of an unrolled recurrence, computed once instead of per step.
 *
 * Autodiff treats the T uses of a recurrent weight as T separate products: the backward pass computes T
 * thin weight gradients `x_tᵀ·dy_t` (inner size = batch, slow on every backend) and adds them up with
 * T−1 full-size `Add`s. Likewise a tensor read at every step (attention keys and values) gets its
 * gradient accumulated with T−1 `Add`s. Here each use records its `(x_t, dy_t)` during the backward pass,
 * and the gradient is formed once, after all steps: one tall product `Xᵀ·dY` over the concatenated steps,
 * or one `AddN`. The values and gradients are the same (up to float rounding of the summation order).
 *
 * How: the constructor records a marker op whose input is the shared tensor; every use takes the marker
 * as an input instead of the tensor. The tape runs gradients in reverse order of recording, so the
 * marker's gradient, which assembles the shared tensor's gradient, runs after every use's.
 * Create the object inside the function being differentiated (once per forward pass).
 */
import * as tfc from '@tensorflow/tfjs-core';

type GradFunc = (dy: tfc.Tensor, saved: tfc.Tensor[]) => tfc.Tensor | tfc.Tensor[];

/** A custom-gradient op from a forward function and a gradient function (typed wrapper). */
function customOp(
  forward: (inputs: tfc.Tensor[], save: tfc.GradSaveFunc) => { value: tfc.Tensor; gradFunc: GradFunc },
): (...inputs: tfc.Tensor[]) => tfc.Tensor {
  const op = tfc.customGrad((...args: Array<tfc.Tensor | tfc.GradSaveFunc>) => {
    const save = args[args.length - 1] as tfc.GradSaveFunc;
    return forward(args.slice(0, -1) as tfc.Tensor[], save);
  });
  return (...inputs) => op(...inputs);
}

/** The marker op: a scalar whose gradient with respect to `shared` is `assemble()`. */
function marker(shared: tfc.Tensor, assemble: () => tfc.Tensor): tfc.Tensor {
  return customOp(() => ({
    value: tfc.scalar(0),
    gradFunc: () => assemble(),
  }))(shared);
}

/**
 * A 2-D weight multiplied at every step of a recurrence: `matMul(x_t)` is `x_t·W` (or `x_t·Wᵀ` for a
 * PyTorch-layout `[out, in]` weight), and `W`'s gradient is one product over all steps.
 *
 * @example
 * ```ts
 * const { value, grads } = tf.variableGrads(() => {
 *   const recurrent = new SharedWeight(lstmWeight);        // once per forward pass
 *   for (let t = 0; t < T; t++) gates = tf.add(input[t], recurrent.matMul(h));
 *   ...
 * });
 * ```
 */
export class SharedWeight {
  private readonly xs: tfc.Tensor[] = [];
  private readonly dys: tfc.Tensor[] = [];
  private readonly token: tfc.Tensor;

  /**
   * @param weight `[in, out]`, or `[out, in]` with `transposed: true` (PyTorch's `nn.Linear` layout)
   * @param options.transposed multiply by `Wᵀ` instead of `W`
   */
  constructor(
    readonly weight: tfc.Tensor2D,
    readonly options: { transposed?: boolean } = {},
  ) {
    this.token = marker(weight, () => this.weightGradient());
  }

  /** `x·W` (or `x·Wᵀ`) for a `[rows, in]` input. */
  matMul(x: tfc.Tensor2D): tfc.Tensor2D {
    const transposed = this.options.transposed === true;
    const w = this.weight;
    return customOp(([input], save) => {
      save([input!]);
      return {
        value: tfc.matMul(input!, w, false, transposed),
        gradFunc: (dy, saved) => {
          // clones share the data; tfjs may dispose `dy` itself if it also is another tensor's running sum
          this.xs.push(tfc.clone(saved[0]!));
          this.dys.push(tfc.clone(dy));
          return [tfc.matMul(dy, w, false, !transposed), tfc.scalar(0)];
        },
      };
    })(x, this.token) as tfc.Tensor2D;
  }

  private weightGradient(): tfc.Tensor {
    if (this.xs.length === 0) return tfc.zerosLike(this.weight);
    const x = this.xs.length === 1 ? this.xs[0]! : tfc.concat(this.xs, 0);
    const dy = this.dys.length === 1 ? this.dys[0]! : tfc.concat(this.dys, 0);
    this.xs.length = 0;
    this.dys.length = 0;
    return this.options.transposed === true ? tfc.matMul(dy, x, true, false) : tfc.matMul(x, dy, true, false);
  }
}

/**
 * A tensor read at every step of a recurrence (attention keys and values): `use()` returns it, and its
 * gradient is summed once over all uses (`AddN`) instead of accumulated step by step.
 */
export class SharedTensor<R extends tfc.Rank = tfc.Rank> {
  private readonly dys: tfc.Tensor[] = [];
  private readonly token: tfc.Tensor;

  constructor(readonly value: tfc.Tensor<R>) {
    this.token = marker(value, () => this.gradient());
  }

  /** The shared tensor, as one more use. */
  use(): tfc.Tensor<R> {
    const value = this.value;
    return customOp(() => ({
      value: tfc.clone(value),
      gradFunc: (dy) => {
        this.dys.push(tfc.clone(dy));
        return tfc.scalar(0);
      },
    }))(this.token) as tfc.Tensor<R>;
  }

  private gradient(): tfc.Tensor {
    if (this.dys.length === 0) return tfc.zerosLike(this.value);
    const sum = this.dys.length === 1 ? this.dys[0]! : tfc.addN(this.dys);
    this.dys.length = 0;
    return sum;
  }
}
