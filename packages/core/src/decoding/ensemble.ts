/**
 * Ensembles of captioners decoded as one model: the next-word distribution is the weighted mean of the
 * members' probabilities (ImageCaptioning.pytorch `AttEnsemble.get_logprobs_state`:
 * `log(Σ wᵢ softmax(logitᵢ) / Σ wᵢ)`), computed stably as `logsumexp(logprobᵢ + log wᵢ) − log Σ wᵢ`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type CaptionModel,
  DecodingError,
  type DecoderState,
  type DecoderStepOutput,
  type SpecialTokens,
} from './caption-model';

/**
 * A {@link CaptionModel} that runs several models side by side and averages their probabilities. Its
 * state is the concatenation of the members' states (each member's tensors keep their own shapes), so
 * every decoder (greedy, sampling, beam search) works on it unchanged.
 *
 * One model is accepted too (with any positive weight it decodes exactly like that model, up to float
 * rounding of the weight's logarithm), so code that ensembles a list of checkpoints needs no special case
 * for a list of one.
 *
 * The members must share the vocabulary and special tokens. Each member's `prepare` must return the same
 * number of context and recurrent tensors for every batch (the split is taken from the last `prepare`).
 *
 * @example
 * ```ts
 * const ensemble = new EnsembleCaptionModel([modelA, modelB], { weights: [2, 1] });
 * const out = beamSearch(ensemble, features, { beamSize: 3 });
 * ```
 */
export class EnsembleCaptionModel<F> implements CaptionModel<F> {
  /** The members' common vocabulary size (rows of every step's log-probs are this wide). */
  readonly vocabSize: number;
  /** The members' common special tokens (model 0's, absent when model 0 gives none). */
  readonly specialTokens?: Readonly<SpecialTokens>;
  private readonly models: readonly CaptionModel<F>[];
  private readonly logWeights: number[];
  private readonly logWeightSum: number;
  private splits: Array<{ context: number; recurrent: number }> = [];

  /**
   * @param models one or more captioners over the same vocabulary and special tokens
   * @param options `weights`: one weight per model (default: equal)
   * @throws {DecodingError} for an empty list, members whose vocabulary size or special tokens differ, or bad weights
   */
  constructor(
    models: readonly CaptionModel<F>[],
    options: {
      /** One finite, non-negative weight per model, not all 0 (normalised by their sum); default all 1. */
      weights?: readonly number[];
    } = {},
  ) {
    const first = models[0];
    if (first === undefined)
      throw new DecodingError('EnsembleCaptionModel: needs at least one model, got an empty list');
    for (const [i, m] of models.entries()) {
      if (m.vocabSize !== first.vocabSize) {
        throw new DecodingError(
          `EnsembleCaptionModel: model ${i} has vocabSize ${m.vocabSize}, model 0 has ${first.vocabSize}`,
        );
      }
      const a = JSON.stringify(m.specialTokens ?? null);
      const b = JSON.stringify(first.specialTokens ?? null);
      if (a !== b)
        throw new DecodingError(`EnsembleCaptionModel: model ${i} has special tokens ${a}, model 0 has ${b}`);
    }
    const weights = options.weights ?? models.map(() => 1);
    if (
      weights.length !== models.length ||
      weights.some((w) => !(w >= 0) || !Number.isFinite(w)) ||
      !weights.some((w) => w > 0)
    ) {
      throw new DecodingError(
        `EnsembleCaptionModel: weights must be ${models.length} finite non-negative ` +
          `numbers, not all 0; got [${weights.join(', ')}]`,
      );
    }
    this.models = [...models];
    this.vocabSize = first.vocabSize;
    if (first.specialTokens !== undefined) this.specialTokens = first.specialTokens;
    this.logWeights = weights.map((w) => Math.log(w));
    this.logWeightSum = Math.log(weights.reduce((a, b) => a + b, 0));
  }

  /** Runs every member's `prepare` and concatenates their states. */
  prepare(features: F): DecoderState {
    const states = this.models.map((m) => m.prepare(features));
    this.splits = states.map((s) => ({ context: s.context.length, recurrent: s.recurrent.length }));
    return { context: states.flatMap((s) => [...s.context]), recurrent: states.flatMap((s) => [...s.recurrent]) };
  }

  /** Steps every member on its part of the state and averages the probabilities. */
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    const totalContext = this.splits.reduce((n, s) => n + s.context, 0);
    const totalRecurrent = this.splits.reduce((n, s) => n + s.recurrent, 0);
    if (
      this.splits.length === 0 ||
      state.context.length !== totalContext ||
      state.recurrent.length !== totalRecurrent
    ) {
      throw new DecodingError(
        `EnsembleCaptionModel.step: ` +
          `the state has ${state.context.length} context and ${state.recurrent.length} recurrent tensors, ` +
          `but the last prepare() made ${totalContext} and ${totalRecurrent}`,
      );
    }
    let c = 0;
    let r = 0;
    const logprobs: tf.Tensor2D[] = [];
    const recurrent: tf.Tensor[] = [];
    this.models.forEach((m, i) => {
      const split = this.splits[i] as { context: number; recurrent: number };
      const own: DecoderState = {
        context: state.context.slice(c, c + split.context),
        recurrent: state.recurrent.slice(r, r + split.recurrent),
      };
      c += split.context;
      r += split.recurrent;
      const out = m.step(own, tokens);
      logprobs.push(tf.add(out.logprobs, this.logWeights[i] as number));
      recurrent.push(...out.recurrent);
    });
    const mixed = tf.sub(tf.logSumExp(tf.stack(logprobs, 0), 0), this.logWeightSum) as tf.Tensor2D;
    return { logprobs: mixed, recurrent };
  }
}
