/**
 * The benchmark model: an attention + LSTM captioner training step in the shape of AoANet's decoder
 * (the model of ../shared/notes/tfjs-backends.md §3), written with tfjs-core ops.
 *
 * - region features [B, R, F] → Linear(F→H) + ReLU; key/value projections H→H;
 * - an LSTM cell (hidden H) unrolled T steps, input [word embedding; mean feature + previous output; h];
 * - queried by h, A-head scaled dot-product attention over the R regions;
 * - an AoA gate: Linear(2H→2H) on [attended; h], then GLU → the step's output (next step's context);
 * - logits Linear(H→V) over all T·B outputs at once, cross-entropy (our fused kernel), Adam.
 *
 * The time-independent parts run once for all steps (embedding lookup, the word part of the LSTM's input
 * projection, the logits, the loss); what depends on h stays in the loop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SharedTensor, SharedWeight } from '../src/backend/ops/shared-across-steps';
import { sparseSoftmaxCrossEntropy } from '../src/backend/ops/sparse-softmax-cross-entropy';
import { Random } from '../src/random';

/** Sizes of the benchmark model and batch. */
export interface CaptionerConfig {
  batch: number;
  regions: number;
  featureDim: number;
  hidden: number;
  heads: number;
  steps: number;
  vocab: number;
}

/** The note's model at batch 50. */
export const FULL_CONFIG: CaptionerConfig = {
  batch: 50,
  regions: 36,
  featureDim: 2048,
  hidden: 512,
  heads: 8,
  steps: 16,
  vocab: 9487,
};

/** One matrix product of the step, for the analytic FLOP count. */
export interface MatMulSpec {
  name: string;
  m: number;
  k: number;
  n: number;
  /** how many times per step (e.g. once per time step, times batch·heads for attention) */
  count: number;
  /** whether the backward pass computes the gradient with respect to the left / right operand */
  gradLeft: boolean;
  gradRight: boolean;
}

/**
 * Every matrix product of one training step (forward and backward), from the config. The backward pass
 * of `C = A·B` costs one product of the same size per operand that needs a gradient.
 */
export function stepMatMuls(c: CaptionerConfig): MatMulSpec[] {
  const { batch: b, regions: r, featureDim: f, hidden: h, heads, steps: t, vocab: v } = c;
  const d = h / heads;
  return [
    { name: 'region projection', m: b * r, k: f, n: h, count: 1, gradLeft: false, gradRight: true },
    { name: 'key/value projections', m: b * r, k: h, n: h, count: 2, gradLeft: true, gradRight: true },
    { name: 'LSTM word input', m: b * t, k: h, n: 4 * h, count: 1, gradLeft: true, gradRight: true },
    { name: 'LSTM context + recurrent', m: b, k: 2 * h, n: 4 * h, count: t, gradLeft: true, gradRight: true },
    { name: 'attention query', m: b, k: h, n: h, count: t, gradLeft: true, gradRight: true },
    { name: 'attention scores', m: 1, k: d, n: r, count: t * b * heads, gradLeft: true, gradRight: true },
    { name: 'attention values', m: 1, k: r, n: d, count: t * b * heads, gradLeft: true, gradRight: true },
    { name: 'AoA gate', m: b, k: 2 * h, n: 2 * h, count: t, gradLeft: true, gradRight: true },
    { name: 'logits', m: b * t, k: h, n: v, count: 1, gradLeft: true, gradRight: true },
  ];
}

/** Matmul FLOPs of one training step (2 per multiply-add), forward and backward. */
export function stepFlops(c: CaptionerConfig): number {
  let total = 0;
  for (const s of stepMatMuls(c)) {
    const passes = 1 + (s.gradLeft ? 1 : 0) + (s.gradRight ? 1 : 0);
    total += 2 * s.m * s.k * s.n * s.count * passes;
  }
  return total;
}

/** A synthetic batch: region features, input words and target words. */
export interface CaptionerBatch {
  regions: tf.Tensor3D;
  words: tf.Tensor2D;
  targets: tf.Tensor2D;
}

function uniform(rng: Random, shape: number[], scale: number): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * scale;
  return out;
}

let instances = 0;

/** The benchmark captioner: its variables and its loss. */
export class BenchCaptioner {
  readonly variables: tf.Variable[] = [];
  private readonly p: Record<string, tf.Variable> = {};

  /**
   * @param fused use this package's fused training ops: the gradients of the recurrent weights and of the
   *   attention keys and values once per step instead of per time step ({@link SharedWeight},
   *   {@link SharedTensor}), and {@link sparseSoftmaxCrossEntropy}; false: plain tfjs ops (per-step
   *   products, `tf.losses.softmaxCrossEntropy` on one-hot labels)
   */
  constructor(
    readonly config: CaptionerConfig,
    seed = 1,
    readonly fused = true,
  ) {
    const { featureDim: f, hidden: h, vocab: v } = config;
    const rng = new Random(seed);
    instances += 1;
    const add = (name: string, shape: number[], scale = 0.08) => {
      const variable = tf.variable(tf.tensor(uniform(rng, shape, scale), shape), true, `bench${instances}.${name}`);
      this.p[name] = variable;
      this.variables.push(variable);
    };
    add('embed', [v, h]);
    add('regionW', [f, h]);
    add('regionB', [h]);
    add('keyW', [h, h]);
    add('valueW', [h, h]);
    add('lstmWordW', [h, 4 * h]);
    add('lstmStateW', [2 * h, 4 * h]);
    add('lstmB', [4 * h]);
    add('queryW', [h, h]);
    add('aoaW', [2 * h, 2 * h]);
    add('aoaB', [2 * h]);
    add('logitW', [h, v]);
    add('logitB', [v]);
  }

