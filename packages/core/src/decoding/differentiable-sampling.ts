/**
 * Captions sampled with their log-probabilities kept on the tape, for self-critical training: the
 * reference's `AttModel._sample` run under autograd, so the gradient sees the dropout masks the words were
 * drawn under. Works for any {@link CaptionModel} through `prepare` / `step`; a model may offer a faster
 * pass ({@link CaptionModel.samplingSteps}) and the loop, the draws and the bookkeeping stay here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sparseSoftmaxCrossEntropy } from '../backend/ops/sparse-softmax-cross-entropy';
import type { Random } from '../random';
import {
  type CaptionModel,
  DecodingError,
  repeatIndices,
  type SamplingSteps,
  specialTokensOf,
  stateRows,
} from './caption-model';
import { argMax, drawCategorical } from './categorical';

/** Options of {@link sampleWithLogprobs}. */
export interface DifferentiableSampleOptions {
  /** `'sample'` (default): draw from the model's distribution; `'greedy'`: the most likely word (first on ties). */
  method?: 'sample' | 'greedy';
  /** Source of the draws (required for `'sample'`); one number per row and step, its state advances. */
  rng?: Random;
  /** Captions per image (the reference's `seq_per_img`); an image's samples are consecutive rows. Default 1. */
  samplesPerImage?: number;
  /** Steps at most (the reference's `max_length`). Default 20. */
  maxLength?: number;
  /** Words are drawn from `softmax(scores / temperature)`; the kept log-prob is the untempered one. Default 1. */
  temperature?: number;
}

/** Sampled captions with differentiable log-probs ({@link sampleWithLogprobs}). */
export interface DifferentiableSamples {
  /** Number of captions (images × samples per image). */
  rows: number;
  /** Columns of `tokens` and `logprobs`. */
  maxLength: number;
  /** `[rows, maxLength]` row-major token ids; the end token, then `pad`, after each caption. */
  tokens: Int32Array;
  /** `[rows, maxLength]` log-prob of each drawn word (differentiable), 0 after the loop stopped. */
  logprobs: tf.Tensor2D;
}

/** The steps of a sampling run through `prepare` (rows repeated per sample) and `step`. */
function captionModelSteps<F>(model: CaptionModel<F>, features: F, samplesPerImage: number): SamplingSteps {
  const prepared = model.prepare(features);
  const images = stateRows(prepared, 'sampleWithLogprobs: prepare()');
  const index = samplesPerImage === 1 ? null : tf.tensor1d(repeatIndices(images, samplesPerImage), 'int32');
  const repeat = (ts: readonly tf.Tensor[]): tf.Tensor[] =>
    index === null ? [...ts] : ts.map((t) => tf.gather(t, index));
  const context = repeat(prepared.context);
  let recurrent = repeat(prepared.recurrent);
  return {
    rows: images * samplesPerImage,
    next(tokens) {
      const out = model.step({ context, recurrent }, tf.tensor1d(tokens, 'int32'));
      recurrent = out.recurrent;
      return out.logprobs;
    },
  };
}

/**
 * Draws `samplesPerImage` captions per image (or takes the greedy ones) and keeps each drawn word's
 * log-probability on the tape: `log_softmax(scores)[word]`, gathered before finished rows get `pad`, as the
 * reference. A row finishes after its end token; the loop stops when every row has. Draws are made in
 * JavaScript from `rng` (backend-independent). Call it inside the differentiated function. Feed the result
 * to `selfCriticalLoss` with `tokens`, or use `selfCriticalStep`.
 *
 * @example
 * ```ts
 * const { loss, grads } = computeGradients(model, () => {
 *   const s = sampleWithLogprobs(model, features, { rng, samplesPerImage: 5 });
 *   const seq = tf.tensor2d(s.tokens, [s.rows, s.maxLength], 'int32');
 *   return selfCriticalLoss(s.logprobs, seq, tf.tensor1d(advantages));
 * });
 * ```
 */
