/**
 * Self-critical training for any `CaptionModel`: the differentiable sampler (drawn words' log-probs equal
 * teacher-forcing the samples; draws follow the model; a model's own `samplingSteps` is used), and the step
 * composed from a reward callback (baselines, reward weight, greedy rewards in eval mode).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaptionModel, DecoderState, SamplingSteps } from '../decoding/caption-model';
import { sampleWithLogprobs } from '../decoding/differentiable-sampling';
import { ToyCaptionModel } from '../decoding/test-models';
import { computeGradients } from '../optim/gradients';
import { Random } from '../random';
import { TinyCaptioner } from '../training/test-fixtures';
import { type CaptionReward, greedyBaselineRewards, selfCriticalLoss, selfCriticalStep } from './self-critical';

beforeAll(async () => {
  await tf.ready();
});

/** Log-probs of `tokens` (rows of `width`) under the model, teacher-forced through prepare/step. */
function teacherForced(model: ToyCaptionModel, features: tf.Tensor2D, tokens: Int32Array, width: number): number[][] {
  return tf.tidy(() => {
    const rows = tokens.length / width;
    const perImage = rows / features.shape[0];
    const state = model.prepare(features);
    const index = tf.tensor1d(
      Int32Array.from({ length: rows }, (_, r) => Math.floor(r / perImage)),
      'int32',
    );
    let recurrent = state.recurrent.map((t) => tf.gather(t, index));
    const context = state.context.map((t) => tf.gather(t, index));
    const out: number[][] = Array.from({ length: rows }, () => []);
    let input = new Int32Array(rows);
    for (let t = 0; t < width; t++) {
      const step = model.step({ context, recurrent }, tf.tensor1d(input, 'int32'));
      recurrent = step.recurrent;
      const lp = step.logprobs.arraySync();
      input = Int32Array.from({ length: rows }, (_, r) => tokens[r * width + t] as number);
      for (let r = 0; r < rows; r++) out[r]?.push(lp[r]?.[input[r] as number] as number);
    }
    return out;
  });
}

describe('sampleWithLogprobs', () => {
  it('keeps the log-prob of every drawn word (equal to teacher-forcing the samples); pad after the end', () => {
    const model = new ToyCaptionModel({ vocabSize: 5, seed: 3 });
    const features = model.features(2);
    const s = tf.tidy(() => {
      const out = sampleWithLogprobs(model, features, { rng: new Random(5), samplesPerImage: 3, maxLength: 6 });
      return { ...out, logprobs: tf.keep(out.logprobs) };
    });
    expect(s.rows).toBe(6);
    expect(s.logprobs.shape).toEqual([6, 6]);
    const kept = s.logprobs.arraySync();
    const forced = teacherForced(model, features, s.tokens, 6);
    let compared = 0;
    for (let r = 0; r < s.rows; r++) {
      let ended = false;
      for (let t = 0; t < 6; t++) {
        const token = s.tokens[r * 6 + t] as number;
        if (ended) {
          expect(token).toBe(0);
          continue;
        }
        expect(kept[r]?.[t]).toBeCloseTo(forced[r]?.[t] as number, 5);
        compared += 1;
        ended = token === 0;
      }
    }
    expect(compared).toBeGreaterThan(s.rows);
    tf.dispose([features, s.logprobs]);
    model.dispose();
  });

  it("draws the first word from the model's distribution; greedy takes the first maximum", () => {
    const model = new ToyCaptionModel({ vocabSize: 6, seed: 7 });
    const features = model.features(1, 8);
    const n = 3000;
    const counts = new Array<number>(6).fill(0);
    const probs = tf.tidy(() => {
      const s = sampleWithLogprobs(model, features, { rng: new Random(9), samplesPerImage: n, maxLength: 1 });
      for (let r = 0; r < n; r++) counts[s.tokens[r] as number] = (counts[s.tokens[r] as number] as number) + 1;
      const first = model.step(model.prepare(features), tf.tensor1d([0], 'int32')).logprobs;
      return Array.from(tf.exp(first).dataSync());
    });
    for (let w = 0; w < 6; w++) {
      const p = probs[w] as number;
      expect(Math.abs((counts[w] as number) / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n) + 1e-3);
    }
    const greedy = tf.tidy(
      () => sampleWithLogprobs(model, features, { method: 'greedy', maxLength: 1 }).tokens[0] as number,
    );
    expect(greedy).toBe(probs.indexOf(Math.max(...probs)));
    tf.dispose(features);
    model.dispose();
  });

  it("uses the model's own samplingSteps when it has them, and checks their shape", () => {
    const toy = new ToyCaptionModel({ vocabSize: 4, seed: 2 });
    const calls: number[] = [];
    const withSteps: CaptionModel<tf.Tensor2D> = {
      vocabSize: 4,
      prepare: (f) => toy.prepare(f),
      step: (state: DecoderState, tokens) => toy.step(state, tokens),
      samplingSteps(features, perImage): SamplingSteps {
        calls.push(perImage);
        const rows = features.shape[0] * perImage;
        return { rows, next: () => tf.tensor2d([[0, 10, 0, 0]].flatMap((r) => Array(rows).fill(r))) };
      },
    };
    const features = toy.features(2);
    const s = tf.tidy(() => sampleWithLogprobs(withSteps, features, { rng: new Random(1), samplesPerImage: 2 }).tokens);
    expect(calls).toEqual([2]);
    expect(Array.from(s.subarray(0, 3))).toEqual([1, 1, 1]); // p(1) ≈ 1 − 1.4e-4
    const bad: CaptionModel<tf.Tensor2D> = {
      ...withSteps,
      samplingSteps: () => ({ rows: 1, next: () => tf.zeros([1, 3]) as tf.Tensor2D }),
    };
    expect(() => tf.tidy(() => void sampleWithLogprobs(bad, features, { method: 'greedy' }))).toThrow(
      'step 0 gave scores of shape [1, 3], expected [1, 4]',
    );
    expect(() => sampleWithLogprobs(withSteps, features, {})).toThrow('rng is required for sampling');
    tf.dispose(features);
    toy.dispose();
  });
});

