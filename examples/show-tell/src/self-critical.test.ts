/**
 * Core's generic self-critical sampler (`sampleWithLogprobs`, through `prepare` / `step` for models without
 * their own `samplingSteps`) on Show-Tell: the kept log-probs are those of the drawn words
 * (checked against teacher-forcing the samples), the draws follow the model's distribution, and the
 * self-critical loss has a gradient through them.
 */
import {
  computeGradients,
  initBackend,
  Random,
  sampleWithLogprobs,
  selfCriticalLoss,
  tokenLogprobs,
} from '@caption/core';
import { teacherForcedLogprobs } from '@caption/example-common';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShowTellModel } from './show-tell-model';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

const config = { vocabSize: 6, inputEncodingSize: 8, rnnSize: 8, numLayers: 1, dropProbLm: 0, fcFeatSize: 5 };

describe('sampleWithLogprobs (Show-Tell)', () => {
  it('keeps the log-prob of every drawn word: equal to teacher-forcing the samples', () => {
    const model = new ShowTellModel(config, { rng: new Random(3) });
    const fc = tf.randomNormal([2, 5], 0, 1, 'float32', 4) as tf.Tensor2D;
    const features = { fc, att: null, attMask: null };
    const perImage = 3;
    const maxLength = 7;
    const s = tf.tidy(() => {
      const out = sampleWithLogprobs(model, features, { rng: new Random(5), samplesPerImage: perImage, maxLength });
      return { ...out, logprobs: tf.keep(out.logprobs) };
    });
    expect(s.rows).toBe(6);
    expect(s.logprobs.shape).toEqual([6, maxLength]);
    // the samples teacher-forced: inputs [BOS, w_1, ..., w_{T-1}], targets [w_1, ..., w_T]
    const inputs = new Int32Array(s.rows * maxLength);
    for (let r = 0; r < s.rows; r++)
      inputs.set(s.tokens.subarray(r * maxLength, (r + 1) * maxLength - 1), r * maxLength + 1);
    const rows = {
      rows: s.rows,
      steps: maxLength,
      inputs,
      targets: s.tokens,
      mask: new Float32Array(s.rows * maxLength).fill(1),
      tokens: s.rows * maxLength,
    };
    const forced = tf.tidy(() =>
      tokenLogprobs(
        teacherForcedLogprobs(model, features, rows, perImage),
        tf.tensor2d(s.tokens, [s.rows, maxLength], 'int32'),
      ),
    );
    const a = s.logprobs.arraySync() as number[][];
    const b = forced.arraySync() as number[][];
    let compared = 0;
    for (let r = 0; r < s.rows; r++) {
      for (let t = 0; t < maxLength; t++) {
        if (t > 0 && s.tokens[r * maxLength + t - 1] === 0) break; // the loss masks the steps after the end token
        expect(a[r]?.[t]).toBeCloseTo(b[r]?.[t] as number, 5);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(s.rows);
    tf.dispose([fc, s.logprobs, forced]);
    model.dispose();
  });

  it("draws the first word from the model's distribution", () => {
    const model = new ShowTellModel(config, { rng: new Random(7) });
    const fc = tf.randomNormal([1, 5], 0, 1, 'float32', 8) as tf.Tensor2D;
    const features = { fc, att: null, attMask: null };
    const n = 3000;
    const counts = new Array(7).fill(0) as number[];
    tf.tidy(() => {
      const s = sampleWithLogprobs(model, features, { rng: new Random(9), samplesPerImage: n, maxLength: 1 });
      for (let r = 0; r < n; r++) {
        const w = s.tokens[r] as number;
        counts[w] = (counts[w] ?? 0) + 1;
      }
    });
    const probs = tf.tidy(() => {
      const state = model.prepare(features);
      return Array.from(tf.exp(model.step(state, tf.tensor1d([0], 'int32')).logprobs).dataSync());
    });
    for (let w = 0; w < 7; w++) {
      const p = probs[w] as number;
      expect(Math.abs((counts[w] as number) / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-3);
    }
    fc.dispose();
    model.dispose();
  });

  it('gives the self-critical loss a gradient through the drawn words, without leaking tensors', () => {
    const model = new ShowTellModel({ ...config, dropProbLm: 0.3 }, { rng: new Random(11) });
    model.useRandom?.(new Random(12));
    const fc = tf.randomNormal([2, 5], 0, 1, 'float32', 13) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { loss, grads } = computeGradients(model, () => {
      const s = sampleWithLogprobs(
        model,
        { fc, att: null, attMask: null },
        { rng: new Random(14), samplesPerImage: 2, maxLength: 5 },
      );
      const advantages = tf.tensor1d([1, -1, 0.5, -0.5]);
      return selfCriticalLoss(s.logprobs, tf.tensor2d(s.tokens, [s.rows, s.maxLength], 'int32'), advantages);
    });
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
    const logitGrad = grads.get('logit.weight');
    expect(logitGrad).toBeDefined();
    const g = logitGrad?.dataSync() ?? new Float32Array();
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g.some((x) => x !== 0)).toBe(true);
    tf.dispose([loss, ...grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    fc.dispose();
    model.dispose();
  });
});
