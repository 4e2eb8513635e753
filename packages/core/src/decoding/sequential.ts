/**
 * Greedy decoding and sampling: one word per row and step, as the reference's `AttModel._sample`
 * (husthuaan/AoANet; `sample_n` and top-k/top-p from ImageCaptioning.pytorch).
 *
 * The log-probabilities of every step are read back once (one `[rows, vocab]` copy) and the choice is
 * made in JavaScript, which makes the reference's tie-breaking (first index) and seeded sampling exact and
 * backend-independent.
 */
import type { Random } from '../random';
import {
  assertNoNaN,
  type CaptionModel,
  type DecodedSequences,
  DecodingError,
  type DecoderState,
  disposeState,
  gatherRows,
  prepareState,
  repeatIndices,
  runStep,
  specialTokensOf,
} from './caption-model';
import { argMax, drawCategorical, softmaxInto } from './categorical';
import {
  constrainRow,
  type ResolvedConstraints,
  resolveConstraints,
  type RowConstraintOptions,
  topKDescending,
} from './constraints';

/** Options shared by {@link greedyDecode} and {@link sampleDecode}. */
export interface SequentialDecodeOptions extends RowConstraintOptions {
  /** Maximum caption length in tokens, end token included (the reference's `max_length`, 20). */
  maxLength?: number;
}

/** Options of {@link sampleDecode}. */
export interface SampleOptions extends SequentialDecodeOptions {
  /** The seeded source of every draw; its state advances, so saving it in a checkpoint makes resumes exact. */
  rng: Random;
  /** Log-probabilities are divided by this before sampling (1: the model's distribution). */
  temperature?: number;
  /** Keep only the `topK` most likely words (the reference's `sample_method: 'top<k>'`). */
  topK?: number;
  /** Nucleus sampling: keep the smallest prefix of words whose probability reaches `topP` (0 < p < 1). */
  topP?: number;
  /**
   * Samples per image (the reference's `sample_n`): rows `i·n … i·n+n−1` of the result belong to image `i`.
   */
  samplesPerImage?: number;
}

type Picker = (row: Float32Array) => { token: number; logprob: number };

/**
 * Greedy decoding exactly as the reference's `AttModel._sample` with `sample_method: 'greedy'`:
 * the first input is BOS; each step takes the most likely word (the first index on ties); a row is
 * finished once it emits the end token, then gets `pad` and is fed `pad`; the loop stops when every row
 * is finished or after `maxLength` words.
 *
 * `logprobs` holds the chosen word's (constrained) log-probability; for a finished row it keeps the
 * **non-zero** maximum log-prob of continuing from the `pad` input until the whole batch has finished
 * (the reference's behaviour), and is 0 after the loop stopped. No UNK suppression unless `unkToken` is
 * given.
 *
 * @example
 * ```ts
 * model.eval();
 * const out = greedyDecode(model, features, { maxLength: 20 });
 * const first = captionTokens(out, 0); // token ids of image 0, without the end token
 * ```
 */
export function greedyDecode<F>(
  model: CaptionModel<F>,
  features: F,
  options: SequentialDecodeOptions = {},
): DecodedSequences {
  const pick: Picker = (row) => {
    const token = argMax(row);
    return { token, logprob: row[token] as number };
  };
  return decodeSequential(model, features, options, 1, pick, 'greedyDecode');
}

/**
 * Sampling as the reference's `sample_next_word` (`sample`, `top<k>`, `top<p>` with a temperature), drawn
 * from `options.rng` so a run is reproducible and resumable. Rows finish, get `pad` and stop the loop as
 * in {@link greedyDecode}.
 *
 * `logprobs` holds what the reference's `sampleLogprobs` holds: the tempered value `logprob / T` of the
 * drawn word (for top-k, the same unrenormalised value; for top-p, the log of the renormalised
 * probability). Log-probabilities are not differentiable here: for self-critical training, teacher-force
 * the sampled tokens through the model to get them with gradients.
 *
 * @example
 * ```ts
 * const rng = new Random(7);
 * const out = sampleDecode(model, features, { rng, samplesPerImage: 5, topK: 3, temperature: 0.8 });
 * // out.rows === 5 * images; rows 0..4 belong to image 0
 * ```
 */