  /** A random batch with the config's shapes. */
  batch(seed = 2): CaptionerBatch {
    const { batch: b, regions: r, featureDim: f, steps: t, vocab: v } = this.config;
    const rng = new Random(seed);
    const words = Int32Array.from({ length: b * t }, () => Math.floor(rng.next() * v));
    const targets = Int32Array.from({ length: b * t }, () => Math.floor(rng.next() * v));
    return {
      regions: tf.tensor3d(uniform(rng, [b, r, f], 1), [b, r, f]),
      words: tf.tensor2d(words, [b, t], 'int32'),
      targets: tf.tensor2d(targets, [b, t], 'int32'),
    };
  }

  private param(name: string): tf.Variable {
    const v = this.p[name];
    if (v == null) throw new Error(`no parameter ${name}`);
    return v;
  }

  /** Mean cross-entropy of the batch (a scalar). Pure: use inside `tf.tidy` / `variableGrads`. */
  loss(batch: CaptionerBatch): tf.Scalar {
    const { batch: b, regions: r, featureDim: f, hidden: h, heads, steps: t, vocab: v } = this.config;
    const d = h / heads;
    const p = (name: string) => this.param(name);

    // Image side, once per batch.
    const feats = tf.relu(tf.add(tf.matMul(tf.reshape(batch.regions, [b * r, f]), p('regionW')), p('regionB')));
    const splitHeads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [b, r, heads, d]), [0, 2, 1, 3]);
    const keys = splitHeads(tf.matMul(feats, p('keyW'))); // [B, A, R, d]
    const values = splitHeads(tf.matMul(feats, p('valueW')));
    const meanFeat = tf.mean(tf.reshape(feats, [b, r, h]), 1); // [B, H]

    // Word side, once for all steps: embeddings and their part of the LSTM input projection.
    const embedded = tf.gather(p('embed'), tf.reshape(tf.transpose(batch.words), [t * b])); // [T·B, H]
    // unstack, not slice per step: the gradient of T slices is T zero-padded full-size tensors and T adds.
    const wordGates = tf.unstack(tf.reshape(tf.add(tf.matMul(embedded, p('lstmWordW')), p('lstmB')), [t, b, 4 * h]));

    const share = this.fused;
    const stateW = share ? new SharedWeight(p('lstmStateW') as tf.Tensor2D) : null;
    const queryW = share ? new SharedWeight(p('queryW') as tf.Tensor2D) : null;
    const aoaW = share ? new SharedWeight(p('aoaW') as tf.Tensor2D) : null;
    const sharedKeys = share ? new SharedTensor(keys) : null;
    const sharedValues = share ? new SharedTensor(values) : null;
    const product = (shared: SharedWeight | null, x: tf.Tensor, name: string) =>
      shared != null ? shared.matMul(x as tf.Tensor2D) : tf.matMul(x, p(name));

    let hState = tf.zeros([b, h]);
    let cState = tf.zeros([b, h]);
    let output = tf.zeros([b, h]);
    const outputs: tf.Tensor[] = [];
    const scale = 1 / Math.sqrt(d);
    for (let step = 0; step < t; step++) {
      const stateIn = tf.concat([tf.add(meanFeat, output), hState], 1); // [B, 2H]
      const gates = tf.add(wordGates[step]!, product(stateW, stateIn, 'lstmStateW'));
      const [i, fGate, g, o] = tf.split(gates, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      cState = tf.add(tf.mul(tf.sigmoid(fGate), cState), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      hState = tf.mul(tf.sigmoid(o), tf.tanh(cState));

      const query = tf.reshape(product(queryW, hState, 'queryW'), [b, heads, 1, d]);
      const stepKeys = sharedKeys != null ? sharedKeys.use() : keys;
      const stepValues = sharedValues != null ? sharedValues.use() : values;
      const weights = tf.softmax(tf.mul(tf.matMul(query, stepKeys, false, true), scale)); // [B, A, 1, R]
      const attended = tf.reshape(tf.matMul(weights, stepValues), [b, h]);

      const gateIn = tf.add(product(aoaW, tf.concat([attended, hState], 1), 'aoaW'), p('aoaB'));
      const [info, gate] = tf.split(gateIn, 2, 1) as [tf.Tensor, tf.Tensor];
      output = tf.mul(info, tf.sigmoid(gate));
      outputs.push(output);
    }

    const logits = tf.add(tf.matMul(tf.concat(outputs, 0), p('logitW')), p('logitB')); // [T·B, V]
    const targets = tf.reshape(tf.transpose(batch.targets), [t * b]) as tf.Tensor1D;
    if (!this.fused) return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, v), logits) as tf.Scalar;
    return tf.mean(sparseSoftmaxCrossEntropy(logits as tf.Tensor2D, targets));
  }
}
