/**
 * Beam search with the exact decisions of the reference (husthuaan/AoANet `AttModel._sample_beam` +
 * `CaptionModel.beam_search`), batched over images: every image's beams go through the model in one call
 * per step, and the per-image choices are made in JavaScript with the reference's arithmetic (float32
 * running sums) and ordering.
 *
 * Per image and group, at local step t:
 * 1. constraints on each beam's log-probs (previous word, bad endings, trigrams), then UNK − 1000;
 * 2. diverse groups: −λ on each word chosen at the same position by every beam of an earlier group;
 * 3. candidates: each beam's `min(beam, vocab)` best words (only beam 0 at t = 0, the beams being
 *    identical), enumerated word rank outer, beam inner, scored `fround(sum[q] + logprob)`;
 * 4. a stable sort on the score (ties keep the enumeration order), the best `beam` survive;
 * 5. a beam whose new word is the end token, and every beam at the last step, is copied to the done list
 *    with its length-penalised score, and its running sum is set to −1000: the slot keeps being expanded
 *    (its continuations rank last), and the search always runs `maxLength` steps;
 * 6. the next log-probs are `log_softmax(step(...) / temperature)` (re-normalised as the reference does).
 * At the end each group's done list is stably sorted by score and cut to `beam / groups`; the groups are
 * concatenated in order and the caption returned for an image is the first entry (group 0's best).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  assertNoNaN,
  type CaptionModel,
  type DecodedSequences,
  DecodingError,
  disposeReplaced,
  disposeState,
  gatherRows,
  prepareState,
  repeatIndices,
  runStep,
  specialTokensOf,
} from './caption-model';
import { constrainRow, resolveConstraints, type RowConstraintOptions, topKDescending } from './constraints';

/**
 * Length normalisation of finished beams (the reference's `length_penalty`): `wu` divides the summed
 * log-prob by `((5 + len)^α) / (6^α)` (GNMT), `avg` by `len` (α unused); `len` counts the end token.
 */
export type LengthPenalty =
  | {
      /** GNMT's penalty (Wu et al. 2016), the reference's `wu_<α>`. */
      kind: 'wu';
      /** The exponent α; 0 leaves the summed log-prob unchanged. */
      alpha: number;
    }
  | {
      /** Mean log-prob per token, the reference's `avg_<α>` (its α is ignored). */
      kind: 'avg';
    };

/**
 * Parses the reference's option strings: `''` (none), `'wu_<α>'`, `'avg_<α>'`.
 *
 * @example
 * ```ts
 * parseLengthPenalty('wu_0.9'); // { kind: 'wu', alpha: 0.9 }
 * ```
 */
export function parseLengthPenalty(spec: string): LengthPenalty | null {
  if (spec === '') return null;
  const m = /^(wu|avg)_([0-9.eE+-]+)$/.exec(spec);
  const alpha = m === null ? NaN : Number(m[2]);
  if (m === null || !Number.isFinite(alpha)) {
    throw new DecodingError(`parseLengthPenalty: expected '', 'wu_<alpha>' or 'avg_<alpha>', got '${spec}'`);
  }
  return m[1] === 'wu' ? { kind: 'wu', alpha } : { kind: 'avg' };
}

/** A finished summed log-prob after the length penalty (float64, as the reference's Python floats). */
export function applyLengthPenalty(logprob: number, length: number, penalty: LengthPenalty | null): number {
  if (penalty === null) return logprob;
  if (penalty.kind === 'avg') return logprob / length;
  return logprob / ((5 + length) ** penalty.alpha / 6 ** penalty.alpha);
}

/** Options of {@link beamSearch}. */
export interface BeamSearchOptions extends RowConstraintOptions {
  /**
   * Beams per image (all groups together). The reference requires `beamSize <= vocabSize`; here a larger
   * beam is allowed, and slots for which no candidate exists stay empty (never finished, never expanded).
   */
  beamSize?: number;
  /** Diverse beam search: number of groups (must divide `beamSize`); group g starts g steps late. */
  groupSize?: number;
  /** Penalty per earlier group's choice of the same word at the same position (diverse beam search). */
  diversityLambda?: number;
  /** Length normalisation of finished beams, as an object or the reference's string (`'wu_0.9'`). */
  lengthPenalty?: LengthPenalty | string | null;
  /** Divides the log-probs before re-normalising them at every step after the first. */
  temperature?: number;
  /** Steps (tokens, end token included) per caption; the search always runs all of them. */
  maxLength?: number;
}

/** One finished beam. */
export interface BeamHypothesis {
  /** `maxLength` token ids; `pad` after the end token. */
  tokens: Int32Array;
  /** Per-step log-probs as chosen (UNK's −1000 and constraint −∞ included, diversity excluded); 0 after the end. */
  logprobs: Float32Array;
  /** The ranking score: the running float32 sum, length-penalised. */
  score: number;
  /** Sum of `logprobs` (the reference's `unaug_p`). */
  logprobSum: number;
  /** Tokens including the end token (or `maxLength`). */
  length: number;
  /** The diverse-beam group it comes from (0 without groups). */
  group: number;
}

