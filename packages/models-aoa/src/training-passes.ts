/**
 * AoANet's training-time passes: teacher forcing (with scheduled sampling) and the per-step scores of
 * self-critical sampling, both with the image side once per image and the per-step weights multiplied
 * through a {@link StepProduct}. `AoAModel.forward` and `AoAModel.samplingSteps` call these.
 */
import * as tf from '@tensorflow/tfjs-core';
import { drawCategorical, type Embedding, type Random, type SamplingSteps } from '@caption/core';
import type { AoAFeatures, AoAModel } from './aoa-model';
import type { AoADecoderState, DecoderMemory } from './decoder-core';
import { AoAInputError } from './errors';
import { type StepProduct, tallGradientLookup, tallGradientProduct } from './step-product';

/** Scheduled sampling in {@link AoAModel.forward} (training mode only, as the reference). */
export interface ScheduledSampling {
  /** Probability that a row's input at step t ≥ 1 is drawn from the model's previous distribution (`ss_prob`). */
  probability: number;
  /** The source of the draws (its state advances; save it for exact resumes). */
  rng: Random;
}

/** Options of {@link AoAModel.forward}. */
export interface ForwardOptions {
  /** Scheduled sampling (off when absent or probability 0, and in eval mode). */
  scheduledSampling?: ScheduledSampling;
  /**
   * How the decoder multiplies its per-step weights when teacher forcing (see {@link StepProduct});
   * default {@link tallGradientProduct} (one weight gradient over all steps).
   */
  stepProduct?: StepProduct;
  /**
   * `'logprobs'` (default): `log_softmax` outputs, as the reference. `'logits'`: the logit layer's
   * outputs before `log_softmax` (stopped steps still exact zeros), for core's fused
   * `labelSmoothingLoss(logits, target, mask, ε, { input: 'logits' })`, which computes the log-softmax
   * and the loss in one op (~0.25 s less per train.sh-size XE step on wasm).
   */
  output?: 'logprobs' | 'logits';
}

/**
 * {@link AoAModel.forward}: teacher-forced log-probabilities (or logits) `[N, T − 1, vocabSize]`, the loop
 * stopping as the reference's `_forward` does.
 */
export function teacherForcedPass(
  model: AoAModel,
  features: AoAFeatures,
  labels: tf.Tensor,
  options: ForwardOptions,
): tf.Tensor3D {
  const where = 'AoAModel.forward';
  const width = labels.shape[labels.rank - 1] as number;
  if (labels.dtype !== 'int32' || (labels.rank !== 2 && labels.rank !== 3) || width < 2) {
    throw new AoAInputError(
      where,
      'labels',
      `must be int32 [N, T ≥ 2] or [B, S, T ≥ 2], got ${labels.dtype} [${labels.shape.join(', ')}]`,
    );
  }
  const rows = labels.size / width;
  if (labels.rank === 3) {
    const flat = tf.reshape(labels, [rows, width]);
    try {
      return teacherForcedPass(model, features, flat, options);
    } finally {
      flat.dispose();
    }
  }
  const images = features.att.shape[0] as number;
  if (images < 1 || rows % images !== 0) {
    throw new AoAInputError(
      where,
      'labels',
      `has ${rows} rows, not a multiple of the ${images} feature rows (captions per image must be equal)`,
    );
  }
  const labelValues = labels.dataSync() as Int32Array;
  const steps = teacherForcedSteps(labelValues, rows, width);
  const sampling = options.scheduledSampling;
  const ssProbability = model.training && sampling !== undefined ? sampling.probability : 0;
  if (!(ssProbability >= 0 && ssProbability <= 1)) {
    throw new AoAInputError(
      where,
      'options.scheduledSampling.probability',
      `must be in [0, 1], got ${String(ssProbability)}`,
    );
  }
  const output = options.output ?? 'logprobs';
  if (output !== 'logprobs' && output !== 'logits')
    throw new AoAInputError(where, 'options.output', `must be 'logprobs' or 'logits', got ${String(output)}`);
  const product = options.stepProduct ?? tallGradientProduct;
  return tf.tidy(() => {
    const memory = repeatMemory(model.memoryOf(model.encode(features, product)), rows / images);
    if (ssProbability === 0) {
      // All inputs are known: embed them in one call, unroll the recurrence, then the logits in one product.
      const words = model.embed.apply(tf.slice(labels, [0, 0], [rows, steps]));
      const hidden = model.core.unroll(words, memory, product);
      const logits = logitsOf(model, hidden, product(model.logit.weight));
      return padSteps(output === 'logits' ? logits : tf.logSoftmax(logits), width - 1) as tf.Tensor3D;
    }
    const rng = (sampling as ScheduledSampling).rng;
    const step = model.core.stepper(memory, product);
    const logitProduct = product(model.logit.weight);
    const lookup = tallGradientLookup(wordTable(model));
    let state: AoADecoderState | null = null;
    const outputs: tf.Tensor[] = [];
    let previous: tf.Tensor | null = null;
    for (let t = 0; t < steps; t++) {
      const tokens = labelValues.filter((_, i) => i % width === t);
      const input =
        previous === null ? tf.tensor1d(tokens, 'int32') : scheduledInputs(tokens, previous, ssProbability, rng);
      const next = step(embedWith(model, input, lookup), state);
      state = next.state;
      const logits = logitsOf(model, next.output, logitProduct);
      previous = tf.logSoftmax(logits);
      outputs.push(output === 'logits' ? logits : previous);
    }
    return padSteps(tf.stack(outputs, 1), width - 1) as tf.Tensor3D;
  });
}

