/**
 * The self-critical step's reward weight (the reference's `cider_reward_weight`: reward = weight · CIDEr-D),
 * on a small Show-Tell model through the shared `selfCriticalStepLoss`.
 */
import { initBackend, Random } from '@caption/core';
import type { CaptionBatch } from '@caption/data-coco';
import { type CaptionerFactory, type CaptionFeatures, selfCriticalStepLoss } from '@caption/example-common';
import { ShowTellModel } from '@caption/example-show-tell';
import { CiderDScorer } from '@caption/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

beforeAll(async () => {
  await initBackend('wasm', { quiet: true });
});

describe('selfCriticalStepLoss: ciderRewardWeight', () => {
  it('scales the advantages by the weight (0: no loss); the logged reward stays plain CIDEr-D', () => {
    const model = new ShowTellModel(
      { vocabSize: 6, inputEncodingSize: 8, rnnSize: 8, numLayers: 1, dropProbLm: 0, fcFeatSize: 5 },
      { rng: new Random(21) },
    );
    const references = [
      [Int32Array.from([1, 2, 3, 0]), Int32Array.from([1, 4, 0])],
      [Int32Array.from([5, 2, 0]), Int32Array.from([5, 3, 1, 0])],
    ];
    const scorer = CiderDScorer.fromCorpus(references, { endToken: 0 });
    // only the fields a self-critical step reads: the fc features (Show-Tell) and the images
    const batch = {
      fcFeats: { data: new Float32Array(10).map((_, i) => Math.sin(i + 1)), shape: [2, 5] },
      attFeats: null,
      attMasks: null,
      infos: [{ id: 1 }, { id: 2 }],
    } as unknown as CaptionBatch;
    const decoded = { batch, references, greedyRewards: new Float64Array([0, 0]) };
    const factory: CaptionerFactory<CaptionFeatures> = {
      name: 'show_tell',
      uses: { fc: true, att: false },
      create: () => model,
      features: (f) => f,
    };
    const stepWith = (ciderRewardWeight: number): { loss: number; reward: number } =>
      tf.tidy(() => {
        // the same generator seed each time: the same draws
        const step = selfCriticalStepLoss(model, factory, decoded, {
          scorer,
          baseline: 'greedy',
          samplesPerImage: 3,
          maxLength: 5,
          ciderRewardWeight,
          rng: new Random(22),
        });
        return { loss: step.loss.dataSync()[0] as number, reward: step.sampleReward };
      });
    const one = stepWith(1);
    const two = stepWith(2);
    const zero = stepWith(0);
    expect(one.reward).toBeGreaterThan(0);
    expect(one.loss).not.toBe(0);
    expect(two.loss).toBeCloseTo(2 * one.loss, 5);
    expect(Math.abs(zero.loss)).toBe(0);
    expect(two.reward).toBe(one.reward);
    model.dispose();
  });
});