/** The result of {@link beamSearch}: the best caption per image plus every kept finished beam. */
export interface BeamSearchResult extends DecodedSequences {
  /** Per image: each group's best `beamSize / groupSize` finished beams, best first, groups in order. */
  beams: BeamHypothesis[][];
}

interface Candidate {
  word: number;
  beam: number;
  score: number;
  logprob: number;
}

interface GroupState {
  seq: Int32Array;
  logps: Float32Array;
  sums: Float32Array;
  empty: Uint8Array;
  logprobs: Float32Array;
  recurrent: tf.Tensor[] | null;
  done: BeamHypothesis[][];
}

/**
 * Batched beam search over a {@link CaptionModel}. With `groupSize` 1 its decisions are those of the
 * reference (see the file comment for the exact rules); with `beamSize` 1 and no UNK among the best words
 * it returns the greedy caption.
 *
 * @example
 * ```ts
 * model.eval();
 * const out = beamSearch(model, features, { beamSize: 3, maxLength: 20 });
 * const caption = captionTokens(out, 0);      // best caption of image 0
 * const alternatives = out.beams[0];          // its finished beams, best first
 * ```
 */
export function beamSearch<F>(model: CaptionModel<F>, features: F, options: BeamSearchOptions = {}): BeamSearchResult {
  const where = 'beamSearch';
  const V = model.vocabSize;
  const beamSize = options.beamSize ?? 3;
  const groups = options.groupSize ?? 1;
  const maxLength = options.maxLength ?? 20;
  const temperature = options.temperature ?? 1;
  const lambda = Math.fround(options.diversityLambda ?? 0.5);
  if (!Number.isInteger(beamSize) || beamSize < 1)
    throw new DecodingError(`${where}: beamSize must be a positive integer, got ${beamSize}`);
  if (!Number.isInteger(groups) || groups < 1 || beamSize % groups !== 0) {
    throw new DecodingError(`${where}: groupSize must be a positive divisor of beamSize ${beamSize}, got ${groups}`);
  }
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new DecodingError(`${where}: maxLength must be a positive integer, got ${maxLength}`);
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new DecodingError(`${where}: temperature must be a positive number, got ${temperature}`);
  const lp = options.lengthPenalty;
  const penalty = typeof lp === 'string' ? parseLengthPenalty(lp) : (lp ?? null);
  const constraints = resolveConstraints(options, V, V - 1, where);
  const { bos, eos, pad } = specialTokensOf(model);
  const bdash = beamSize / groups;
  const L = maxLength;
  const cols = Math.min(bdash, V);

  const prepared = prepareState(model, features, where);
  const B = prepared.rows;
  let first: { logprobs: Float32Array; recurrent: tf.Tensor[] };
  try {
    first = runStep(model, prepared.state, new Int32Array(B).fill(bos), `${where} step 0`, undefined, true);
  } catch (e) {
    disposeState(prepared.state);
    throw e;
  }
  const recurrent0 = first.recurrent;
  const context = gatherRows(prepared.state.context, repeatIndices(B, bdash));
  disposeReplaced(prepared.state.context, []);
  disposeReplaced(prepared.state.recurrent, recurrent0);
  const normalise = (x: tf.Tensor2D): tf.Tensor2D =>
    tf.logSoftmax(temperature === 1 ? x : tf.div<tf.Tensor2D>(x, temperature));

  const table: GroupState[] = Array.from({ length: groups }, (_, g) => ({
    seq: new Int32Array(B * bdash * L).fill(pad),
    logps: new Float32Array(B * bdash * L),
    sums: new Float32Array(B * bdash),
    empty: new Uint8Array(B * bdash),
    logprobs: g === 0 ? first.logprobs : Float32Array.from(first.logprobs),
    recurrent: null,
    done: Array.from({ length: B }, () => []),
  }));

  try {
    for (let t = 0; t < L + groups - 1; t++) {
      for (let g = 0; g < groups; g++) {
        const local = t - g;
        if (local < 0 || local > L - 1) continue;
        const grp = table[g] as GroupState;
        const perImage = local === 0 ? 1 : bdash;
        const lps = grp.logprobs;
        const rowOf = (b: number, q: number): Float32Array =>
          lps.subarray((b * perImage + q) * V, (b * perImage + q + 1) * V);

        for (let b = 0; b < B; b++) {
          for (let q = 0; q < perImage; q++) {
            const slot = b * bdash + q;
            if (grp.empty[slot] === 1) continue;
            const row = rowOf(b, q);
            assertNoNaN(row, local, slot, where);
            constrainRow(row, constraints, grp.seq.subarray(slot * L, slot * L + L), local, eos);
          }
        }
        const unaugmented = g > 0 ? Float32Array.from(lps) : lps;
        for (let b = 0; b < B && g > 0; b++) {
          for (let pg = 0; pg < g; pg++) {
            const prev = table[pg] as GroupState;
            for (let pl = 0; pl < bdash; pl++) {
              const pslot = b * bdash + pl;
              if (prev.empty[pslot] === 1) continue;
              const word = prev.seq[pslot * L + local] as number;
              for (let q = 0; q < perImage; q++) {
                const row = rowOf(b, q);
                row[word] = Math.fround((row[word] as number) - lambda);
              }
            }
          }
        }

        const seq = new Int32Array(grp.seq.length).fill(pad);
        const logps = new Float32Array(grp.logps.length);
        const sums = new Float32Array(grp.sums.length);
        const empty = new Uint8Array(grp.empty.length);
        const gatherIndex = new Int32Array(B * bdash);
        for (let b = 0; b < B; b++) {
          const tops = Array.from({ length: perImage }, (_, q) =>
            grp.empty[b * bdash + q] === 1 ? null : topKDescending(rowOf(b, q), cols),
          );
          const candidates: Candidate[] = [];
          for (let c = 0; c < cols; c++) {
            for (let q = 0; q < perImage; q++) {
              const top = tops[q];
              if (top === null || top === undefined) continue;
              const word = top.indices[c] as number;
              const score = Math.fround((grp.sums[b * bdash + q] as number) + (top.values[c] as number));
              const logprob = unaugmented[(b * perImage + q) * V + word] as number;
              candidates.push({ word, beam: q, score, logprob });
            }
          }
          candidates.sort((x, y) => (x.score > y.score ? -1 : x.score < y.score ? 1 : 0));
          for (let v = 0; v < bdash; v++) {
            const slot = b * bdash + v;
            const cand = candidates[v];
            if (cand === undefined) {
              empty[slot] = 1;
              sums[slot] = -Infinity;
              gatherIndex[slot] = b * perImage;
              continue;
            }
            const src = b * bdash + cand.beam;
            seq.set(grp.seq.subarray(src * L, src * L + local), slot * L);
            logps.set(grp.logps.subarray(src * L, src * L + local), slot * L);
            seq[slot * L + local] = cand.word;
            logps[slot * L + local] = cand.logprob;
            sums[slot] = cand.score;
            gatherIndex[slot] = b * perImage + cand.beam;
          }
        }
        grp.seq = seq;
        grp.logps = logps;
        grp.sums = sums;
        grp.empty = empty;

        for (let b = 0; b < B; b++) {
          for (let v = 0; v < bdash; v++) {
            const slot = b * bdash + v;
            if (empty[slot] === 1) continue;
            if (seq[slot * L + local] !== eos && local !== L - 1) continue;
            const tokens = seq.slice(slot * L, slot * L + L);
            const stepLogps = logps.slice(slot * L, slot * L + L);
            let logprobSum = 0;
            for (const x of stepLogps) logprobSum += x;
            (grp.done[b] as BeamHypothesis[]).push({
              tokens,
              logprobs: stepLogps,
              score: applyLengthPenalty(sums[slot] as number, local + 1, penalty),
              logprobSum,
              length: local + 1,
              group: g,
            });
            sums[slot] = -1000;
          }
        }

        if (local < L - 1) {
          const source = grp.recurrent ?? recurrent0;
          const gathered = gatherRows(source, gatherIndex);
          if (grp.recurrent !== null) disposeReplaced(grp.recurrent, []);
          grp.recurrent = gathered;
          const inputs = new Int32Array(B * bdash);
          for (let slot = 0; slot < B * bdash; slot++)
            inputs[slot] = empty[slot] === 1 ? pad : (seq[slot * L + local] as number);
          const out = runStep(model, { context, recurrent: gathered }, inputs, `${where} step ${local + 1}`, normalise);
          grp.recurrent = out.recurrent;
          grp.logprobs = out.logprobs;
        }
      }
    }
  } finally {
    for (const grp of table) if (grp.recurrent !== null) disposeReplaced(grp.recurrent, []);
    disposeReplaced(recurrent0, []);
    disposeReplaced(context, []);
  }

  const beams: BeamHypothesis[][] = [];
  const tokens = new Int32Array(B * L).fill(pad);
  const logprobs = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    const kept: BeamHypothesis[] = [];
    for (const grp of table) {
      const done = [...(grp.done[b] as BeamHypothesis[])].sort((x, y) =>
        x.score > y.score ? -1 : x.score < y.score ? 1 : 0,
      );
      kept.push(...done.slice(0, bdash));
    }
    const best = kept[0];
    if (best !== undefined) {
      tokens.set(best.tokens, b * L);
      logprobs.set(best.logprobs, b * L);
    }
    beams.push(kept);
  }
  return { rows: B, maxLength: L, tokens, logprobs, beams };
}
