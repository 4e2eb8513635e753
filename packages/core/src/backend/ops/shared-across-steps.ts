/**
 * Gradients of tensors used at every step of an unrolled recurrence, computed once instead of per step.
 *
 * Autodiff treats the T uses of a recurrent weight as T separate products: the backward pass computes T
 * thin weight gradients `x_tᵀ·dy_t` (inner size = batch, slow on every backend), keeps every one of them
 * alive until the backward pass ends (tfjs adds them up but frees only the running sums: ~50 MB per step
 * for a 1024-wide LSTM) and adds them up with T−1 full-size `Add`s. Likewise a table read at every step
 * (a word embedding fed one step at a time) gets one table-sized scatter per step, and a tensor read at
 * every step (attention keys and values) gets its gradient accumulated with T−1 `Add`s. Here each use
 * records its `(input_t, dy_t)` during the backward pass, and the gradient is formed once, after all
 * steps: one tall product `dYᵀ·X` over the concatenated steps, one scatter-add, or one `AddN`. The values
 * and gradients are the same (up to float rounding of the summation order).
 *
 * How: the constructor records a marker op whose input is the shared tensor; every use takes the marker
 * as an input instead of the tensor. The tape runs gradients in reverse order of recording, so the
 * marker's gradient, which assembles the shared tensor's gradient, runs after every use's. Each use
 * saves what its gradient reads, so the shared tensor may be a variable or any tensor of the forward
 * pass. Create the object inside the function being differentiated (once per forward pass).
 */
import * as tfc from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';

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

/** The marker op: a scalar, taking `shared` as input, whose gradient with respect to `shared` is `assemble()`. */
function marker(shared: tfc.Tensor, assemble: () => tfc.Tensor): tfc.Tensor {
  return customOp(() => ({ value: tfc.scalar(0), gradFunc: () => assemble() }))(shared);
}

/**
 * The machinery of {@link SharedWeight} and {@link SharedTable}: uses that record `(input_t, dy_t)` in
 * the backward pass, and a marker whose gradient with respect to the shared tensor is
 * `assemble([input_1; …; input_T], [dy_1; …; dy_T])` (concatenated along axis 0).
 */
class StepUses {
  private readonly inputs: tfc.Tensor[] = [];
  private readonly outputGradients: tfc.Tensor[] = [];
  private readonly token: tfc.Tensor;

  constructor(
    private readonly shared: tfc.Tensor,
    assemble: (inputs: tfc.Tensor, dys: tfc.Tensor) => tfc.Tensor,
  ) {
    const shape = shared.shape;
    this.token = marker(shared, () => {
      if (this.inputs.length === 0) return tfc.zeros(shape);
      const all = this.inputs.length === 1 ? this.inputs[0]! : tfc.concat(this.inputs, 0);
      const dy = this.outputGradients.length === 1 ? this.outputGradients[0]! : tfc.concat(this.outputGradients, 0);
      this.inputs.length = 0;
      this.outputGradients.length = 0;
      return assemble(all, dy);
    });
  }

  /**
   * One use: `forward(input, shared)`, whose gradient records `(input, dy)` and returns
   * `inputGradient(dy, input, shared)` as the gradient of `input`.
   */
  use(
    input: tfc.Tensor,
    forward: (input: tfc.Tensor, shared: tfc.Tensor) => tfc.Tensor,
    inputGradient: (dy: tfc.Tensor, input: tfc.Tensor, shared: tfc.Tensor) => tfc.Tensor,
  ): tfc.Tensor {
    const shared = this.shared;
    return customOp(([x], save) => {
      // the shared tensor is captured, not an input (its gradient is the marker's): saved, so that the
      // backward pass may read it after the forward pass's tidy scopes have freed it
      save([x!, shared]);
      return {
        value: forward(x!, shared),
        gradFunc: (dy, saved) => {
          const [kept, keptShared] = saved as [tfc.Tensor, tfc.Tensor];
          // clones share the data; tfjs may dispose `dy` itself when it is also another tensor's running sum
          this.inputs.push(tfc.clone(kept));
          this.outputGradients.push(tfc.clone(dy));
          return [inputGradient(dy, kept, keptShared), tfc.scalar(0)];
        },
      };
    })(input, this.token);
  }
}

/** `[..., d]` as `[rows, d]`, and back. */
function flatten2d(x: tfc.Tensor): tfc.Tensor2D {
  return (x.rank === 2 ? x : tfc.reshape(x, [-1, x.shape[x.rank - 1]!])) as tfc.Tensor2D;
}

/**
 * A 2-D weight multiplied at every step of a recurrence: `matMul(x_t)` is `x_t·W` (or `x_t·Wᵀ` for a
 * PyTorch-layout `[out, in]` weight, `transposed: true`), and `W`'s gradient is one product over all
 * steps, formed after the last step's backward pass.
 *
 * @example
 * ```ts
 * const { value, grads } = tf.variableGrads(() => {
 *   const recurrent = new SharedWeight(lstm.weightHH, { transposed: true });   // once per forward pass
 *   for (let t = 0; t < T; t++) gates = tf.add(input[t], recurrent.matMul(h));
 *   ...
 * });
 * ```
 */
