/**
 * Products with a weight used at every step of an unrolled recurrence (see {@link StepProduct}).
 *
 * Autodiff treats the T uses of a recurrent weight as T separate products: the backward pass forms T thin
 * weight gradients `dy_tᵀ·x_t` (inner size = the batch) and keeps every one of them alive until the
 * backward pass ends (tfjs adds them up but frees only the running sums), so for AoANet's 1024-wide
 * decoder each step costs ~50 MB of gradient buffers and a weight-sized add. {@link tallGradientProduct}
 * records `(x_t, dy_t)` during the backward pass instead and forms the weight gradient once, as one tall
 * product over all steps, after the last use; the values are the same up to the summation order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from '@caption/core';

/**
 * How a recurrence multiplies a `[rows, in]` input by a weight `W` `[out, in]` (PyTorch layout) used at
 * every step: `weight ↦ (x ↦ x·Wᵀ)`, created once per unroll (inside the differentiated function). The
 * weight is a parameter (`tf.Variable`), which outlives the backward pass.
 */
export type StepProduct = (weight: tf.Tensor) => (x: tf.Tensor) => tf.Tensor;

/** The plain {@link StepProduct}: `x·Wᵀ` with `tf.matMul` (autodiff forms one weight gradient per step). */
export const plainStepProduct: StepProduct = (weight) => (x) => tf.matMul(x, weight, false, true);

/**
 * The {@link StepProduct} whose weight gradient is formed once: `Σ_t dy_tᵀ·x_t = [dy_1; …; dy_T]ᵀ·[x_1; …; x_T]`.
 *
 * How: a marker op taking the weight is recorded when the product is created, and every use takes the
 * marker's output as an extra input; tfjs runs gradients in reverse recording order, so the marker's
 * gradient (the assembled weight gradient) runs after every use has recorded its `(x_t, dy_t)`. The
 * gradient functions read `weight` after the forward pass's tensors are gone, so it must be a variable;
 * any other tensor gets the plain product.
 */
export const tallGradientProduct: StepProduct = (weight) => {
  if (!(weight instanceof tf.Variable)) return plainStepProduct(weight);
  let transposedChunks: Array<{ start: number; weight: tf.Tensor }> | null = null;
  return stepUses(
    weight,
    (x) => tf.matMul(x, weight, false, true),
    (dy) => {
      transposedChunks ??= transposedInChunks(weight);
      return inputGradient(dy, transposedChunks);
    },
    (x, dy) => tf.matMul(dy, x, true, false),
  );
};

/**
 * The machinery of {@link tallGradientProduct} and {@link tallGradientLookup}: uses `forward(input)` of a
 * variable `shared`, each recording its `(input_t, dy_t)` in the backward pass and returning
 * `inputGradient(dy_t)` for its input; after the last use a marker op (recorded first, so differentiated
 * last) returns `sharedGradient([input_1; …], [dy_1; …])` as the variable's gradient.
 */
function stepUses(
  shared: tf.Variable,
  forward: (input: tf.Tensor) => tf.Tensor,
  inputGradient: (dy: tf.Tensor, input: tf.Tensor) => tf.Tensor,
  sharedGradient: (inputs: tf.Tensor, dys: tf.Tensor) => tf.Tensor,
): (input: tf.Tensor) => tf.Tensor {
  const inputs: tf.Tensor[] = [];
  const outputGradients: tf.Tensor[] = [];
  const marker = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const w = args[0] as tf.Tensor;
    return {
      value: tf.scalar(0),
      gradFunc: () => {
        if (inputs.length === 0) return tf.zerosLike(w);
        const all = inputs.length === 1 ? (inputs[0] as tf.Tensor) : tf.concat(inputs, 0);
        const dy = outputGradients.length === 1 ? (outputGradients[0] as tf.Tensor) : tf.concat(outputGradients, 0);
        inputs.length = 0;
        outputGradients.length = 0;
        return sharedGradient(all, dy);
      },
    };
  });
  const token = marker(shared);
  const use = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, , save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: forward(input),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const kept = saved[0] as tf.Tensor;
        // clones (shared data): tfjs may dispose `dy` itself when it also is another tensor's running gradient sum
        inputs.push(kept.clone());
        outputGradients.push(dy.clone());
        return [inputGradient(dy, kept), tf.scalar(0)];
      },
    };
  });
  return (input) => use(input, token);
}

/** Output sizes above this are cut into chunks for the input gradient (XNNPACK slows down on long inner loops). */
const MAX_INNER = 5000;

/**
 * `Wᵀ` `[in, out]` of a weight `W` `[out, in]`, cut along `out` into chunks of at most {@link MAX_INNER}
 * (one chunk for most weights), made once per product for the input gradients `dy·W`.
 */
function transposedInChunks(weight: tf.Tensor): Array<{ start: number; weight: tf.Tensor }> {
  const [out, inner] = weight.shape as [number, number];
  const transposed = tf.transpose(weight);
  if (out <= MAX_INNER) return [{ start: 0, weight: transposed }];
  const count = Math.ceil(out / MAX_INNER);
  const size = Math.ceil(out / count);
  const chunks: Array<{ start: number; weight: tf.Tensor }> = [];
  for (let start = 0; start < out; start += size) chunks.push({ start, weight: tf.slice(transposed, [0, start], [inner, Math.min(size, out - start)]) });
  transposed.dispose();
  return chunks;
}

/**
 * `dy·W` for `dy` `[rows, out]` as `Σ_chunks dy[:, chunk]·(Wᵀ[:, chunk])ᵀ`: on wasm that orientation runs
 * about 1.5–2× faster than `dy·W` with `W` a `[out, in]` weight (measured: 50×4096×2048 at 23.6 vs
 * 11.4 GFLOP/s), and the logit layer's inner size of 9,488 at 12.8 GFLOP/s whole but 19–23 in chunks.
 */
function inputGradient(dy: tf.Tensor, chunks: ReadonlyArray<{ start: number; weight: tf.Tensor }>): tf.Tensor {
  if (chunks.length === 1) return tf.matMul(dy, (chunks[0] as { weight: tf.Tensor }).weight, false, true);
  const rows = dy.shape[0] as number;
  return tf.addN(chunks.map(({ start, weight }) => tf.matMul(tf.slice(dy, [0, start], [rows, weight.shape[1] as number]), weight, false, true)));
}

/**
 * Row lookup `table[ids]` in a table used at every step of a recurrence (the word embedding when words
 * are fed one step at a time: sampling, scheduled sampling), whose gradient is formed once: one
 * `scatterND` of all steps' `(ids_t, dy_t)` after the last use. A per-step lookup's own gradient is a
 * table-sized scatter per step (39 MB for AoANet's 9,488 × 1,024 embedding), all alive until the backward
 * pass ends. `table` must be a variable (as for {@link tallGradientProduct}); for another tensor this is
 * core's `gatherRows`.
 */
export function tallGradientLookup(table: tf.Tensor): (ids: tf.Tensor) => tf.Tensor {
  if (!(table instanceof tf.Variable)) return (ids) => gatherRows(table, ids);
  return stepUses(
    table,
    (ids) => tf.gather(table, ids),
    // the ids are integers and never differentiated (tfjs prunes them from the backward pass)
    (_dy, ids) => tf.zerosLike(ids),
    (ids, dy) => tf.scatterND(tf.expandDims(ids, 1), dy, table.shape),
  );
}
