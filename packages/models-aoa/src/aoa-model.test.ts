/**
 * AoAModel construction, options, serialisation and input handling. Expected names, shapes and counts
 * come from the reference factory (`fixtures/state-dicts.json`, made by `fixtures/make-fixtures.py`, and
 * the shared `full-size.json`).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { moduleFromJSON, Random, StateDictError } from '@caption/core';
import { describe, expect, it } from 'vitest';
import { AoAModel, type AoAFeatures } from './aoa-model';
import { camelCaseOptions, configFromReferenceOptions, TRAIN_SH_MODEL_OPTIONS } from './config';
import { AoAConfigError, AoAInputError } from './errors';
import './index';
import { describeWithReference, readReferenceJson } from './test-helpers';

interface StateDictSet {
  options: Record<string, unknown>;
  num_parameters: number;
  state_dict: Array<[string, number[]]>;
}

const catalogue = JSON.parse(readFileSync(new URL('../fixtures/state-dicts.json', import.meta.url), 'utf8')) as {
  sets: Record<string, StateDictSet>;
};

/** A reference option dict as recorded after train.py (which adds the 5 box features to att_feat_size). */
function recordedOptions(options: Record<string, unknown>): Record<string, unknown> {
  const camel = camelCaseOptions(options);
  delete camel.attFeatSizeNote;
  if (camel.useBox === 1) camel.attFeatSize = (camel.attFeatSize as number) - 5;
  return camel;
}

const SMALL = {
  vocabSize: 12,
  rnnSize: 16,
  inputEncodingSize: 8,
  attFeatSize: 6,
  numHeads: 2,
  dropProbLm: 0,
  dropoutAoa: 0,
};

function smallFeatures(images: number, regions: number, valid: number[] | null, seed = 3): AoAFeatures {
  const att = tf.randomNormal([images, regions, SMALL.attFeatSize], 0, 1, 'float32', seed);
  if (valid === null) return { att };
  const mask = tf.tensor2d(
    valid.flatMap((n) => Array.from({ length: regions }, (_, k) => (k < n ? 1 : 0))),
    [images, regions],
  );
  return { att: tf.mul(att, tf.expandDims(mask, 2)), mask };
}

function labelsFor(rows: number, words: number[], width: number, vocab: number): tf.Tensor2D {
  const rng = new Random(9);
  const data = new Int32Array(rows * width);
  for (let r = 0; r < rows; r++)
    for (let t = 1; t <= (words[r] as number); t++) data[r * width + t] = 1 + rng.nextInt(vocab);
  return tf.tensor2d(data, [rows, width], 'int32');
}

describe('AoAModel options and state dicts (reference factory, fixtures/state-dicts.json)', () => {
  for (const [name, set] of Object.entries(catalogue.sets)) {
    it(`${name}: names, shapes, order and count equal the reference's`, () => {
      const model = AoAModel.fromReferenceOptions(recordedOptions(set.options));
      expect(model.namedParameters().map(([n, v]) => [n, [...v.shape]])).toEqual(set.state_dict);
      expect(model.parameterCount()).toBe(set.num_parameters);
      model.dispose();
    });
  }

  it('defaults are train.sh: the options not given take its values', () => {
    const fromDefaults = configFromReferenceOptions({ vocabSize: 9487 });
    expect(fromDefaults).toEqual({ vocabSize: 9487, ...TRAIN_SH_MODEL_OPTIONS });
  });

  it('rejects unknown, unsupported and inconsistent options with the option named', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ vocabSize: 10, numHead: 8 }, 'numHead'],
      [{ vocabSize: 10, captionModel: 'transformer' }, 'captionModel'],
      [{ vocabSize: 10, useBn: 1 }, 'useBn'],
      [{ vocabSize: 10, logitLayers: 2 }, 'logitLayers'],
      [{ vocabSize: 10, decoderType: 'GRU' }, 'decoderType'],
      [{ vocabSize: 10, useMultiHead: 0, multiHeadScale: 2 }, 'multiHeadScale'],
      [{ vocabSize: 10, numHeads: 7 }, 'numHeads'],
      [{ vocabSize: 10, refine: 2 }, 'refine'],
      [{ vocabSize: 10, dropProbLm: 1.5 }, 'dropProbLm'],
      [{ rnnSize: 32 }, 'vocabSize'],
    ];
    for (const [options, option] of bad) {
      let error: unknown;
      try {
        configFromReferenceOptions(options);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(AoAConfigError);
      expect((error as AoAConfigError).option).toBe(option);
      expect((error as Error).message).toContain(option);
    }
    // training-only reference options are accepted and ignored
    expect(
      configFromReferenceOptions({ vocabSize: 10, learningRate: 2e-4, seqPerImg: 5, numLayers: 2, id: 'aoanet' })
        .rnnSize,
    ).toBe(1024);
    expect(() => new AoAModel({ vocabSize: 10, numHead: 8 } as never)).toThrow(AoAConfigError);
  });
});