describe('selfCriticalStep and greedyBaselineRewards', () => {
  const config = { vocabSize: 6, features: 5, embed: 8, hidden: 8, dropout: 0.3 };
  // a reward that prefers captions holding word 1, so advantages are not all zero
  const reward: CaptionReward = (captions) => captions.map((c) => c.filter((w) => w === 1).length + 0.1 * c.length);

  it('composes samples, reward, baseline and weight into selfCriticalLoss; weight 0 gives 0', () => {
    const model = new TinyCaptioner(config, { rng: new Random(21) });
    const features = tf.tensor2d(
      Float32Array.from({ length: 10 }, (_, i) => Math.sin(i + 1)),
      [2, 5],
    );
    const greedyRewards = greedyBaselineRewards(model, features, { reward, maxLength: 5 });
    expect(model.training).toBe(true); // switched to eval for the decode, then back
    expect(greedyRewards.length).toBe(2);
    const run = (baseline: 'greedy' | 'mean', rewardWeight: number) =>
      tf.tidy(() => {
        const rng = new Random(22);
        model.useRandom?.(new Random(23));
        const step = selfCriticalStep(model, features, {
          rng,
          samplesPerImage: 3,
          maxLength: 5,
          reward,
          baseline,
          greedyRewards,
          rewardWeight,
        });
        const s = step.samples;
        const advantages = Float32Array.from(step.sampleRewards, (r, i) =>
          baseline === 'greedy'
            ? rewardWeight * (r - (greedyRewards[Math.floor(i / 3)] as number))
            : rewardWeight *
              (r -
                (step.sampleRewards
                  .subarray(3 * Math.floor(i / 3), 3 * Math.floor(i / 3) + 3)
                  .reduce((a, b) => a + b, 0) -
                  r) /
                  2),
        );
        const expected = selfCriticalLoss(
          s.logprobs,
          tf.tensor2d(s.tokens, [s.rows, s.maxLength], 'int32'),
          tf.tensor1d(advantages),
        );
        return { loss: step.loss.dataSync()[0] as number, expected: expected.dataSync()[0] as number };
      });
    for (const baseline of ['greedy', 'mean'] as const) {
      const one = run(baseline, 1);
      expect(one.loss).toBeCloseTo(one.expected, 6);
      expect(one.loss).not.toBe(0);
      const two = run(baseline, 2);
      expect(two.loss).toBeCloseTo(2 * one.loss, 5);
      expect(Math.abs(run(baseline, 0).loss)).toBe(0);
    }
    features.dispose();
    model.dispose();
  });

  it('has a gradient through the drawn words and leaks no tensors; bad rewards and options are named', () => {
    const model = new TinyCaptioner(config, { rng: new Random(31) });
    model.useRandom?.(new Random(32));
    const features = tf.tensor2d(
      Float32Array.from({ length: 10 }, (_, i) => Math.cos(i)),
      [2, 5],
    );
    const before = tf.memory().numTensors;
    const { loss, grads } = computeGradients(
      model,
      () =>
        selfCriticalStep(model, features, { rng: new Random(33), samplesPerImage: 2, reward, baseline: 'mean' }).loss,
    );
    const g = grads.get('logit.weight')?.dataSync() ?? new Float32Array();
    expect(g.every(Number.isFinite) && g.some((x) => x !== 0)).toBe(true);
    tf.dispose([loss, ...grads.values()]);
    expect(tf.memory().numTensors).toBe(before);
    const options = { rng: new Random(1), samplesPerImage: 2, reward, baseline: 'greedy' as const };
    expect(() => tf.tidy(() => void selfCriticalStep(model, features, options))).toThrow('needs greedyRewards');
    const short: CaptionReward = () => [1];
    expect(() =>
      tf.tidy(() => void selfCriticalStep(model, features, { ...options, baseline: 'mean', reward: short })),
    ).toThrow('the reward gave 1 values for 4 captions');
    const nan: CaptionReward = (c) => c.map(() => Number.NaN);
    expect(() => greedyBaselineRewards(model, features, { reward: nan })).toThrow('reward 0 is NaN');
    expect(model.training).toBe(true);
    features.dispose();
    model.dispose();
  });
});
