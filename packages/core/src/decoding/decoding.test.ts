import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { beamSearch, parseLengthPenalty, applyLengthPenalty } from './beam-search';
import { captionTokens, type CaptionModel, type DecodedSequences, DecodingError } from './caption-model';
import { DECODING_BAD_ENDINGS, repeatedTrigramCounts, tokenIdsOf, topKDescending, trimBadEndings } from './constraints';
import { EnsembleCaptionModel } from './ensemble';
import { referenceBeamSearch } from './reference-beam-search.test-util';
import { greedyDecode, sampleDecode } from './sequential';
import { enumerateCaptions, ToyCaptionModel } from './test-models';
import { TinyCaptioner } from '../training/test-fixtures';

beforeAll(async () => {
  await tf.ready();
});

/** Runs `fn` in an engine scope that frees every tensor it made (for helpers that return plain values). */
function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}

function rowsOf(d: DecodedSequences): number[][] {
  return Array.from({ length: d.rows }, (_, r) =>
    Array.from(d.tokens.subarray(r * d.maxLength, (r + 1) * d.maxLength)),
  );
}

function hasRepeatedTrigram(tokens: readonly number[]): boolean {
  const seen = new Set<string>();
  for (let i = 2; i < tokens.length; i++) {
    const key = `${tokens[i - 2]},${tokens[i - 1]},${tokens[i]}`;
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

describe('row helpers', () => {
  it('topKDescending keeps index order on ties and handles -Infinity', () => {
    const row = new Float32Array([0.5, 2, -Infinity, 2, 1, 2]);
    const { values, indices } = topKDescending(row, 4);
    expect([...indices]).toEqual([1, 3, 5, 4]);
    expect([...values]).toEqual([2, 2, 2, 1]);
    expect([...topKDescending(new Float32Array([-Infinity, -Infinity, -1]), 3).indices]).toEqual([2, 0, 1]);
  });

  it('repeatedTrigramCounts counts earlier continuations of the last two words', () => {
    // history 5 6 7 5 6 8 5 6: after "5 6" came 7 and 8
    expect([...repeatedTrigramCounts([5, 6, 7, 5, 6, 8, 5, 6], 8).entries()].sort()).toEqual([
      [7, 1],
      [8, 1],
    ]);
    expect(repeatedTrigramCounts([5, 6], 2).size).toBe(0);
  });

  it('tokenIdsOf and trimBadEndings follow the reference lists', () => {
    const vocab = { '1': 'a', '2': 'dog', '3': 'the', '4': 'on', '5': 'UNK' };
    expect(tokenIdsOf(vocab, DECODING_BAD_ENDINGS)).toEqual([1, 3, 4]);
    expect(trimBadEndings(['a', 'dog', 'on', 'the'])).toEqual(['a', 'dog']);
    expect(trimBadEndings(['a', 'the'])).toEqual(['a', 'the']); // the reference keeps all-bad captions
  });

  it('length penalties are the reference formulas', () => {
    expect(parseLengthPenalty('')).toBeNull();
    expect(parseLengthPenalty('wu_0.5')).toEqual({ kind: 'wu', alpha: 0.5 });
    expect(parseLengthPenalty('avg_1')).toEqual({ kind: 'avg' });
    expect(() => parseLengthPenalty('wu')).toThrow(DecodingError);
    // wu: logp / ((5+len)^a / 6^a), computed here independently
    expect(applyLengthPenalty(-6, 7, { kind: 'wu', alpha: 0.5 })).toBeCloseTo(-6 / Math.sqrt(12 / 6), 12);
    expect(applyLengthPenalty(-6, 3, { kind: 'avg' })).toBe(-2);
  });
});

describe('greedy decoding', () => {
  let model: ToyCaptionModel;
  beforeAll(() => {
    model = new ToyCaptionModel({ vocabSize: 7, sharpness: 1, seed: 8 });
  });
  afterAll(() => model.dispose());

  it('follows the reference: argmax, finished rows get 0 but keep the continuation log-prob, zeros after the loop', () => {
    const feats = model.features(6, 11);
    const out = greedyDecode(model, feats, { maxLength: 12 });
    feats.dispose();
    // independent restatement: step the model row by row, feeding 0 to finished rows
    const f2 = model.features(6, 11);
    const prepared = model.prepare(f2);
    let rec = [...prepared.recurrent];
    let input = new Int32Array(6);
    const unfinished = new Array<boolean>(6).fill(true);
    let stoppedAt = 12;
    for (let t = 0; t < 12; t++) {
      const r = model.step({ context: prepared.context, recurrent: rec }, tf.tensor1d(input, 'int32'));
      rec = r.recurrent;
      const lp = r.logprobs.arraySync();
      const next = new Int32Array(6);
      for (let i = 0; i < 6; i++) {
        const row = lp[i] as number[];
        const best = row.indexOf(Math.max(...row));
        expect(out.logprobs[i * 12 + t]).toBe(Math.fround(row[best] as number)); // non-zero even when finished
        const token = unfinished[i] ? best : 0;
        if (best === 0) unfinished[i] = false;
        expect(out.tokens[i * 12 + t]).toBe(token);
        next[i] = token;
      }
      input = next;
      if (unfinished.every((u) => !u)) {
        stoppedAt = t + 1;
        break;
      }
    }
    for (let i = 0; i < 6; i++) for (let t = stoppedAt; t < 12; t++) expect(out.logprobs[i * 12 + t]).toBe(0);
    expect(stoppedAt).toBeLessThan(12); // the batch finished early, so the zero tail was exercised
    const finishedEarly = rowsOf(out).some((row) => row.indexOf(0) >= 0 && row.indexOf(0) < stoppedAt - 1);
    expect(finishedEarly).toBe(true);
  });

  it('frees every tensor it creates', () => {
    const feats = model.features(4);
    const before = tf.memory().numTensors;
    greedyDecode(model, feats);
    beamSearch(model, feats, { beamSize: 3, groupSize: 1 });
    beamSearch(model, feats, { beamSize: 4, groupSize: 2 });
    sampleDecode(model, feats, { rng: new Random(1), samplesPerImage: 3 });
    expect(tf.memory().numTensors).toBe(before);
    feats.dispose();
  });

  it('never disposes tensors it did not create (features passed through, model constants)', () => {
    const constant = tf.zeros([1, 2]);
    const logits = tf.logSoftmax(tf.tensor2d([[0.1, 2, 0.3, 0.2]])) as tf.Tensor2D;
    const passThrough: CaptionModel<tf.Tensor2D> = {
      vocabSize: 4,
      prepare: (f) => ({ context: [f], recurrent: [constant] }),
      step: (s) => {
        const rows = s.recurrent[0]!.shape[0]!;
        return {
          logprobs: rows === 1 ? logits : (tf.tile(logits, [rows, 1]) as tf.Tensor2D),
          recurrent: [s.recurrent[0]!],
        };
      },
    };
    const feats = tf.ones([1, 2]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    expect(captionTokens(greedyDecode(passThrough, feats, { maxLength: 3 }), 0)).toEqual([1, 1, 1]);
    expect(captionTokens(beamSearch(passThrough, feats, { beamSize: 2, maxLength: 3, unkToken: null }), 0)).toEqual([
      1, 1, 1,
    ]);
    expect(sampleDecode(passThrough, feats, { rng: new Random(1), samplesPerImage: 3, maxLength: 3 }).rows).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    for (const t of [constant, logits, feats]) expect(t.isDisposed).toBe(false);
    tf.dispose([constant, logits, feats]);
  });

  it('rejects NaN log-probs with the step and row', () => {
    const broken: CaptionModel<tf.Tensor2D> = {
      vocabSize: 3,
      prepare: (f) => ({ context: [], recurrent: [tf.zeros([f.shape[0], 1])] }),
      step: (s) => ({
        logprobs: tf.fill([s.recurrent[0]!.shape[0]!, 3], NaN) as tf.Tensor2D,
        recurrent: [tf.zerosLike(s.recurrent[0]!)],
      }),
    };
    const feats = tf.zeros([2, 1]) as tf.Tensor2D;
    expect(() => greedyDecode(broken, feats)).toThrow(/NaN log-probabilities at step 0, row 0/);
    expect(() => beamSearch(broken, feats)).toThrow(DecodingError);
    feats.dispose();
  });
});

describe('beam search', () => {
  it('with beam 1 equals greedy decoding', () => {
    for (const seed of [1, 2, 3, 4]) {
      const model = new ToyCaptionModel({ vocabSize: 9, sharpness: 1.5, seed });
      const feats = model.features(5, seed + 10);
      const greedy = greedyDecode(model, feats, { maxLength: 15 });
      const beam = beamSearch(model, feats, { beamSize: 1, maxLength: 15, unkToken: null });
      expect(rowsOf(beam)).toEqual(rowsOf(greedy));
      for (let r = 0; r < 5; r++) {
        const n = Math.min(captionTokens(greedy, r).length + 1, 15);
        for (let t = 0; t < n; t++)
          expect(beam.logprobs[r * 15 + t]).toBeCloseTo(greedy.logprobs[r * 15 + t] as number, 5);
      }
      feats.dispose();
      model.dispose();
    }
  });

  it('decodes a Module built from the real layers (Embedding, LSTMCell, Linear) the same way', () => {
    const model = new TinyCaptioner(
      { vocabSize: 10, features: 5, embed: 6, hidden: 12, dropout: 0.5 },
      { rng: new Random(4) },
    ).eval();
    const feats = tf.randomNormal([4, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const greedy = greedyDecode(model, feats, { maxLength: 10 });
    const beam = beamSearch(model, feats, { beamSize: 1, maxLength: 10, unkToken: null });
    expect(rowsOf(beam)).toEqual(rowsOf(greedy));
    expect(beamSearch(model, feats, { beamSize: 3, maxLength: 10 }).beams.every((b) => b.length === 3)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    feats.dispose();
    model.dispose();
  });

  it('with a beam larger than the search space finds the true best caption (exhaustive check)', () => {
    let checked = 0;
    for (const seed of [5, 6, 7]) {
      const model = new ToyCaptionModel({ vocabSize: 4, sharpness: 0.7, seed });
      const maxLength = 5;
      for (let image = 0; image < 2; image++) {
        const feats = model.features(1, 100 * seed + image);
        const all = scoped(() => enumerateCaptions(model, feats, maxLength));
        all.sort((a, b) => b.score - a.score);
        const best = all[0]!;
        const margin = best.score - all[1]!.score;
        const beam = beamSearch(model, feats, { beamSize: 400, maxLength, unkToken: null });
        const found = captionTokens(beam, 0);
        const expected = best.tokens[best.tokens.length - 1] === 0 ? best.tokens.slice(0, -1) : best.tokens;
        expect(found).toEqual(expected);
        expect(beam.beams[0]![0]!.score).toBeCloseTo(best.score, 4);
        // small beams can miss it; the exhaustive search must not, whatever the margin
        if (margin > 1e-4) checked++;
        feats.dispose();
      }
      model.dispose();
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('makes the same decisions as a literal one-image restatement of the reference (groups, penalties, constraints)', () => {
    const model = new ToyCaptionModel({ vocabSize: 8, sharpness: 1.2, seed: 9 });
    const configs = [
      { beamSize: 3, groupSize: 1, lengthPenalty: null, badEndings: [], decodingConstraint: false },
      { beamSize: 4, groupSize: 2, lengthPenalty: null, badEndings: [], decodingConstraint: false },
      {
        beamSize: 6,
        groupSize: 3,
        lengthPenalty: { kind: 'wu' as const, alpha: 0.9 },
        badEndings: [2, 5],
        decodingConstraint: true,
      },
      {
        beamSize: 2,
        groupSize: 1,
        lengthPenalty: { kind: 'avg' as const },
        badEndings: [3],
        decodingConstraint: false,
      },
    ];
    for (const c of configs) {
      const feats = model.features(3, 77);
      const out = beamSearch(model, feats, {
        beamSize: c.beamSize,
        groupSize: c.groupSize,
        diversityLambda: 0.5,
        maxLength: 9,
        lengthPenalty: c.lengthPenalty,
        badEndingTokens: c.badEndings,
        decodingConstraint: c.decodingConstraint,
        temperature: 1,
      });
      for (let image = 0; image < 3; image++) {
        const one = tf.tidy(() => feats.slice([image, 0], [1, -1])) as tf.Tensor2D;
        const ref = scoped(() =>
          referenceBeamSearch(model, one, {
            beamSize: c.beamSize,
            groupSize: c.groupSize,
            diversityLambda: 0.5,
            maxLength: 9,
            lengthPenalty: c.lengthPenalty,
            decodingConstraint: c.decodingConstraint,
            badEndings: c.badEndings,
            temperature: 1,
          }),
        );
        one.dispose();
        const got = out.beams[image]!;
        expect(got.map((h) => [...h.tokens])).toEqual(ref.map((h) => h.seq));
        got.forEach((h, k) => {
          expect(h.score).toBeCloseTo(ref[k]!.p, 4);
          h.logprobs.forEach((x, t) => expect(x).toBeCloseTo(ref[k]!.logps[t]!, 4));
        });
        expect(Array.from(out.tokens.subarray(image * 9, image * 9 + 9))).toEqual(ref[0]!.seq);
      }
      feats.dispose();
    }
    model.dispose();
  });

  it('puts -1000 on the last index (UNK) by default, as AoANet', () => {
    // a model that always prefers the last token
    const V = 5;
    const model: CaptionModel<tf.Tensor2D> = {
      vocabSize: V,
      prepare: (f) => ({ context: [], recurrent: [tf.zeros([f.shape[0], 1])] }),
      step: (s) => ({
        logprobs: tf.logSoftmax(tf.tile(tf.tensor2d([[0, 1, 2, 3, 9]]), [s.recurrent[0]!.shape[0]!, 1])) as tf.Tensor2D,
        recurrent: [tf.zerosLike(s.recurrent[0]!)],
      }),
    };
    const feats = tf.zeros([1, 1]) as tf.Tensor2D;
    expect(captionTokens(beamSearch(model, feats, { beamSize: 2, maxLength: 4 }), 0)).toEqual([3, 3, 3, 3]);
    expect(captionTokens(beamSearch(model, feats, { beamSize: 2, maxLength: 4, unkToken: null }), 0)).toEqual([
      4, 4, 4, 4,
    ]);
    expect(captionTokens(greedyDecode(model, feats, { maxLength: 4 }), 0)).toEqual([4, 4, 4, 4]);
    feats.dispose();
  });

  it('block trigrams never emits a repeated trigram', () => {
    let repeatsWithout = 0;
    for (const seed of [11, 12, 13, 14]) {
      const model = new ToyCaptionModel({ vocabSize: 6, sharpness: 3, seed });
      const feats = model.features(6, seed);
      const plain = beamSearch(model, feats, { beamSize: 3, maxLength: 16 });
      repeatsWithout += rowsOf(plain).filter(hasRepeatedTrigram).length;
      for (const decoded of [
        beamSearch(model, feats, { beamSize: 3, maxLength: 16, blockTrigrams: true }),
        beamSearch(model, feats, { beamSize: 4, groupSize: 2, maxLength: 16, blockTrigrams: true }),
        greedyDecode(model, feats, { maxLength: 16, blockTrigrams: true }),
        sampleDecode(model, feats, { maxLength: 16, blockTrigrams: true, rng: new Random(seed), samplesPerImage: 3 }),
      ]) {
        for (let r = 0; r < decoded.rows; r++) expect(hasRepeatedTrigram(captionTokens(decoded, r))).toBe(false);
      }
      const withBeams = beamSearch(model, feats, { beamSize: 3, maxLength: 16, blockTrigrams: true });
      for (const h of withBeams.beams.flat()) {
        if (Number.isFinite(h.score))
          expect(hasRepeatedTrigram([...h.tokens.subarray(0, h.length)].filter((w) => w !== 0))).toBe(false);
      }
      feats.dispose();
      model.dispose();
    }
    expect(repeatsWithout).toBeGreaterThan(0); // the toy models do repeat themselves when not blocked
  });

  it('remove bad endings never ends a caption on a listed word', () => {
    const bad = [1, 2];
    let badWithout = 0;
    for (const seed of [21, 22, 23, 24, 25]) {
      const model = new ToyCaptionModel({ vocabSize: 6, sharpness: 2, seed });
      const feats = model.features(8, seed);
      const endsBad = (d: DecodedSequences, r: number): boolean => {
        const row = Array.from(d.tokens.subarray(r * d.maxLength, (r + 1) * d.maxLength));
        const end = row.indexOf(0);
        return end > 0 && bad.includes(row[end - 1]!);
      };
      for (const d of [
        beamSearch(model, feats, { beamSize: 3, maxLength: 10 }),
        greedyDecode(model, feats, { maxLength: 10 }),
      ]) {
        for (let r = 0; r < d.rows; r++) if (endsBad(d, r)) badWithout++;
      }
      for (const d of [
        beamSearch(model, feats, { beamSize: 3, maxLength: 10, badEndingTokens: bad }),
        beamSearch(model, feats, { beamSize: 4, groupSize: 2, maxLength: 10, badEndingTokens: bad }),
        greedyDecode(model, feats, { maxLength: 10, badEndingTokens: bad }),
        sampleDecode(model, feats, { maxLength: 10, badEndingTokens: bad, rng: new Random(seed), samplesPerImage: 2 }),
      ]) {
        for (let r = 0; r < d.rows; r++) expect(endsBad(d, r)).toBe(false);
      }
      feats.dispose();
      model.dispose();
    }
    expect(badWithout).toBeGreaterThan(0);
  });
});

describe('sampling', () => {
  const model = new ToyCaptionModel({ vocabSize: 7, sharpness: 1, seed: 31 });
  afterAll(() => model.dispose());

  it('is reproducible from the seed and lays out n samples per image consecutively', () => {
    const feats = model.features(2, 3);
    const a = sampleDecode(model, feats, { rng: new Random(5), samplesPerImage: 4, maxLength: 8 });
    const b = sampleDecode(model, feats, { rng: new Random(5), samplesPerImage: 4, maxLength: 8 });
    const c = sampleDecode(model, feats, { rng: new Random(6), samplesPerImage: 4, maxLength: 8 });
    expect(a.rows).toBe(8);
    expect(rowsOf(a)).toEqual(rowsOf(b));
    expect(rowsOf(a)).not.toEqual(rowsOf(c));
    // a decode resumed from a saved RNG state continues the same stream
    const rng = new Random(9);
    sampleDecode(model, feats, { rng, maxLength: 8 });
    const saved = rng.getState();
    const next = sampleDecode(model, feats, { rng, maxLength: 8 });
    expect(rowsOf(sampleDecode(model, feats, { rng: Random.fromState(saved), maxLength: 8 }))).toEqual(rowsOf(next));
    feats.dispose();
  });

  it('draws from the model distribution (first word frequencies match the probabilities)', () => {
    const feats = model.features(1, 4);
    const probs = tf.tidy(() => {
      const p = model.prepare(feats);
      return tf.exp(model.step(p, tf.tensor1d([0], 'int32')).logprobs).dataSync();
    });
    const n = 4000;
    const out = sampleDecode(model, feats, { rng: new Random(1), samplesPerImage: n, maxLength: 1 });
    const counts = new Array<number>(7).fill(0);
    for (let r = 0; r < n; r++) counts[out.tokens[r]!]!++;
    for (let w = 0; w < 7; w++) {
      const p = probs[w]!;
      const sd = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(counts[w]! / n - p)).toBeLessThan(5 * sd + 1e-3);
    }
    feats.dispose();
  });

  it('top-k only draws the k best words and top-p only the nucleus; temperature scales the recorded log-prob', () => {
    const feats = model.features(1, 4);
    const lp = tf.tidy(() => {
      const p = model.prepare(feats);
      return Array.from(model.step(p, tf.tensor1d([0], 'int32')).logprobs.dataSync());
    });
    const order = lp.map((v, i) => i).sort((a, b) => lp[b]! - lp[a]!);
    const topk = sampleDecode(model, feats, { rng: new Random(2), samplesPerImage: 500, maxLength: 1, topK: 2 });
    expect(new Set(topk.tokens).size).toBeLessThanOrEqual(2);
    for (const w of topk.tokens) expect(order.slice(0, 2)).toContain(w);
    // nucleus: smallest prefix whose mass reaches p (computed here from the probabilities)
    const probs = lp.map(Math.exp);
    const p = 0.6;
    const nucleus: number[] = [];
    let mass = 0;
    for (const w of order) {
      if (nucleus.length > 0 && mass >= p) break;
      nucleus.push(w);
      mass += probs[w]!;
    }
    const topp = sampleDecode(model, feats, { rng: new Random(3), samplesPerImage: 500, maxLength: 1, topP: p });
    for (let r = 0; r < 500; r++) {
      const w = topp.tokens[r]!;
      expect(nucleus).toContain(w);
      expect(topp.logprobs[r]).toBeCloseTo(Math.log(probs[w]! / mass), 5);
    }
    const tempered = sampleDecode(model, feats, { rng: new Random(4), maxLength: 1, temperature: 2 });
    expect(tempered.logprobs[0]).toBe(Math.fround(Math.fround(lp[tempered.tokens[0]!]!) / 2));
    feats.dispose();
  });
});

describe('ensembles', () => {
  it("average the members' probabilities (weighted) and decode like any model", () => {
    const a = new ToyCaptionModel({ vocabSize: 6, seed: 41 });
    const b = new ToyCaptionModel({ vocabSize: 6, seed: 42 });
    const ens = new EnsembleCaptionModel([a, b], { weights: [3, 1] });
    const feats = a.features(2, 8);
    const [pa, pb, pe] = tf.tidy(() => {
      const tokens = tf.tensor1d([2, 4], 'int32');
      const s = ens.prepare(feats);
      const out = ens.step(s, tokens);
      const oa = a.step(a.prepare(feats), tokens);
      const ob = b.step(b.prepare(feats), tokens);
      return [tf.exp(oa.logprobs).dataSync(), tf.exp(ob.logprobs).dataSync(), out.logprobs.dataSync()];
    });
    for (let i = 0; i < pe!.length; i++) expect(pe![i]).toBeCloseTo(Math.log((3 * pa![i]! + pb![i]!) / 4), 5);
    const before = tf.memory().numTensors;
    const beam = beamSearch(ens, feats, { beamSize: 3, maxLength: 6 });
    expect(beam.rows).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => new EnsembleCaptionModel([a, new ToyCaptionModel({ vocabSize: 5 })])).toThrow(/vocabSize/);
    feats.dispose();
    a.dispose();
    b.dispose();
  });

  it('accept a single model, which then decodes exactly like that model (documented)', () => {
    const a = new ToyCaptionModel({ vocabSize: 6, seed: 43 });
    const feats = a.features(2, 8);
    const [own, alone, weighted] = tf.tidy(() => {
      const tokens = tf.tensor1d([1, 3], 'int32');
      const one = new EnsembleCaptionModel([a]);
      const oneWeighted = new EnsembleCaptionModel([a], { weights: [2.5] });
      return [
        a.step(a.prepare(feats), tokens).logprobs.dataSync(),
        one.step(one.prepare(feats), tokens).logprobs.dataSync(),
        oneWeighted.step(oneWeighted.prepare(feats), tokens).logprobs.dataSync(),
      ];
    });
    // weight 1: log w = 0 and logsumexp of one value is that value, so the log-probs are bit-identical
    expect(Array.from(alone!)).toEqual(Array.from(own!));
    for (let i = 0; i < own!.length; i++) expect(weighted![i]).toBeCloseTo(own![i]!, 5);
    const alone1 = greedyDecode(new EnsembleCaptionModel([a]), feats, { maxLength: 6 });
    const own1 = greedyDecode(a, feats, { maxLength: 6 });
    expect(rowsOf(alone1)).toEqual(rowsOf(own1));
    expect(Array.from(alone1.logprobs)).toEqual(Array.from(own1.logprobs));
    feats.dispose();
    a.dispose();
  });

  it('reject an empty list and bad weights with a DecodingError', () => {
    const a = new ToyCaptionModel({ vocabSize: 6, seed: 44 });
    expect(() => new EnsembleCaptionModel([])).toThrow(DecodingError);
    expect(() => new EnsembleCaptionModel([])).toThrow(/at least one model/);
    expect(() => new EnsembleCaptionModel([a], { weights: [1, 1] })).toThrow(/weights must be 1 finite/);
    expect(() => new EnsembleCaptionModel([a, a], { weights: [-1, 2] })).toThrow(DecodingError);
    expect(() => new EnsembleCaptionModel([a, a], { weights: [0, 0] })).toThrow(/not all 0/);
    a.dispose();
  });
});
