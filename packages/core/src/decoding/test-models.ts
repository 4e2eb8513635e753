/**
 * Small captioners for the decoding tests (not exported from the package): a seeded recurrent toy model
 * over raw tensors that satisfies {@link CaptionModel}, plus a row-by-row scorer for exhaustive checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../random';
import type { CaptionModel, DecoderState, DecoderStepOutput } from './caption-model';

function uniform(shape: number[], rng: Random, scale: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = (2 * rng.next() - 1) * scale;
  return tf.tensor(values, shape, 'float32');
}

/** Options of {@link ToyCaptionModel}. */
export interface ToyModelOptions {
  vocabSize: number;
  hidden?: number;
  featureSize?: number;
  /** Multiplies the logits: large values give peaked, nearly deterministic distributions. */
  sharpness?: number;
  seed?: number;
}

/**
 * `h' = tanh(h·W + E[token] + f·U)`, `logprobs = log_softmax(sharpness · h'·O + b)`, with `f` the image
 * features. Its state depends on the whole history, so beam and greedy decoding are genuinely different.
 */
export class ToyCaptionModel implements CaptionModel<tf.Tensor2D> {
  readonly vocabSize: number;
  readonly hidden: number;
  readonly featureSize: number;
  private readonly weights: tf.Tensor[];

  constructor(options: ToyModelOptions) {
    const rng = new Random(options.seed ?? 1);
    this.vocabSize = options.vocabSize;
    this.hidden = options.hidden ?? 8;
    this.featureSize = options.featureSize ?? 6;
    const H = this.hidden;
    const s = options.sharpness ?? 1;
    this.weights = [
      uniform([H, H], rng, 1.2),
      uniform([this.vocabSize, H], rng, 1.5),
      uniform([this.featureSize, H], rng, 1),
      tf.mul(uniform([H, this.vocabSize], rng, 1.5), s),
      uniform([1, this.vocabSize], rng, 0.5),
    ];
  }

  /** Random image features for `images` images. */
  features(images: number, seed = 5): tf.Tensor2D {
    return uniform([images, this.featureSize], new Random(seed), 1) as tf.Tensor2D;
  }

  prepare(features: tf.Tensor2D): DecoderState {
    const [, , U] = this.weights as [tf.Tensor, tf.Tensor, tf.Tensor];
    const rows = features.shape[0];
    return { context: [tf.matMul(features, U as tf.Tensor2D)], recurrent: [tf.zeros([rows, this.hidden])] };
  }

  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    const [W, E, , O, b] = this.weights as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const h = state.recurrent[0] as tf.Tensor2D;
    const ctx = state.context[0] as tf.Tensor2D;
    const next = tf.tanh(tf.add(tf.add(tf.matMul(h, W), tf.gather(E, tokens)), ctx)) as tf.Tensor2D;
    const logprobs = tf.logSoftmax(tf.add(tf.matMul(next, O), b)) as tf.Tensor2D;
    return { logprobs, recurrent: [next] };
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
  }
}

/**
 * Log-probs (float32 values, summed in float64) of every complete caption of one image: every sequence of
 * non-end words followed by the end token, and every `maxLength`-word sequence without it. Exhaustive:
 * only for tiny vocabularies.
 */
export function enumerateCaptions(
  model: CaptionModel<tf.Tensor2D>,
  features: tf.Tensor2D,
  maxLength: number,
  eos = 0,
): Array<{ tokens: number[]; score: number }> {
  const out: Array<{ tokens: number[]; score: number }> = [];
  const prepared = model.prepare(features);
  const visit = (recurrent: tf.Tensor[], input: number, prefix: number[], score: number): void => {
    const step = tf.tidy(() => {
      const r = model.step({ context: prepared.context, recurrent }, tf.tensor1d([input], 'int32'));
      return { lp: r.logprobs, rec: r.recurrent };
    });
    const lp = step.lp.dataSync();
    step.lp.dispose();
    for (let w = 0; w < model.vocabSize; w++) {
      const s = score + (lp[w] as number);
      const tokens = [...prefix, w];
      if (w === eos || tokens.length === maxLength) out.push({ tokens, score: s });
      else visit(step.rec, w, tokens, s);
    }
    for (const t of step.rec) t.dispose();
  };
  visit([...prepared.recurrent], 0, [], 0);
  for (const t of [...prepared.context, ...prepared.recurrent]) t.dispose();
  return out;
}
