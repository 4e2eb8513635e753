/**
 * The model-agnostic decoding contract: a captioner exposes `prepare` (image side, once per image) and
 * `step` (one word for every row), and every decoder in this folder (greedy, sampling, beam search,
 * ensembles) works on that alone.
 *
 * Every tensor of a {@link DecoderState} has its batch (row) axis first, so a decoder can repeat rows
 * (one image → several beams or samples) and re-select rows (beams forking) with `tf.gather` on axis 0,
 * without knowing what the tensors mean.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The token conventions of a vocabulary. The reference (AoANet, ImageCaptioning.pytorch) uses 0 for all three. */
export interface SpecialTokens {
  /** Fed as the first input of every row. */
  bos: number;
  /** Ends a caption (a row that emits it is finished). */
  eos: number;
  /** Written after the end of a caption and fed to finished rows. */
  pad: number;
}

/** The reference's convention: index 0 is BOS, EOS and padding at once. */
export const REFERENCE_SPECIAL_TOKENS: Readonly<SpecialTokens> = Object.freeze({ bos: 0, eos: 0, pad: 0 });

/**
 * What a {@link CaptionModel} computes once per image and carries from step to step. Every tensor has the
 * rows (images, or image × beam / sample) on axis 0.
 */
export interface DecoderState {
  /**
   * Per-row constants computed by `prepare` (refined region features, their projections, masks...). A
   * decoder repeats these rows when it expands images to beams or samples, and never re-orders them within
   * an image, so `step` can rely on them being aligned with `recurrent`.
   */
  readonly context: readonly tf.Tensor[];
  /** Recurrent tensors (LSTM `h`, `c`, the previous attention context...) that `step` replaces. */
  readonly recurrent: readonly tf.Tensor[];
}

/** The result of one decoding step. */
export interface DecoderStepOutput {
  /** `[rows, vocabSize]` log-probabilities (a `log_softmax` output) of the next token of every row. */
  logprobs: tf.Tensor2D;
  /** The new recurrent tensors, same count and order as the input's `recurrent`, rows on axis 0. */
  recurrent: tf.Tensor[];
}

/**
 * The per-step scores of one sampling run, the part of `sampleWithLogprobs` a model may do its own
 * way (e.g. the image side once per image, weights multiplied once for all steps).
 */
export interface SamplingSteps {
  /** Rows: images × samples per image, an image's samples consecutive. */
  readonly rows: number;
  /**
   * `[rows, vocabSize]` logits or log-probabilities (any additive constant per row) of the word after
   * `tokens` (the previous words, BOS at the first call), differentiable.
   */
  next(tokens: Int32Array): tf.Tensor2D;
}

/**
 * A captioner as the decoders see it.
 *
 * Ownership: `step` must not dispose its inputs. Decoders call `prepare` and `step` under `tf.tidy` (so
 * intermediate tensors are freed) and keep clones of what they return (`clone` shares the data), so a
 * model may return its inputs, the caller's features or its own constant tensors unchanged: the decoder
 * disposes only its clones.
 *
 * @typeParam Features whatever `prepare` takes (region features and masks, pixel tensors, ...)
 * @example
 * ```ts
 * const model: CaptionModel<tf.Tensor2D> = {
 *   vocabSize: 10,
 *   prepare: (features) => ({ context: [features], recurrent: [tf.zerosLike(features)] }),
 *   step: ({ context, recurrent }, tokens) => {
 *     const h = tf.tanh(tf.add(recurrent[0]!, context[0]!));
 *     return { logprobs: tf.logSoftmax(tf.matMul(h, weights)), recurrent: [h] };
 *   },
 * };
 * ```
 */
export interface CaptionModel<Features = unknown> {
  /** Number of log-probability columns (the reference's `vocab_size + 1`: index 0 is the end token). */
  readonly vocabSize: number;
  /** Token conventions; {@link REFERENCE_SPECIAL_TOKENS} (all 0) when absent. */
  readonly specialTokens?: Readonly<SpecialTokens>;
  /** The image side, run once: one row per image in `features`. */
  prepare(features: Features): DecoderState;
  /** One decoding step: `tokens` (int32, one per row) are the previous words. */
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput;
  /**
   * Optional faster pass for `sampleWithLogprobs` (self-critical training), which otherwise repeats the
   * prepared rows per sample and calls `step`: the scores of each step, `samplesPerImage` rows per image.
   */
  samplingSteps?(features: Features, samplesPerImage: number): SamplingSteps;
}

/** A decoded batch: one caption per row, padded to `maxLength`. */
export interface DecodedSequences {
  /** Number of rows (images, or images × samples). */
  rows: number;
  /** Columns of `tokens` and `logprobs`. */
  maxLength: number;
  /** `[rows, maxLength]` row-major token ids; the end token, then `pad`, after each caption. */
  tokens: Int32Array;
  /** `[rows, maxLength]` the log-probability recorded for each decision (see each decoder's documentation). */
  logprobs: Float32Array;
}

/** A decoding run that cannot continue: bad options, a model whose output does not fit, or NaN log-probs. */
export class DecodingError extends Error {
  /** @param message what is wrong, naming the decoder or model function, the option and the value */
  constructor(message: string) {
    super(message);
    this.name = 'DecodingError';
  }
}

/**
 * The tokens of one row up to, not including, its end token (or all `maxLength` when it has none).
 *
 * @example
 * ```ts
 * const words = captionTokens(greedyDecode(model, feats), 0).map((id) => ixToWord[id]);
 * ```
 */
