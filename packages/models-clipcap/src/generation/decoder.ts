/**
 * A ClipCap captioner as core's decoding `CaptionModel`: `prepare` maps CLIP embeddings to the prefix and runs the
 * GPT over it once (filling the key/value cache), `step` feeds one token per row and returns the next token's
 * log-probabilities. Greedy, sampling (top-k/top-p), ClipCap's beam search and ensembles then all work on it.
 *
 * The first step has no token: ClipCap predicts the first caption token from the prefix's last position. The
 * decoder therefore keeps the prefix's last slot out of the cache and feeds it at the first step, when the token
 * is {@link PREFIX_SLOT_TOKEN} (core's decoders feed `specialTokens.bos` first): one batched embedding lookup with a
 * row-wise choice, no branch on the data. With the cache, one step is one position through the GPT (one batched
 * matmul chain); without it (`useCache: false`, as ClipCap's `generate2`/`generate_beam` do), every step re-runs
 * the GPT over the whole sequence.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CaptionModel, DecoderState, DecoderStepOutput, SpecialTokens } from '@caption/core';
import type { ClipCapModel } from '../clipcap/captioner';
import { ClipCapConfigError } from '../clipcap/errors';
import type { GPT2LayerCache } from '../gpt2/gpt2';

/** The token that stands for "no token yet: feed the prefix's last slot" (never a real id). */
export const PREFIX_SLOT_TOKEN = -1;

/** Options of {@link ClipCapDecoder}. */
export interface ClipCapDecoderOptions {
  /**
   * The token that ends a caption (ClipCap: `'.'`, GPT-2 id 13); it is part of the caption. Default none: captions
   * run to the maximum length.
   */
  stopToken?: number;
  /** Keep each layer's keys and values between steps (default true); false re-runs the whole sequence each step. */
  useCache?: boolean;
  /** Logits are divided by this before the softmax (ClipCap's `temperature`, default 1). */
  temperature?: number;
}

/**
 * {@link ClipCapModel} as a core `CaptionModel<tf.Tensor2D>` whose features are CLIP embeddings `[images, prefixSize]`.
 * Its special tokens are `bos` = `pad` = {@link PREFIX_SLOT_TOKEN} and `eos` = the stop token (or −1), so decoded
 * rows are padded with −1, which no real token equals.
 *
 * @example
 * ```ts
 * const decoder = new ClipCapDecoder(model.eval(), { stopToken: 13 });
 * const captions = generateGreedy(decoder, clipEmbeddings, { maxLength: 67 });
 * ```
 */
export class ClipCapDecoder implements CaptionModel<tf.Tensor2D> {
  /** The GPT's vocabulary size. */
  readonly vocabSize: number;
  /** `{ bos: −1, eos: stopToken ?? −1, pad: −1 }`. */
  readonly specialTokens: Readonly<SpecialTokens>;
  private readonly useCache: boolean;
  private readonly temperature: number;

  /**
   * @param model the captioner (put it in eval mode for deterministic decoding)
   * @param options stop token, cache, temperature
   * @throws {ClipCapConfigError} for a stop token outside the vocabulary or a non-positive temperature
   */
  constructor(
    readonly model: ClipCapModel,
    options: ClipCapDecoderOptions = {},
  ) {
    this.vocabSize = model.config.gpt.vocabSize;
    const stop = options.stopToken;
    if (stop !== undefined && !(Number.isInteger(stop) && stop >= 0 && stop < this.vocabSize)) {
      throw new ClipCapConfigError('stopToken', `${stop} is outside the vocabulary 0..${this.vocabSize - 1}`);
    }
    this.temperature = options.temperature ?? 1;
    if (!(this.temperature > 0) || !Number.isFinite(this.temperature)) {
      throw new ClipCapConfigError('temperature', `must be a positive number, got ${this.temperature}`);
    }
    this.useCache = options.useCache ?? true;
    this.specialTokens = Object.freeze({ bos: PREFIX_SLOT_TOKEN, eos: stop ?? -1, pad: PREFIX_SLOT_TOKEN });
  }

  /**
   * The prefix of each image; with the cache, the GPT's keys and values over its first P−1 slots. State:
   * `context = [last prefix slot [rows, E]]`, `recurrent` = the cache (key, value per layer) or the sequence so far.
   */
  prepare(clipEmbeddings: tf.Tensor2D): DecoderState {
    const { prefixLength, gpt } = this.model.config;
    const prefix = this.model.prefixEmbeddings(clipEmbeddings);
    const rows = prefix.shape[0];
    const head = tf.slice(prefix, [0, 0, 0], [rows, prefixLength - 1, gpt.nEmbd]);
    const last = tf.reshape(tf.slice(prefix, [0, prefixLength - 1, 0], [rows, 1, gpt.nEmbd]), [rows, gpt.nEmbd]);
    if (!this.useCache) return { context: [last], recurrent: [head] };
    if (prefixLength === 1) {
      const empty = tf.zeros([rows, gpt.nHead, 0, gpt.nEmbd / gpt.nHead]);
      return { context: [last], recurrent: Array.from({ length: 2 * gpt.nLayer }, () => empty) };
    }
    const out = this.model.gpt.transformer.forward({ inputsEmbeds: head, useCache: true });
    return { context: [last], recurrent: out.presents!.flatMap((l) => [l.key, l.value]) };
  }

  /** Feeds one token per row (or the prefix's last slot for {@link PREFIX_SLOT_TOKEN}) and returns log-probabilities. */
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    const { gpt } = this.model;
    const [last] = state.context as [tf.Tensor2D];
    const isSlot = tf.less(tokens, 0);
    const words = gpt.transformer.embedTokens(tf.maximum(tokens, tf.scalar(0, 'int32')));
    const x = tf.expandDims(tf.where(tf.expandDims(isSlot, 1), last, words), 1) as tf.Tensor3D;
    let hidden: tf.Tensor3D;
    let recurrent: tf.Tensor[];
    if (this.useCache) {
      const past: GPT2LayerCache[] = [];
      for (let i = 0; i < state.recurrent.length; i += 2) {
        past.push({ key: state.recurrent[i] as tf.Tensor4D, value: state.recurrent[i + 1] as tf.Tensor4D });
      }
      const out = gpt.transformer.forward({ inputsEmbeds: x, past, useCache: true });
      hidden = out.lastHiddenState;
      recurrent = out.presents!.flatMap((l) => [l.key, l.value]);
    } else {
      const sequence = tf.concat([state.recurrent[0] as tf.Tensor3D, x], 1) as tf.Tensor3D;
      const all = gpt.transformer.forward({ inputsEmbeds: sequence }).lastHiddenState;
      const [rows, length, width] = all.shape;
      hidden = tf.slice(all, [0, length - 1, 0], [rows, 1, width]);
      recurrent = [sequence];
    }
    let logits = gpt.logitsOf(tf.squeeze(hidden, [1]));
    if (this.temperature !== 1) logits = tf.div(logits, this.temperature);
    return { logprobs: tf.logSoftmax(logits) as tf.Tensor2D, recurrent };
  }
}