export function sampleWithLogprobs<F>(
  model: CaptionModel<F>,
  features: F,
  options: DifferentiableSampleOptions = {},
): DifferentiableSamples {
  const where = 'sampleWithLogprobs';
  const method = options.method ?? 'sample';
  const perImage = options.samplesPerImage ?? 1;
  const maxLength = options.maxLength ?? 20;
  const temperature = options.temperature ?? 1;
  if (method !== 'sample' && method !== 'greedy')
    throw new DecodingError(`${where}: method must be 'sample' or 'greedy', got ${String(method)}`);
  const rng = options.rng;
  if (method === 'sample' && rng === undefined) throw new DecodingError(`${where}: rng is required for sampling`);
  if (!Number.isInteger(perImage) || perImage < 1)
    throw new DecodingError(`${where}: samplesPerImage must be a positive integer, got ${perImage}`);
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new DecodingError(`${where}: maxLength must be a positive integer, got ${maxLength}`);
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new DecodingError(`${where}: temperature must be a positive number, got ${temperature}`);
  // tidy: only the returned log-probs outlive the call (a gradient scope keeps what its tape needs)
  return tf.tidy(() => sampleLoop(model, features, method, rng, perImage, maxLength, temperature) as never);
}

function sampleLoop<F>(
  model: CaptionModel<F>,
  features: F,
  method: 'sample' | 'greedy',
  rng: Random | undefined,
  perImage: number,
  maxLength: number,
  temperature: number,
): DifferentiableSamples {
  const where = 'sampleWithLogprobs';
  const { bos, eos, pad } = specialTokensOf(model);
  const classes = model.vocabSize;
  const steps = model.samplingSteps?.(features, perImage) ?? captionModelSteps(model, features, perImage);
  const rows = steps.rows;
  const tokens = new Int32Array(rows * maxLength).fill(pad);
  const unfinished = new Uint8Array(rows).fill(1);
  const picked: tf.Tensor[] = [];
  const tempered = new Float32Array(classes);
  const scratch = new Float64Array(classes);
  let input = new Int32Array(rows).fill(bos);
  for (let t = 0; t < maxLength; t++) {
    const scores = steps.next(input);
    if (scores.rank !== 2 || scores.shape[0] !== rows || scores.shape[1] !== classes) {
      throw new DecodingError(
        `${where}: step ${t} gave scores of shape [${scores.shape.join(', ')}], expected [${rows}, ${classes}]`,
      );
    }
    const values = scores.dataSync() as Float32Array;
    // fresh arrays each step: a tensor made from a typed array may share its memory, and the tape keeps it
    const drawn = new Int32Array(rows);
    const next = new Int32Array(rows);
    let open = 0;
    for (let r = 0; r < rows; r++) {
      const row = values.subarray(r * classes, (r + 1) * classes);
      let word: number;
      if (method === 'greedy') word = argMax(row);
      else if (temperature === 1) word = drawCategorical(row, rng as Random, scratch);
      else {
        for (let i = 0; i < classes; i++) tempered[i] = (row[i] as number) / temperature;
        word = drawCategorical(tempered, rng as Random, scratch);
      }
      drawn[r] = word;
      const token = unfinished[r] === 1 ? word : pad;
      if (token === eos) unfinished[r] = 0;
      tokens[r * maxLength + t] = token;
      next[r] = token;
      open += unfinished[r] as number;
    }
    // log p(w) = score_w − logsumexp(scores), exact for logits and for log-probs alike: the negated fused
    // softmax cross-entropy (one kernel each way instead of a gather and logsumexp's chain)
    picked.push(tf.neg(sparseSoftmaxCrossEntropy(scores as tf.Tensor2D, tf.tensor1d(drawn, 'int32'))));
    input = next;
    if (open === 0) break;
  }
  const logprobs = tf.stack(picked, 1);
  const padded =
    picked.length === maxLength ? logprobs : tf.concat([logprobs, tf.zeros([rows, maxLength - picked.length])], 1);
  return { rows, maxLength, tokens, logprobs: padded as tf.Tensor2D };
}