export class SharedWeight {
  private readonly uses: StepUses;

  /**
   * @param weight `[in, out]`, or `[out, in]` with `transposed: true` (PyTorch's `nn.Linear` layout)
   * @param options `transposed`: multiply by `Wᵀ` instead of `W`
   */
  constructor(
    /** The shared weight: `[in, out]`, or `[out, in]` with `options.transposed`. */
    readonly weight: tfc.Tensor2D,
    /** How the weight is multiplied. */
    readonly options: {
      /** Multiply by `Wᵀ` instead of `W` (for PyTorch's `[out, in]` layout); default false. */
      transposed?: boolean;
    } = {},
  ) {
    if (weight.rank !== 2)
      throw new BackendError(`SharedWeight: the weight must be 2-D, got [${weight.shape.join(', ')}]`);
    const transposed = options.transposed === true;
    this.uses = new StepUses(weight, (x, dy) =>
      transposed ? tfc.matMul(dy, x, true, false) : tfc.matMul(x, dy, true, false),
    );
  }

  /** `x·W` (or `x·Wᵀ`) over the last axis of `x` (`[..., in]` → `[..., out]`). */
  matMul<T extends tfc.Tensor>(x: T): T {
    const transposed = this.options.transposed === true;
    const [rows, cols] = transposed ? [this.weight.shape[1], this.weight.shape[0]] : this.weight.shape;
    if (x.rank < 2 || x.shape[x.rank - 1] !== rows) {
      throw new BackendError(`SharedWeight.matMul: x has shape [${x.shape.join(', ')}], expected [..., ${rows}]`);
    }
    const y = this.uses.use(
      flatten2d(x),
      (input, w) => tfc.matMul(input as tfc.Tensor2D, w as tfc.Tensor2D, false, transposed),
      (dy, _input, w) => tfc.matMul(dy as tfc.Tensor2D, w as tfc.Tensor2D, false, !transposed),
    );
    return (x.rank === 2 ? y : tfc.reshape(y, [...x.shape.slice(0, -1), cols])) as T;
  }
}

/**
 * A table whose rows are looked up at every step of a recurrence (a word embedding when words are fed
 * one step at a time: sampling, scheduled sampling): `gather(ids_t)` is `table[ids_t]`, and the table's
 * gradient is one scatter-add (`scatterND`, which sums repeated ids) of all steps' `(ids_t, dy_t)`, where
 * a per-step lookup's own gradient is a table-sized buffer per step (39 MB for AoANet's 9,488 × 1,024
 * embedding), all alive until the backward pass ends.
 *
 * @example
 * ```ts
 * const words = new SharedTable(embedding.weight);      // once per forward pass
 * for (let t = 0; t < T; t++) x = words.gather(tokens[t]);   // [B] int32 → [B, dim]
 * ```
 */
export class SharedTable {
  private readonly uses: StepUses;

  /** @param table `[rows, ...]`, looked up along axis 0 */
  constructor(readonly table: tfc.Tensor) {
    if (table.rank < 1) throw new BackendError('SharedTable: the table must have rank >= 1');
    const shape = table.shape;
    this.uses = new StepUses(table, (ids, dy) => tfc.scatterND(tfc.expandDims(ids, 1), dy, shape));
  }

  /**
   * `table[ids]` for int32 `ids` of any shape: `[...idsShape, ...table.shape.slice(1)]`. No gradient flows to `ids`.
   */
  gather(ids: tfc.Tensor): tfc.Tensor {
    if (ids.dtype !== 'int32') throw new BackendError(`SharedTable.gather: ids must be int32, got ${ids.dtype}`);
    const flat = ids.rank === 1 ? ids : tfc.reshape(ids, [-1]);
    const rows = this.uses.use(
      flat,
      (index, table) => tfc.gather(table, index),
      // the ids are integers and never differentiated (tfjs prunes them from the backward pass)
      (_dy, index) => tfc.zerosLike(index),
    );
    return ids.rank === 1 ? rows : tfc.reshape(rows, [...ids.shape, ...this.table.shape.slice(1)]);
  }
}

/**
 * A tensor read at every step of a recurrence (attention keys and values): `use()` returns it, and its
 * gradient is summed once over all uses (`AddN`) instead of accumulated step by step.
 */
export class SharedTensor<R extends tfc.Rank = tfc.Rank> {
  private readonly dys: tfc.Tensor[] = [];
  private readonly token: tfc.Tensor;

  /** @param value the tensor read at every step; its gradient is the sum over all {@link SharedTensor.use} calls */
  constructor(
    /** The shared tensor, as given ({@link SharedTensor.use} returns a copy of it on the tape). */
    readonly value: tfc.Tensor<R>,
  ) {
    const shape = value.shape;
    this.token = marker(value, () => {
      if (this.dys.length === 0) return tfc.zeros(shape);
      const sum = this.dys.length === 1 ? this.dys[0]! : tfc.addN(this.dys);
      this.dys.length = 0;
      return sum;
    });
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
}