describeWithReference('AoAModel at train.sh size (full-size.json)', ['full-size.json'], () => {
  interface FullSize {
    expected: { vocab_9487: number; vocab_10369: number };
    vocab_9487: { state_dict: Array<[string, number[]]>; options: Record<string, unknown> };
  }

  it('vocabulary 9,487: 85,562,640 parameters, names and shapes of the reference; 10,369: 87,369,858', () => {
    const ref = readReferenceJson<FullSize>('full-size.json');
    expect(configFromReferenceOptions(camelCaseOptions(ref.vocab_9487.options))).toEqual(
      configFromReferenceOptions({ vocabSize: 9487 }),
    );
    const model = AoAModel.fromReferenceOptions({ vocabSize: 9487 });
    expect(model.parameterCount()).toBe(ref.expected.vocab_9487);
    expect(model.namedParameters().map(([n, v]) => [n, [...v.shape]])).toEqual(ref.vocab_9487.state_dict);
    model.dispose();
    const larger = AoAModel.fromReferenceOptions({ vocabSize: 10369 });
    expect(larger.parameterCount()).toBe(ref.expected.vocab_10369);
    larger.dispose();
  });
});

describe('AoAModel serialisation', () => {
  it('config JSON round trip rebuilds the same architecture; weights move through the state dict', () => {
    const model = new AoAModel(
      { ...SMALL, decoderType: 'LSTM', useFf: true, multiHeadScale: 2 },
      { rng: new Random(1) },
    ).eval();
    const json = JSON.parse(JSON.stringify(model));
    expect(json.className).toBe('aoa.AoAModel');
    const copy = AoAModel.fromJSON(json, { rng: new Random(2) }).eval();
    const viaRegistry = moduleFromJSON(json) as AoAModel;
    expect(copy.config).toEqual(model.config);
    expect(viaRegistry).toBeInstanceOf(AoAModel);
    const shapes = (m: AoAModel) => m.namedParameters().map(([n, v]) => [n, v.shape]);
    expect(shapes(copy)).toEqual(shapes(model));
    expect(shapes(viaRegistry)).toEqual(shapes(model));
    copy.loadStateDict(model.stateDict());
    const features = smallFeatures(2, 4, [4, 2]);
    const labels = labelsFor(4, [3, 1, 2, 2], 6, SMALL.vocabSize);
    const a = model.forward(features, labels);
    const b = copy.forward(features, labels);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b, labels, features.att, features.mask as tf.Tensor]);
    [model, copy, viaRegistry].forEach((m) => m.dispose());
  });

  it('a state dict that does not fit names each missing and mis-shaped weight and loads nothing', () => {
    const model = new AoAModel(SMALL, { rng: new Random(1) });
    const sd = new Map(model.stateDict());
    const before = Array.from(model.getParameter('ctx2att.bias').dataSync());
    const wrong = tf.zeros([3, 3]);
    const replacement = tf.ones([2 * SMALL.rnnSize]);
    sd.set('logit.weight', wrong);
    sd.set('ctx2att.bias', replacement);
    sd.delete('core.att_lstm.bias_hh');
    let error: unknown;
    try {
      model.loadStateDict(sd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const message = (error as Error).message;
    expect(message).toContain('logit.weight expected [13, 16] got [3, 3]');
    expect(message).toContain('missing weights: core.att_lstm.bias_hh');
    expect(Array.from(model.getParameter('ctx2att.bias').dataSync())).toEqual(before);
    tf.dispose([wrong, replacement]);
    model.dispose();
  });
});

