/**
 * Caption generation over any core `CaptionModel` (a {@link ClipCapDecoder}, or core's `EnsembleCaptionModel` of
 * several, which averages their next-token probabilities): greedy (ClipCap's `generate2`), nucleus sampling, and
 * ClipCap's beam search (`generate_beam`), all batched over images.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type CaptionModel,
  type DecodedSequences,
  DecodingError,
  type DecoderState,
  greedyDecode,
  type Random,
  sampleDecode,
} from '@caption/core';

/** Options of {@link generateGreedy}. */
export interface GenerateOptions {
  /** Maximum number of generated tokens, stop token included (ClipCap's `entry_length`, default 67). */
  maxLength?: number;
}

/** Options of {@link generateTopP}. */
export interface GenerateTopPOptions extends GenerateOptions {
  /** Keep the smallest set of most likely tokens whose probability reaches `topP` (0 < p < 1; default 0.8). */
  topP?: number;
  /** The seeded source of the draws. */
  rng: Random;
}

/** Options of {@link generateBeam}. */
export interface GenerateBeamOptions extends GenerateOptions {
  /** Beams per image (ClipCap's `beam_size`, default 5). */
  beamSize?: number;
}

/** One caption of a beam search: its tokens (stop token included) and ClipCap's score. */
export interface BeamCaption {
  /** Token ids, cut at the caption's length (the stop token, when reached, is the last). */
  tokens: number[];
  /** Sum of the tokens' log-probabilities divided by the number of tokens (ClipCap's length-normalised score). */
  score: number;
}

const DEFAULT_MAX_LENGTH = 67;

function checkMaxLength(where: string, maxLength: number): void {
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new DecodingError(`${where}: maxLength must be a positive integer, got ${maxLength}`);
  }
}

/** Each row of a decoded batch up to and including its end token (all `maxLength` tokens when it has none). */
function captionsOf(decoded: DecodedSequences, eos: number): number[][] {
  return Array.from({ length: decoded.rows }, (_, r) => {
    const row = decoded.tokens.subarray(r * decoded.maxLength, (r + 1) * decoded.maxLength);
    const end = row.indexOf(eos);
    return [...row.subarray(0, end < 0 ? decoded.maxLength : end + 1)];
  });
}

/**
 * Greedy decoding: at each step the most likely token (the first on ties). This is what ClipCap's `generate2`
 * computes: it filters the logits with top-p (0.8) and then takes the argmax, and the filter never removes the
 * most likely token. Batched: one row per image.
 *
 * @param model a captioner as a `CaptionModel` (e.g. {@link ClipCapDecoder}) or an ensemble of them
 * @param features the model's features (CLIP embeddings `[images, prefixSize]` for a ClipCap decoder)
 * @returns per image, the token ids including the stop token when reached
 */
export function generateGreedy<F>(model: CaptionModel<F>, features: F, options: GenerateOptions = {}): number[][] {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  checkMaxLength('generateGreedy', maxLength);
  return captionsOf(greedyDecode(model, features, { maxLength }), model.specialTokens?.eos ?? 0);
}

/**
 * Nucleus (top-p) sampling with core's `sampleDecode`: each token is drawn from the smallest set of most likely
 * tokens whose probability reaches `topP`, from the seeded `rng` (reproducible). Batched: one row per image.
 *
 * @returns per image, the token ids including the stop token when reached
 */
export function generateTopP<F>(model: CaptionModel<F>, features: F, options: GenerateTopPOptions): number[][] {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  checkMaxLength('generateTopP', maxLength);
  const decoded = sampleDecode(model, features, { maxLength, rng: options.rng, topP: options.topP ?? 0.8 });
  return captionsOf(decoded, model.specialTokens?.eos ?? 0);
}

// A type alias (not an interface) so that tf.tidy accepts it as a TensorContainer.
type OwnedState = { context: tf.Tensor[]; recurrent: tf.Tensor[] };

function cloneState(state: DecoderState): OwnedState {
  return { context: state.context.map((t) => t.clone()), recurrent: state.recurrent.map((t) => t.clone()) };
}

function disposeAll(tensors: readonly tf.Tensor[]): void {
  for (const t of new Set(tensors)) t.dispose();
}

/** The `k` largest values of `values` (ties: the lower index first), as indices, best first. */
function topIndices(values: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v === -Infinity && best.length === k) continue;
    if (best.length === k && !(v > (values[best[k - 1]!] as number))) continue;
    let j = Math.min(best.length, k - 1);
    if (best.length < k) best.push(i);
    while (j > 0 && v > (values[best[j - 1]!] as number)) {
      best[j] = best[j - 1]!;
      j -= 1;
    }
    best[j] = i;
  }
  return best;
}

/**
 * ClipCap's beam search (`generate_beam`, rmokady/CLIP_prefix_caption `predict.py`), batched over images: the first
 * step takes the `beamSize` most likely tokens; later steps rank every (beam, token) by the beam's summed
 * log-probability divided by its length; a beam that emitted the stop token only continues with token 0 at
 * log-probability 0 and keeps its length; an image stops when all its beams have stopped, or after `maxLength`
 * tokens. Captions come back cut to their length, best score first. Arithmetic on scores is float32, as in PyTorch.
 *
 * @param model a captioner as a `CaptionModel` (its stop token is `specialTokens.eos`) or an ensemble of them
 * @returns per image, `beamSize` captions, best first
 * @throws {DecodingError} for a bad `beamSize` / `maxLength`, a beam size above the vocabulary, or NaN log-probabilities
 */
