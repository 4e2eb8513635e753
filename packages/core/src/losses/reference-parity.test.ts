/**
 * Parity of the losses with AoANet's `misc/utils.py` criteria (../shared/data/aoanet-reference, case
 * `criteria` of layers.safetensors): losses within atol 1e-5 and gradients with respect to the
 * log-probabilities within atol 1e-7, the fixture README's recommended tolerances.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeWithShared, maxAbsDiff } from '@caption/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend/init-backend';
import { loadFixture, readyBackend, type Fixture } from '../nn/test-helpers';
import { selfCriticalLoss } from './self-critical';
import { labelSmoothingLoss, sequenceCrossEntropy } from './sequence-losses';

const FILE = 'aoanet-reference/layers.safetensors';
const LOSS_ATOL = 1e-5;
const GRAD_ATOL = 1e-7;

interface CriteriaJson {
  cases: {
    criteria: {
      losses: { label_smoothing: number; language_model: number; reward: number };
      config: { label_smoothing: number };
    };
  };
}

/** The loss and its gradient with respect to `input` (a fixture tensor), as plain numbers. */
function lossAndGrad(input: tf.Tensor, loss: (x: tf.Tensor) => tf.Scalar): { value: number; grad: Float32Array } {
  const x = tf.variable(input);
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => loss(x), [x]);
    return {
      value: value.dataSync()[0] as number,
      grad: (grads[x.name] as tf.Tensor).dataSync().slice() as Float32Array,
    };
  });
  expect(tf.memory().numTensors).toBe(before);
  x.dispose();
  return out;
}