/**
 * {@link AoAModel.samplingSteps}: the scores (logits) of each step of a self-critical sampling run, for
 * core's `sampleWithLogprobs`: the image side once per image, its mean feature repeated per sample, the
 * per-step weights multiplied through `product`, the words looked up with one table gradient.
 */
export function samplingStepsOf(
  model: AoAModel,
  features: AoAFeatures,
  samplesPerImage: number,
  product: StepProduct = tallGradientProduct,
): SamplingSteps {
  const memory = repeatMemory(model.memoryOf(model.encode(features, product)), samplesPerImage);
  const step = model.core.stepper(memory, product);
  const logitProduct = product(model.logit.weight);
  const lookup = tallGradientLookup(wordTable(model));
  let state: AoADecoderState | null = null;
  return {
    rows: memory.meanFeats.shape[0] as number,
    next(tokens) {
      const next = step(embedWith(model, tf.tensor1d(tokens, 'int32'), lookup), state);
      state = next.state;
      return logitsOf(model, next.output, logitProduct) as tf.Tensor2D;
    },
  };
}

/** The word embedding table `E` (`embed.0.weight`). */
function wordTable(model: AoAModel): tf.Variable {
  return (model.embed.get(0) as unknown as Embedding).weight;
}

/**
 * `Dropout(ReLU(E[ids]))` (the `embed` block) with the table lookup done by `lookup` (see {@link tallGradientLookup}).
 */
function embedWith(model: AoAModel, ids: tf.Tensor, lookup: (ids: tf.Tensor) => tf.Tensor): tf.Tensor {
  const [, relu, dropout] = model.embed.toArray() as [
    unknown,
    { apply(x: tf.Tensor): tf.Tensor },
    { apply(x: tf.Tensor): tf.Tensor },
  ];
  return dropout.apply(relu.apply(lookup(ids)));
}

/** `logit(x)` for `x` `[..., d]`, with `x·Wᵀ` computed by `times` (a {@link StepProduct} of the logit weight). */
function logitsOf(model: AoAModel, x: tf.Tensor, times: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const bias = model.logit.bias;
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, model.config.rnnSize]);
  const projected = bias === null ? times(flat) : tf.add(times(flat), bias);
  return x.rank === 2 ? projected : tf.reshape(projected, [...x.shape.slice(0, -1), model.vocabSize]);
}

/** Steps the reference's teacher-forcing loop runs: up to the first i ≥ 1 whose column is all zero. */
function teacherForcedSteps(labels: Int32Array, rows: number, width: number): number {
  for (let i = 1; i < width - 1; i++) {
    let any = false;
    for (let r = 0; r < rows && !any; r++) any = labels[r * width + i] !== 0;
    if (!any) return i;
  }
  return width - 1;
}

/** `t` `[B, ...]` with each row repeated `times` times in place (rows 0,0,…,1,1,…), differentiable. */
function repeatRows(t: tf.Tensor, times: number): tf.Tensor {
  if (times === 1) return t;
  const [rows, ...rest] = t.shape as number[];
  return tf.reshape(tf.broadcastTo(tf.expandDims(t, 1), [rows as number, times, ...rest]), [
    (rows as number) * times,
    ...rest,
  ]);
}

/** The memory of images for their `times` captions each: the mean feature repeated, keys and values shared. */
function repeatMemory(memory: DecoderMemory, times: number): DecoderMemory {
  return { ...memory, meanFeats: repeatRows(memory.meanFeats, times) };
}

/** `[N, S, V]` padded with exact zeros to `[N, total, V]` (the steps after the loop stopped). */
function padSteps(logprobs: tf.Tensor, total: number): tf.Tensor {
  const [rows, steps, classes] = logprobs.shape as [number, number, number];
  if (steps === total) return logprobs;
  return tf.concat([logprobs, tf.zeros([rows, total - steps, classes])], 1);
}

/**
 * The inputs of one scheduled-sampling step: each row keeps its ground-truth token, or with probability
 * `p` takes a word drawn from `exp(previous)` (the previous step's log-probs, not differentiated).
 */
function scheduledInputs(tokens: Int32Array, previous: tf.Tensor, p: number, rng: Random): tf.Tensor1D {
  const classes = previous.shape[1] as number;
  const logprobs = previous.dataSync() as Float32Array;
  const out = Int32Array.from(tokens);
  for (let r = 0; r < tokens.length; r++) {
    if (rng.next() < p) out[r] = drawCategorical(logprobs.subarray(r * classes, (r + 1) * classes), rng);
  }
  return tf.tensor1d(out, 'int32');
}