export function generateBeam<F>(
  model: CaptionModel<F>,
  features: F,
  options: GenerateBeamOptions = {},
): BeamCaption[][] {
  const where = 'generateBeam';
  const K = options.beamSize ?? 5;
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  checkMaxLength(where, maxLength);
  const V = model.vocabSize;
  if (!Number.isInteger(K) || K < 1 || K > V) {
    throw new DecodingError(`${where}: beamSize must be an integer in 1..${V} (the vocabulary), got ${K}`);
  }
  const { bos, eos } = { bos: 0, eos: 0, ...model.specialTokens };
  const f = Math.fround;

  let state: OwnedState = tf.tidy(() => cloneState(model.prepare(features)));
  const images = state.context[0]?.shape[0] ?? state.recurrent[0]?.shape[0];
  if (images === undefined) throw new DecodingError(`${where}: prepare() returned no tensors`);
  const tokens: number[][] = [];
  const scores = new Float32Array(images * K);
  const lengths = new Float32Array(images * K);
  const stopped = new Uint8Array(images * K);
  const done = new Uint8Array(images);

  /** One step for all rows; replaces `state.recurrent` and returns the log-probabilities read back. */
  const step = (input: Int32Array): Float32Array => {
    const out = tf.tidy(() => {
      const r = model.step(state, tf.tensor1d(input, 'int32'));
      return { logprobs: r.logprobs.clone(), recurrent: r.recurrent.map((t) => t.clone()) };
    });
    const values = out.logprobs.dataSync() as Float32Array;
    out.logprobs.dispose();
    const keep = new Set([...out.recurrent, ...state.context]);
    disposeAll(state.recurrent.filter((t) => !keep.has(t)));
    state = { context: state.context, recurrent: out.recurrent };
    if (values.some(Number.isNaN)) throw new DecodingError(`${where}: the model returned NaN log-probabilities`);
    return values;
  };
  const gather = (rowsOf: Int32Array, what: 'all' | 'recurrent'): void => {
    const next = tf.tidy(() => {
      const idx = tf.tensor1d(rowsOf, 'int32');
      const pick = (ts: readonly tf.Tensor[]) => ts.map((t) => tf.gather(t, idx, 0));
      return {
        context: what === 'all' ? pick(state.context) : state.context.map((t) => t),
        recurrent: pick(state.recurrent),
      };
    });
    disposeAll([...(what === 'all' ? state.context : []), ...state.recurrent]);
    state = next;
  };

  try {
    const first = step(new Int32Array(images).fill(bos));
    for (let i = 0; i < images; i++) {
      const row = first.subarray(i * V, (i + 1) * V);
      topIndices(row, K).forEach((token, b) => {
        tokens[i * K + b] = [token];
        scores[i * K + b] = row[token] as number;
        lengths[i * K + b] = 1;
        stopped[i * K + b] = token === eos ? 1 : 0;
      });
      done[i] = stopped.subarray(i * K, (i + 1) * K).every((s) => s === 1) ? 1 : 0;
    }
    gather(
      Int32Array.from({ length: images * K }, (_, r) => Math.floor(r / K)),
      'all',
    );

    for (let t = 1; t < maxLength && !done.every((d) => d === 1); t++) {
      const logprobs = step(Int32Array.from(tokens, (seq) => seq[seq.length - 1]!));
      const source = Int32Array.from({ length: images * K }, (_, r) => r);
      for (let i = 0; i < images; i++) {
        if (done[i] === 1) continue;
        const averaged = new Float32Array(K * V).fill(-Infinity);
        const grownLength = new Float32Array(K);
        for (let b = 0; b < K; b++) {
          const r = i * K + b;
          if (stopped[r] === 1) {
            grownLength[b] = lengths[r]!;
            averaged[b * V] = f(scores[r]! / grownLength[b]!);
            continue;
          }
          grownLength[b] = lengths[r]! + 1;
          const row = logprobs.subarray(r * V, (r + 1) * V);
          for (let v = 0; v < V; v++) averaged[b * V + v] = f(f(scores[r]! + row[v]!) / grownLength[b]!);
        }
        const chosen = topIndices(averaged, K);
        const before = { tokens: tokens.slice(i * K, (i + 1) * K), stopped: stopped.slice(i * K, (i + 1) * K) };
        chosen.forEach((flat, j) => {
          const b = Math.floor(flat / V);
          const token = flat % V;
          const r = i * K + j;
          source[r] = i * K + b;
          lengths[r] = grownLength[b]!;
          scores[r] = f(averaged[flat]! * lengths[r]!);
          tokens[r] = [...before.tokens[b]!, token];
          stopped[r] = before.stopped[b] === 1 || token === eos ? 1 : 0;
        });
        done[i] = stopped.subarray(i * K, (i + 1) * K).every((s) => s === 1) ? 1 : 0;
      }
      gather(source, 'recurrent');
    }
  } finally {
    disposeAll([...state.context, ...state.recurrent]);
  }

  return Array.from({ length: images }, (_, i) => {
    const beams = Array.from({ length: K }, (_, b) => {
      const r = i * K + b;
      return { tokens: tokens[r]!.slice(0, lengths[r]!), score: f(scores[r]! / lengths[r]!) };
    });
    return beams.sort((a, b) => b.score - a.score);
  });
}