export function sampleDecode<F>(model: CaptionModel<F>, features: F, options: SampleOptions): DecodedSequences {
  const where = 'sampleDecode';
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new DecodingError(`${where}: temperature must be a positive number, got ${temperature}`);
  const { topK, topP } = options;
  if (topK !== undefined && topP !== undefined) throw new DecodingError(`${where}: give topK or topP, not both`);
  if (topK !== undefined && (!Number.isInteger(topK) || topK < 1))
    throw new DecodingError(`${where}: topK must be a positive integer, got ${topK}`);
  if (topP !== undefined && !(topP > 0 && topP < 1))
    throw new DecodingError(`${where}: topP must be in (0, 1), got ${topP}`);
  const n = options.samplesPerImage ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new DecodingError(`${where}: samplesPerImage must be a positive integer, got ${n}`);
  const rng = options.rng;
  const t32 = Math.fround(temperature);
  const scratch = new Float64Array(model.vocabSize);

  const pick: Picker = (row) => {
    for (let i = 0; i < row.length; i++) row[i] = Math.fround((row[i] as number) / t32);
    if (topK !== undefined && topK < row.length) {
      const { indices } = topKDescending(row, topK);
      const keep = new Set(indices);
      for (let i = 0; i < row.length; i++) if (!keep.has(i)) row[i] = -Infinity;
    } else if (topP !== undefined) {
      applyNucleus(row, topP, scratch);
    }
    const token = drawCategorical(row, rng, scratch);
    return { token, logprob: row[token] as number };
  };
  return decodeSequential(model, features, options, n, pick, where);
}

/**
 * Replaces `row` (logits) by the log of the renormalised nucleus distribution: probabilities sorted in
 * decreasing order are kept while the cumulative sum *before* them is below `p` (so the first is always
 * kept), as the reference; the others become `-Infinity`.
 */
function applyNucleus(row: Float32Array, p: number, probs: Float64Array): void {
  softmaxInto(row, probs);
  const order = Array.from({ length: row.length }, (_, i) => i).sort(
    (a, b) => (probs[b] as number) - (probs[a] as number) || a - b,
  );
  let cumulative = 0; // probability mass of the words kept so far
  let count = 0;
  const keep = new Uint8Array(row.length);
  for (const i of order) {
    if (count > 0 && !(cumulative < p)) break;
    keep[i] = 1;
    count += 1;
    cumulative += probs[i] as number;
  }
  for (let i = 0; i < row.length; i++) {
    row[i] = keep[i] === 1 ? Math.fround(Math.log((probs[i] as number) / cumulative)) : -Infinity;
  }
}

function decodeSequential<F>(
  model: CaptionModel<F>,
  features: F,
  options: SequentialDecodeOptions,
  copies: number,
  pick: Picker,
  where: string,
): DecodedSequences {
  const maxLength = options.maxLength ?? 20;
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new DecodingError(`${where}: maxLength must be a positive integer, got ${maxLength}`);
  const V = model.vocabSize;
  const constraints: ResolvedConstraints = resolveConstraints(options, V, null, where);
  const { bos, eos, pad } = specialTokensOf(model);

  const prepared = prepareState(model, features, where);
  let state: DecoderState = prepared.state;
  let rows = prepared.rows;
  if (copies > 1) {
    const idx = repeatIndices(rows, copies);
    const expanded: DecoderState = {
      context: gatherRows(state.context, idx),
      recurrent: gatherRows(state.recurrent, idx),
    };
    disposeState(state);
    state = expanded;
    rows *= copies;
  }

  const tokens = new Int32Array(rows * maxLength).fill(pad);
  const logprobs = new Float32Array(rows * maxLength);
  const unfinished = new Uint8Array(rows).fill(1);
  const history = new Int32Array(maxLength);
  let input = new Int32Array(rows).fill(bos);
  try {
    for (let t = 0; t < maxLength; t++) {
      const out = runStep(model, state, input, `${where} step ${t}`);
      state = { context: state.context, recurrent: out.recurrent };
      const next = new Int32Array(rows);
      let open = 0;
      for (let r = 0; r < rows; r++) {
        const row = out.logprobs.subarray(r * V, (r + 1) * V);
        assertNoNaN(row, t, r, where);
        history.set(tokens.subarray(r * maxLength, r * maxLength + t));
        constrainRow(row, constraints, history, t, eos);
        const choice = pick(row);
        let token = choice.token;
        if (unfinished[r] === 0) token = pad;
        else if (token === eos) unfinished[r] = 0;
        tokens[r * maxLength + t] = token;
        logprobs[r * maxLength + t] = choice.logprob;
        next[r] = token;
        open += unfinished[r] as number;
      }
      input = next;
      if (open === 0) break;
    }
  } finally {
    disposeState(state);
  }
  return { rows, maxLength, tokens, logprobs };
}