describe('AoAModel inputs and teacher forcing', () => {
  it('the image side once per image equals the features repeated per caption', () => {
    const model = new AoAModel(SMALL, { rng: new Random(4) }).eval();
    const images = smallFeatures(2, 5, [3, 5]);
    const repeat = (t: tf.Tensor) =>
      tf.reshape(tf.tile(tf.expandDims(t, 1), [1, 3, ...t.shape.slice(1).map(() => 1)]), [6, ...t.shape.slice(1)]);
    const rows: AoAFeatures = { att: repeat(images.att), mask: repeat(images.mask as tf.Tensor) };
    const labels = labelsFor(6, [4, 2, 3, 1, 4, 2], 7, SMALL.vocabSize);
    const once = model.forward(images, labels);
    const repeated = model.forward(rows, labels);
    const grouped = tf.reshape(labels, [2, 3, 7]);
    const fromGrouped = model.forward(images, grouped);
    expect(Array.from(fromGrouped.dataSync())).toEqual(Array.from(once.dataSync()));
    tf.dispose([grouped, fromGrouped]);
    const a = once.dataSync();
    const b = repeated.dataSync();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    expect(worst).toBeLessThan(1e-5);
    expect(once.shape).toEqual([6, 6, SMALL.vocabSize + 1]);
    // the longest caption has 4 words: steps 0..4 run (inputs BOS + 4 words), step 5 is exactly 0
    const lastStep = tf.slice(once, [0, 5, 0], [6, 1, -1]);
    expect(Array.from(lastStep.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([
      once,
      repeated,
      lastStep,
      labels,
      images.att,
      images.mask as tf.Tensor,
      rows.att,
      rows.mask as tf.Tensor,
    ]);
    model.dispose();
  });

  it('forward, prepare and step leave no tensors behind; padded regions give finite gradients in training mode', () => {
    const model = new AoAModel({ ...SMALL, dropProbLm: 0.5, dropoutAoa: 0.3 }, { rng: new Random(5) });
    const features = smallFeatures(2, 6, [2, 4]);
    const labels = labelsFor(4, [3, 5, 2, 1], 7, SMALL.vocabSize);
    const before = tf.memory().numTensors;
    const grads = tf.tidy(() => {
      const params = model.namedParameters();
      const { grads: g } = tf.variableGrads(
        () => tf.neg(tf.sum(model.forward(features, labels))) as tf.Scalar,
        params.map(([, v]) => v),
      );
      return params.map(([name, v]) => [name, (g[v.name] as tf.Tensor).dataSync()] as const);
    });
    for (const [name, g] of grads) expect(Array.from(g).every(Number.isFinite), name).toBe(true);
    const state = model.prepare(features);
    const out = model.step(state, tf.tensor1d([0, 0], 'int32'));
    expect(out.logprobs.shape).toEqual([2, SMALL.vocabSize + 1]);
    tf.dispose([...state.context, ...state.recurrent, out.logprobs, ...out.recurrent]);
    expect(tf.memory().numTensors).toBe(before + 1); // the step's token tensor
    tf.dispose([labels, features.att, features.mask as tf.Tensor]);
    model.dispose();
  });

  it('clip_att: regions cut to the longest valid count, an all-valid mask is dropped; bad inputs are named', () => {
    const model = new AoAModel(SMALL, { rng: new Random(6) }).eval();
    const padded = smallFeatures(2, 7, [3, 5]);
    const encoded = model.encode(padded);
    expect(encoded.regions.shape).toEqual([2, 5, SMALL.rnnSize]);
    expect(encoded.mask?.shape).toEqual([2, 5]);
    const full = smallFeatures(2, 4, [4, 4]);
    const encodedFull = model.encode(full);
    expect(encodedFull.mask).toBeNull();
    const att = tf.zeros([2, 3, SMALL.attFeatSize]);
    const gap = tf.tensor2d([
      [1, 0, 1],
      [1, 1, 1],
    ]);
    const expectInputError = (f: () => unknown, input: string) => {
      let error: unknown;
      try {
        f();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AoAInputError);
      expect((error as AoAInputError).input).toBe(input);
    };
    expectInputError(() => model.encode({ att, mask: gap }), 'features.mask');
    expectInputError(() => model.encode({ att: tf.zeros([2, 3, 5]) }), 'features.att');
    expectInputError(() => model.forward({ att }, tf.zeros([3, 5], 'int32')), 'labels');
    expectInputError(() => model.forward({ att }, tf.zeros([2, 5])), 'labels');
    const boxes = new AoAModel({ ...SMALL, useBox: true });
    expect(boxes.getParameter('att_embed.0.weight').shape).toEqual([SMALL.rnnSize, SMALL.attFeatSize + 5]);
    const fcModel = new AoAModel({ ...SMALL, meanFeats: false, fcFeatSize: 3 });
    expectInputError(() => fcModel.encode({ att }), 'features.fc');
    tf.dispose([encoded.meanFeats, encoded.regions, encoded.projected, encoded.mask as tf.Tensor]);
    tf.dispose([encodedFull.meanFeats, encodedFull.regions, encodedFull.projected, att, gap]);
    tf.dispose([padded.att, padded.mask as tf.Tensor, full.att, full.mask as tf.Tensor]);
    [model, boxes, fcModel].forEach((m) => m.dispose());
  });

  it('scheduled sampling: reproducible from its generator, only in training mode, early stop on the ground truth', () => {
    const model = new AoAModel(SMALL, { rng: new Random(7) });
    const features = smallFeatures(2, 4, [4, 3]);
    const labels = labelsFor(4, [2, 4, 3, 1], 7, SMALL.vocabSize);
    // the refiner's and the attention's hard-coded dropouts draw from the model's generator: reset it per run
    const run = (p: number, seed: number) =>
      model
        .useRandom(new Random(11))
        .forward(features, labels, { scheduledSampling: { probability: p, rng: new Random(seed) } });
    const plain = model.useRandom(new Random(11)).forward(features, labels);
    const off = run(0, 1);
    const first = run(1, 1);
    const again = run(1, 1);
    expect(Array.from(off.dataSync())).toEqual(Array.from(plain.dataSync()));
    expect(Array.from(again.dataSync())).toEqual(Array.from(first.dataSync()));
    const firstStep = (t: tf.Tensor) => Array.from(tf.slice(t, [0, 0, 0], [4, 1, -1]).dataSync());
    // step 0 always takes BOS (equal up to the summation order of the step-by-step and the unrolled paths)
    const a0 = firstStep(first);
    const b0 = firstStep(plain);
    expect(Math.max(...a0.map((v, i) => Math.abs(v - (b0[i] as number))))).toBeLessThan(1e-5);
    expect(Array.from(first.dataSync())).not.toEqual(Array.from(plain.dataSync()));
    const tail = Array.from(tf.slice(first, [0, 5, 0], [4, 1, -1]).dataSync());
    expect(tail.every((v) => v === 0)).toBe(true); // 4 words at most: steps 0..4 run
    model.eval();
    const evalPlain = model.forward(features, labels);
    const evalSampled = run(1, 1);
    expect(Array.from(evalSampled.dataSync())).toEqual(Array.from(evalPlain.dataSync()));
    tf.dispose([plain, off, first, again, evalPlain, evalSampled, labels, features.att, features.mask as tf.Tensor]);
    model.dispose();
  });
});
