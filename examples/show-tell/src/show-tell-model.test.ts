import { greedyDecode, initBackend, Random } from '@caption/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShowTellModel } from './show-tell-model';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('ShowTellModel', () => {
  it("has the reference's parameters: bias-free LSTM layers, embed and logit over vocabulary + 1, logit bias 0", () => {
    const model = new ShowTellModel(
      { vocabSize: 10, inputEncodingSize: 6, rnnSize: 5, numLayers: 2, dropProbLm: 0.5, fcFeatSize: 7 },
      { rng: new Random(1) },
    );
    const shapes = Object.fromEntries(model.namedParameters().map(([n, v]) => [n, v.shape]));
    expect(shapes).toEqual({
      'img_embed.weight': [6, 7],
      'img_embed.bias': [6],
      'core.0.weight_ih': [20, 6],
      'core.0.weight_hh': [20, 5],
      'core.1.weight_ih': [20, 5],
      'core.1.weight_hh': [20, 5],
      'embed.weight': [11, 6],
      'logit.weight': [11, 5],
      'logit.bias': [11],
    });
    expect(Math.max(...Array.from(model.embed.weight.dataSync()).map(Math.abs))).toBeLessThanOrEqual(0.1);
    expect(Array.from(model.logit.bias?.dataSync() ?? [])).toEqual(new Array(11).fill(0));
    model.dispose();
  });

  it('decodes: the image step, then BOS and words; log-probs over vocabulary + 1; no leaked tensors', () => {
    const model = new ShowTellModel(
      { vocabSize: 10, inputEncodingSize: 6, rnnSize: 5, numLayers: 1, dropProbLm: 0.5, fcFeatSize: 7 },
      { rng: new Random(2) },
    ).eval();
    const fc = tf.randomNormal([3, 7], 0, 1, 'float32', 3) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const out = greedyDecode(model, { fc, att: null, attMask: null }, { maxLength: 6 });
    expect(out.rows).toBe(3);
    expect(out.tokens.length).toBe(18);
    expect(Array.from(out.tokens).every((t) => t >= 0 && t <= 10)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    const state = tf.tidy(() => {
      const s = model.prepare({ fc, att: null, attMask: null });
      const step = model.step(s, tf.tensor1d([0, 0, 0], 'int32'));
      return tf.sum(tf.exp(step.logprobs), 1);
    });
    for (const p of state.dataSync()) expect(p).toBeCloseTo(1, 5);
    tf.dispose([fc, state]);
    model.dispose();
  });
});