describeWithShared(
  'AoANet reference parity of the criteria (layers.safetensors, case criteria)',
  [FILE, 'aoanet-reference/layers.json'],
  (data) => {
    let fx: Fixture;
    let expected: CriteriaJson['cases']['criteria'];
    beforeAll(async () => {
      await readyBackend();
      fx = loadFixture(data.readBytes(FILE), data.path(FILE));
      expected = data.readJson<CriteriaJson>('aoanet-reference/layers.json').cases.criteria;
    });

    for (const backend of ['wasm', 'cpu'] as const) {
      describe(`on ${backend}`, () => {
        beforeAll(async () => {
          await initBackend(backend, { quiet: true });
        });

        it('LanguageModelCriterion = sequenceCrossEntropy: loss and gradient', () => {
          const [logprobs, target, mask] = ['crit.in.logprobs', 'crit.in.target', 'crit.in.target_mask'].map((n) =>
            fx.tensor(n),
          ) as [tf.Tensor, tf.Tensor, tf.Tensor];
          const { value, grad } = lossAndGrad(logprobs, (x) => sequenceCrossEntropy(x, target, mask));
          expect(Math.abs(value - expected.losses.language_model)).toBeLessThanOrEqual(LOSS_ATOL);
          expect(maxAbsDiff(grad, fx.data('crit.grad.language_model.logprobs'))).toBeLessThanOrEqual(GRAD_ATOL);
          tf.dispose([logprobs, target, mask]);
        });

        it('LabelSmoothing(0.2) = labelSmoothingLoss: KL form over V+1 classes, loss and gradient', () => {
          const [logprobs, target, mask] = ['crit.in.logprobs', 'crit.in.target', 'crit.in.target_mask'].map((n) =>
            fx.tensor(n),
          ) as [tf.Tensor, tf.Tensor, tf.Tensor];
          const { value, grad } = lossAndGrad(logprobs, (x) =>
            labelSmoothingLoss(x, target, mask, expected.config.label_smoothing),
          );
          expect(Math.abs(value - expected.losses.label_smoothing)).toBeLessThanOrEqual(LOSS_ATOL);
          expect(maxAbsDiff(grad, fx.data('crit.grad.label_smoothing.logprobs'))).toBeLessThanOrEqual(GRAD_ATOL);
          tf.dispose([logprobs, target, mask]);
        });

        it('LabelSmoothing(0.2) from logits (labelSmoothingLoss input: logits, the fused op): loss and gradient', () => {
          // log_softmax of log-probabilities is themselves, so the fixture's log-probs serve as logits; the
          // expected gradient with respect to the logits is log_softmax's backward pass of the fixture's
          // gradient with respect to the log-probs: g − exp(logprobs)·Σ_v g (per position, in float64 here)
          const [logprobs, target, mask] = ['crit.in.logprobs', 'crit.in.target', 'crit.in.target_mask'].map((n) =>
            fx.tensor(n),
          ) as [tf.Tensor, tf.Tensor, tf.Tensor];
          const { value, grad } = lossAndGrad(logprobs, (x) =>
            labelSmoothingLoss(x, target, mask, expected.config.label_smoothing, { input: 'logits' }),
          );
          const g = fx.data('crit.grad.label_smoothing.logprobs');
          const lp = fx.data('crit.in.logprobs');
          const classes = logprobs.shape[2] as number;
          const expectedGrad = new Float64Array(g.length);
          for (let row = 0; row < g.length / classes; row++) {
            let sum = 0;
            for (let v = 0; v < classes; v++) sum += g[row * classes + v] as number;
            for (let v = 0; v < classes; v++)
              expectedGrad[row * classes + v] =
                (g[row * classes + v] as number) - Math.exp(lp[row * classes + v] as number) * sum;
          }
          expect(Math.abs(value - expected.losses.label_smoothing)).toBeLessThanOrEqual(LOSS_ATOL);
          expect(maxAbsDiff(grad, expectedGrad)).toBeLessThanOrEqual(GRAD_ATOL);
          tf.dispose([logprobs, target, mask]);
        });

        it('the criteria also accept the full label/mask rows cut as labels[:, 1:] (the loss wrapper call)', () => {
          const [logprobs, labels, masks] = ['crit.in.logprobs', 'crit.in.labels', 'crit.in.masks'].map((n) =>
            fx.tensor(n),
          ) as [tf.Tensor, tf.Tensor, tf.Tensor];
          const [n, width] = labels.shape as [number, number];
          const value = tf.tidy(
            () =>
              labelSmoothingLoss(
                logprobs,
                tf.slice(labels, [0, 1], [n, width - 1]),
                tf.slice(masks, [0, 1], [n, width - 1]),
                0.2,
              ).dataSync()[0] as number,
          );
          expect(Math.abs(value - expected.losses.label_smoothing)).toBeLessThanOrEqual(LOSS_ATOL);
          tf.dispose([logprobs, labels, masks]);
        });

        it('RewardCriterion = selfCriticalLoss: loss and gradient (a row that ends at once, a row that never ends)', () => {
          const [logp, seq, reward] = ['crit.in.sample_logprobs', 'crit.in.seq', 'crit.in.reward'].map((n) =>
            fx.tensor(n),
          ) as [tf.Tensor, tf.Tensor, tf.Tensor];
          const { value, grad } = lossAndGrad(logp, (x) => selfCriticalLoss(x, seq, reward));
          expect(Math.abs(value - expected.losses.reward)).toBeLessThanOrEqual(LOSS_ATOL);
          expect(maxAbsDiff(grad, fx.data('crit.grad.reward.sample_logprobs'))).toBeLessThanOrEqual(GRAD_ATOL);
          // The fixture's reward is one value per sequence repeated over time: the [N] form gives the same.
          const perSequence = tf.tidy(() => tf.squeeze(tf.slice(reward, [0, 0], [-1, 1]), [1]));
          const { value: value1 } = lossAndGrad(logp, (x) => selfCriticalLoss(x, seq, perSequence));
          expect(Math.abs(value1 - expected.losses.reward)).toBeLessThanOrEqual(LOSS_ATOL);
          tf.dispose([logp, seq, reward, perSequence]);
        });
      });
    }
  },
);
