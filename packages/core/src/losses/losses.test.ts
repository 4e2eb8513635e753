import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../random';
import { checkGradients } from '../nn/gradient-check';
import { randomTensor, readyBackend } from '../nn/test-helpers';
import { LossInputError } from './errors';
import { greedyBaselineAdvantages, meanOfOthersAdvantages, selfCriticalLoss } from './self-critical';
import { labelSmoothingLoss, sequenceCrossEntropy, tokenLogprobs } from './sequence-losses';

const N = 3;
const T = 4;
const V = 6;
// Caption lengths 3, 1 and 0 words: the mask covers the words plus one end token.
const TARGET = [4, 2, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0];
const MASK = [1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0];

function logSoftmaxRows(logits: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < logits.length / classes; r++) {
    const row = Array.from(logits.slice(r * classes, (r + 1) * classes));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, b) => a + Math.exp(b - m), 0));
    out.push(...row.map((v) => v - lse));
  }
  return out;
}

describe('sequence losses', () => {
  beforeAll(readyBackend);

  it('cross-entropy and label smoothing match float64 formulas (KL form over V classes)', () => {
    const logits = randomTensor([N, T, V], new Random(1), 2);
    const logprobs = tf.logSoftmax(logits);
    const lp = logSoftmaxRows(logits.dataSync() as Float32Array, V);
    const target = tf.tensor2d(TARGET, [N, T], 'int32');
    const mask = tf.tensor2d(MASK, [N, T]);
    const maskSum = MASK.reduce((a, b) => a + b, 0);

    let xe = 0;
    let kl = 0;
    const eps = 0.2;
    for (let p = 0; p < N * T; p++) {
      const gold = TARGET[p] as number;
      xe -= (MASK[p] as number) * (lp[p * V + gold] as number);
      let rowKl = 0;
      for (let v = 0; v < V; v++) {
        const q = v === gold ? 1 - eps : eps / (V - 1);
        rowKl += q * (Math.log(q) - (lp[p * V + v] as number));
      }
      kl += (MASK[p] as number) * rowKl;
    }
    expect(Math.abs(sequenceCrossEntropy(logprobs, target, mask).dataSync()[0] as number) - xe / maskSum).toBeLessThan(
      1e-6,
    );
    expect(
      Math.abs((labelSmoothingLoss(logprobs, target, mask, eps).dataSync()[0] as number) - kl / maskSum),
    ).toBeLessThan(1e-6);
    // smoothing 0 is the cross-entropy
    expect(
      Math.abs((labelSmoothingLoss(logprobs, target, mask, 0).dataSync()[0] as number) - xe / maskSum),
    ).toBeLessThan(1e-6);
    tf.dispose([logits, logprobs, target, mask]);
  });

  it('cut longer targets to the time length of the log-probs, and give 0 for an all-masked batch', () => {
    const logprobs = tf.logSoftmax(randomTensor([N, T, V], new Random(2)));
    const target = tf.tensor2d(TARGET, [N, T], 'int32');
    const mask = tf.tensor2d(MASK, [N, T]);
    const longTarget = tf.concat([target, tf.zeros([N, 2], 'int32')], 1);
    const longMask = tf.concat([mask, tf.ones([N, 2])], 1);
    const a = sequenceCrossEntropy(logprobs, target, mask).dataSync()[0];
    const b = sequenceCrossEntropy(logprobs, longTarget, longMask).dataSync()[0];
    expect(b).toBe(a);
    const empty = tf.zeros([N, T]);
    expect(labelSmoothingLoss(logprobs, target, empty, 0.2).dataSync()[0]).toBe(0);
    expect(() =>
      sequenceCrossEntropy(logprobs, tf.slice(target, [0, 0], [N, 2]), tf.slice(mask, [0, 0], [N, 2])),
    ).toThrow(/target has shape \[3, 2\], expected \[3, T' >= 4\]/);
    expect(() => sequenceCrossEntropy(logprobs, tf.cast(target, 'float32'), mask)).toThrow(LossInputError);
    expect(() => labelSmoothingLoss(logprobs, target, mask, 1)).toThrow(/smoothing must be in \[0, 1\)/);
    tf.dispose([logprobs, target, mask, longTarget, longMask, empty]);
  });

  it('gradients match finite differences (through log-softmax) without leaks', () => {
    const logits = tf.variable(randomTensor([N, T, V], new Random(3)));
    const target = tf.tensor2d(TARGET, [N, T], 'int32');
    const mask = tf.tensor2d(MASK, [N, T]);
    const before = tf.memory().numTensors;
    for (const loss of [
      () => sequenceCrossEntropy(tf.logSoftmax(logits), target, mask),
      () => labelSmoothingLoss(tf.logSoftmax(logits), target, mask, 0.2),
    ]) {
      const report = checkGradients(loss, { logits }, { maxElementsPerTensor: 40 });
      expect(report.passed, report.summary).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([logits, target, mask]);
  });

  it('tokenLogprobs picks logprobs[n, t, tokens[n, t]]', () => {
    const logprobs = randomTensor([2, 2, 3], new Random(4));
    const picked = tokenLogprobs(
      logprobs,
      tf.tensor2d(
        [
          [2, 0],
          [1, 1],
        ],
        [2, 2],
        'int32',
      ),
    ).dataSync();
    const all = logprobs.dataSync();
    expect(Array.from(picked)).toEqual([all[2], all[3], all[7], all[10]]);
    logprobs.dispose();
  });
});

describe('self-critical loss and baselines', () => {
  beforeAll(readyBackend);

  it('masks with [1, seq > 0 shifted] and normalises once over the batch', () => {
    const seq = tf.tensor2d(
      [
        [5, 3, 0, 0],
        [0, 0, 0, 0],
        [1, 2, 3, 4],
      ],
      [3, 4],
      'int32',
    );
    const logp = randomTensor([3, 4], new Random(5), 3);
    const adv = [0.5, -1, 2];
    const loss = selfCriticalLoss(logp, seq, tf.tensor1d(adv)).dataSync()[0] as number;
    const mask = [1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1];
    const lp = logp.dataSync();
    let num = 0;
    mask.forEach((m, i) => {
      num -= m * (lp[i] as number) * (adv[Math.floor(i / 4)] as number);
    });
    expect(Math.abs(loss - num / 8)).toBeLessThan(1e-6);
    // per-step advantages equal to the repeated per-sequence ones give the same loss
    const perStep = tf.tensor2d(
      adv.flatMap((a) => [a, a, a, a]),
      [3, 4],
    );
    expect(Math.abs((selfCriticalLoss(logp, seq, perStep).dataSync()[0] as number) - loss)).toBeLessThan(1e-7);
    expect(() => selfCriticalLoss(logp, seq, tf.tensor1d([1, 2]))).toThrow(
      /advantages has shape \[2\], expected \[3\] or \[3, 4\]/,
    );

    const x = tf.variable(logp);
    const report = checkGradients(() => selfCriticalLoss(x, seq, tf.tensor1d(adv)), { x });
    expect(report.passed, report.summary).toBe(true);
    tf.dispose([seq, logp, perStep, x]);
  });

  it('greedy baseline: per sample or per image, samples grouped by image', () => {
    expect(Array.from(greedyBaselineAdvantages([1, 2, 3, 4], [0.5, 1.5, 2.5, 3.5]))).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(greedyBaselineAdvantages([1, 2, 3, 4], [1, 2], 2))).toEqual([0, 1, 1, 2]);
    expect(() => greedyBaselineAdvantages([1, 2, 3], [1, 2], 2)).toThrow(/3 sample rewards but 2 greedy rewards/);
    expect(() => greedyBaselineAdvantages([1, Number.NaN], [1, 2])).toThrow(/reward 1 is NaN/);
  });

  it('mean-of-others baseline: b_i = mean of the other n - 1 rewards of the image', () => {
    const adv = meanOfOthersAdvantages([1, 2, 3, 10, 10, 40], 3);
    // image 0: 1 - 2.5, 2 - 2, 3 - 1.5; image 1: 10 - 25, 10 - 25, 40 - 10
    expect(Array.from(adv)).toEqual([-1.5, 0, 1.5, -15, -15, 30]);
    expect(() => meanOfOthersAdvantages([1, 2, 3], 1)).toThrow(/integer >= 2/);
    expect(() => meanOfOthersAdvantages([1, 2, 3], 2)).toThrow(/not a multiple/);
  });
});
