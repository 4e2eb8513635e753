/**
 * Test-only: a literal, one-image-at-a-time restatement of the reference's beam search
 * (husthuaan/AoANet `AttModel._sample_beam` + `CaptionModel.beam_search`), written independently of
 * `beam-search.ts` to cross-check its batching: the image is expanded to `beamSize` identical rows before
 * the first step (as `_sample_beam` does), every group keeps its own `bdash` rows, beams are forked by
 * gathering rows, diversity is added to every row of the group, and the model is also stepped after the
 * last position (unused), as in the reference. Nothing is imported from the code under test. The outside
 * reference (ImageCaptioning.pytorch's own decoding) is `models-aoa/src/decoding-reference.test.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LengthPenalty } from './beam-search';
import type { CaptionModel } from './caption-model';

export interface ReferenceBeamOptions {
  beamSize: number;
  groupSize: number;
  diversityLambda: number;
  maxLength: number;
  lengthPenalty: LengthPenalty | null;
  decodingConstraint: boolean;
  badEndings: number[];
  temperature: number;
}

export interface ReferenceBeam {
  seq: number[];
  logps: number[];
  p: number;
}

/** The reference's `misc/utils.py` `length_wu` / `length_average`, written out here rather than imported. */
function penalised(logprob: number, length: number, penalty: LengthPenalty | null): number {
  if (penalty === null) return logprob;
  if (penalty.kind === 'avg') return logprob / length;
  return logprob / (Math.pow(5 + length, penalty.alpha) / Math.pow(6, penalty.alpha));
}

function readRows(t: tf.Tensor): Float32Array[] {
  const [rows, cols] = t.shape as [number, number];
  const data = t.dataSync() as Float32Array;
  return Array.from({ length: rows }, (_, r) => Float32Array.from(data.subarray(r * cols, (r + 1) * cols)));
}

/** Decodes image `features` (one row) and returns the reference's `done_beams`. */
export function referenceBeamSearch(
  model: CaptionModel<tf.Tensor2D>,
  features: tf.Tensor2D,
  o: ReferenceBeamOptions,
): ReferenceBeam[] {
  const V = model.vocabSize;
  const L = o.maxLength;
  const G = o.groupSize;
  const bdash = o.beamSize / G;
  const expanded = tf.tile(features, [o.beamSize, 1]) as tf.Tensor2D;
  const prepared = model.prepare(expanded);
  const first = model.step(prepared, tf.zeros([o.beamSize], 'int32') as tf.Tensor1D);
  const initLogprobs = readRows(first.logprobs);
  const groupRows = (g: number): tf.Tensor1D => tf.range(g * bdash, (g + 1) * bdash, 1, 'int32') as tf.Tensor1D;

  const seqTable = Array.from({ length: G }, () => Array.from({ length: L }, () => new Array<number>(bdash).fill(0)));
  const logpsTable = Array.from({ length: G }, () => Array.from({ length: L }, () => new Array<number>(bdash).fill(0)));
  const sumTable = Array.from({ length: G }, () => new Float32Array(bdash));
  const doneTable: ReferenceBeam[][] = Array.from({ length: G }, () => []);
  const stateTable = Array.from({ length: G }, (_, g) => first.recurrent.map((s) => tf.gather(s, groupRows(g))));
  const contextTable = Array.from({ length: G }, (_, g) => prepared.context.map((s) => tf.gather(s, groupRows(g))));
  const logprobsTable = Array.from({ length: G }, (_, g) => initLogprobs.slice(g * bdash, (g + 1) * bdash));

  for (let t = 0; t < L + G - 1; t++) {
    for (let divm = 0; divm < G; divm++) {
      if (!(t >= divm && t <= L + divm - 1)) continue;
      const lt = t - divm;
      const lp = (logprobsTable[divm] as Float32Array[]).map((r) => Float32Array.from(r));
      const seq = seqTable[divm] as number[][];
      const logps = logpsTable[divm] as number[][];
      const sums = sumTable[divm] as Float32Array;
      for (let v = 0; v < bdash; v++) {
        const row = lp[v] as Float32Array;
        if (lt > 0) {
          const prev = (seq[lt - 1] as number[])[v] as number;
          if (o.decodingConstraint) row[prev] = -Infinity;
          if (o.badEndings.includes(prev)) row[0] = -Infinity;
        }
        row[V - 1] = Math.fround((row[V - 1] as number) - 1000);
      }
      const unaug = lp.map((r) => Float32Array.from(r));
      for (let pc = 0; pc < divm; pc++) {
        const decisions = (seqTable[pc] as number[][])[lt] as number[];
        for (let sb = 0; sb < bdash; sb++) {
          for (let pl = 0; pl < bdash; pl++) {
            const w = decisions[pl] as number;
            const row = lp[sb] as Float32Array;
            row[w] = Math.fround((row[w] as number) - Math.fround(o.diversityLambda));
          }
        }
      }
      // beam_step
      const sorted = lp.map((row) =>
        Array.from(row, (value, index) => ({ value, index })).sort((a, b) => b.value - a.value || a.index - b.index),
      );
      const cols = Math.min(bdash, V);
      const rows = lt === 0 ? 1 : bdash;
      const cands: Array<{ c: number; q: number; p: number; r: number }> = [];
      for (let c = 0; c < cols; c++) {
        for (let q = 0; q < rows; q++) {
          const e = (sorted[q] as Array<{ value: number; index: number }>)[c] as { value: number; index: number };
          cands.push({
            c: e.index,
            q,
            p: Math.fround((sums[q] as number) + e.value),
            r: (unaug[q] as Float32Array)[e.index] as number,
          });
        }
      }
      cands.sort((a, b) => (a.p > b.p ? -1 : a.p < b.p ? 1 : 0));
      const prevSeq = seq.slice(0, lt).map((r) => [...r]);
      const prevLogps = logps.slice(0, lt).map((r) => [...r]);
      const pick = new Int32Array(bdash);
      for (let v = 0; v < bdash; v++) {
        const cand = cands[v] as { c: number; q: number; p: number; r: number };
        for (let k = 0; k < lt; k++) {
          (seq[k] as number[])[v] = (prevSeq[k] as number[])[cand.q] as number;
          (logps[k] as number[])[v] = (prevLogps[k] as number[])[cand.q] as number;
        }
        (seq[lt] as number[])[v] = cand.c;
        (logps[lt] as number[])[v] = cand.r;
        sums[v] = cand.p;
        pick[v] = cand.q;
      }
      const oldState = stateTable[divm] as tf.Tensor[];
      const idx = tf.tensor1d(pick, 'int32');
      stateTable[divm] = oldState.map((s) => tf.gather(s, idx));
      for (let v = 0; v < bdash; v++) {
        if ((seq[lt] as number[])[v] === 0 || t === L + divm - 1) {
          doneTable[divm]?.push({
            seq: seq.map((r) => r[v] as number),
            logps: logps.map((r) => r[v] as number),
            p: penalised(sums[v] as number, lt + 1, o.lengthPenalty),
          });
          sums[v] = -1000;
        }
      }
      const it = tf.tensor1d(seq[lt] as number[], 'int32');
      const out = model.step(
        { context: contextTable[divm] as tf.Tensor[], recurrent: stateTable[divm] as tf.Tensor[] },
        it,
      );
      stateTable[divm] = out.recurrent;
      logprobsTable[divm] = readRows(tf.logSoftmax(tf.div(out.logprobs, o.temperature)));
    }
  }
  return doneTable.flatMap((done) => [...done].sort((a, b) => (a.p > b.p ? -1 : a.p < b.p ? 1 : 0)).slice(0, bdash));
}