export function captionTokens(decoded: DecodedSequences, row: number, eos = 0): number[] {
  if (!Number.isInteger(row) || row < 0 || row >= decoded.rows) {
    throw new DecodingError(`captionTokens: row ${row} is outside 0..${decoded.rows - 1}`);
  }
  const out: number[] = [];
  for (let t = 0; t < decoded.maxLength; t++) {
    const token = decoded.tokens[row * decoded.maxLength + t] as number;
    if (token === eos) break;
    out.push(token);
  }
  return out;
}

/** The model's special tokens, defaulting to the reference's. */
export function specialTokensOf(model: CaptionModel<unknown>): SpecialTokens {
  return { ...REFERENCE_SPECIAL_TOKENS, ...(model.specialTokens ?? {}) };
}

/** Number of rows of a decoder state, checking that every tensor agrees. */
export function stateRows(state: DecoderState, where: string): number {
  const all = [...state.context, ...state.recurrent];
  const first = all[0];
  if (first === undefined)
    throw new DecodingError(`${where}: the decoder state has no tensors, so its row count is unknown`);
  const rows = first.shape[0];
  if (rows === undefined) throw new DecodingError(`${where}: decoder state tensors need a row axis (got a scalar)`);
  all.forEach((t, i) => {
    if (t.shape[0] !== rows) {
      throw new DecodingError(
        `${where}: decoder state tensor ${i} has ${String(t.shape[0])} rows, expected ${rows} (rows go on axis 0)`,
      );
    }
  });
  return rows;
}

/** Disposes every tensor of `old` that does not also appear in `keep` (by identity). */
export function disposeReplaced(old: readonly tf.Tensor[], keep: readonly tf.Tensor[]): void {
  const kept = new Set(keep);
  for (const t of old) if (!kept.has(t)) t.dispose();
}

/** Disposes a whole decoder state. */
export function disposeState(state: DecoderState): void {
  const seen = new Set<tf.Tensor>();
  for (const t of [...state.context, ...state.recurrent]) {
    if (!seen.has(t)) t.dispose();
    seen.add(t);
  }
}

/** `prepare` under `tf.tidy`, validated; the state holds clones the decoder owns. */
export function prepareState<F>(
  model: CaptionModel<F>,
  features: F,
  where: string,
): { state: DecoderState; rows: number } {
  const out = tf.tidy(() => {
    const s = model.prepare(features);
    return { context: s.context.map((t) => t.clone()), recurrent: s.recurrent.map((t) => t.clone()) };
  });
  const state: DecoderState = out;
  return { state, rows: stateRows(state, `${where}: prepare()`) };
}

/**
 * Rows gathered from `tensors` along axis 0 (new tensors; the inputs are untouched).
 *
 * @param indices for each output row, the input row it copies
 */
export function gatherRows(tensors: readonly tf.Tensor[], indices: Int32Array): tf.Tensor[] {
  return tf.tidy(() => {
    const idx = tf.tensor1d(indices, 'int32');
    return tensors.map((t) => tf.gather(t, idx, 0));
  });
}

/** Row indices that repeat each of `rows` rows `times` times in place (`0,0,1,1,...`), as `repeat_tensors`. */
export function repeatIndices(rows: number, times: number): Int32Array {
  const out = new Int32Array(rows * times);
  for (let r = 0; r < rows; r++) out.fill(r, r * times, (r + 1) * times);
  return out;
}

/**
 * Runs `model.step` under `tf.tidy`, checks its output and returns the log-probabilities read back as a
 * fresh `Float32Array` (row-major `[rows, vocabSize]`) together with the new recurrent tensors. The old
 * recurrent tensors that the step replaced are disposed unless `keepOld` is set.
 *
 * @param transform optional on-device transform of the log-probabilities before they are read
 * @param keepOld leave the input's recurrent tensors alive (the caller still needs them)
 */
export function runStep<F>(
  model: CaptionModel<F>,
  state: DecoderState,
  tokens: Int32Array,
  where: string,
  transform?: (logprobs: tf.Tensor2D) => tf.Tensor2D,
  keepOld = false,
): { logprobs: Float32Array; recurrent: tf.Tensor[] } {
  const rows = tokens.length;
  const out = tf.tidy(() => {
    const r = model.step(state, tf.tensor1d(tokens, 'int32'));
    const lp = transform === undefined ? r.logprobs.clone() : transform(r.logprobs);
    return { logprobs: lp, recurrent: r.recurrent.map((t) => t.clone()) };
  });
  const { logprobs, recurrent } = out;
  if (logprobs.rank !== 2 || logprobs.shape[0] !== rows || logprobs.shape[1] !== model.vocabSize) {
    const shape = logprobs.shape.join(', ');
    logprobs.dispose();
    disposeReplaced(recurrent, []);
    throw new DecodingError(
      `${where}: step() returned log-probs of shape [${shape}], expected [${rows}, ${model.vocabSize}]`,
    );
  }
  if (recurrent.length !== state.recurrent.length) {
    logprobs.dispose();
    disposeReplaced(recurrent, []);
    throw new DecodingError(
      `${where}: step() returned ${recurrent.length} recurrent tensors, expected ${state.recurrent.length}`,
    );
  }
  const values = Float32Array.from(logprobs.dataSync() as Float32Array);
  logprobs.dispose();
  if (!keepOld) disposeReplaced(state.recurrent, [...recurrent, ...state.context]);
  return { logprobs: values, recurrent };
}

/** Throws a {@link DecodingError} naming the step and row when a row of log-probabilities holds NaN. */
export function assertNoNaN(row: Float32Array, step: number, rowIndex: number, where: string): void {
  for (let i = 0; i < row.length; i++) {
    if (Number.isNaN(row[i] as number)) {
      throw new DecodingError(
        `${where}: the model returned NaN log-probabilities at step ${step}, row ${rowIndex}, token ${i}`,
      );
    }
  }
}
