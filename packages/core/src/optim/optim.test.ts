import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, type AdamOptions, OptimizerError } from './adam';
import { clipGradientsByNorm, clipGradientsByValue, computeGradients } from './gradients';
import {
  linearWarmupLearningRate,
  noamLearningRate,
  ReduceLROnPlateau,
  scheduledSamplingProbability,
  stepDecayLearningRate,
} from './schedules';

/** PyTorch's own results, made by fixtures/make-torch-fixture.py (see fixtures/README.md). */
interface TorchReference {
  shapes: Record<string, number[]>;
  lrs: number[];
  no_grad: Array<[string, number]>;
  init: Record<string, number[]>;
  grads: Array<Record<string, number[]>>;
  optimizers: Array<{
    kind: 'adam' | 'adamw';
    options: { betas: [number, number]; eps: number; weight_decay: number };
    params_after_step: Array<Record<string, number[]>>;
    final_state: Record<string, { step: number; exp_avg: number[]; exp_avg_sq: number[] }>;
  }>;
  clip_norm: Array<{ max_norm: number; total_norm: number; clipped: Record<string, number[]> }>;
  clip_value: { clip: number; clipped: Record<string, number[]> };
  plateau: Array<{
    options: {
      mode: 'min' | 'max';
      factor: number;
      patience: number;
      threshold?: number;
      threshold_mode?: 'rel' | 'abs';
      cooldown?: number;
      min_lr?: number;
      eps?: number;
    };
    initial_lr: number;
    metrics: number[];
    lr_after_step: number[];
  }>;
}

const here = dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(readFileSync(join(here, 'fixtures', 'torch-reference.json'), 'utf8')) as TorchReference;

function expectClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  atol: number,
  rtol: number,
  what: string,
): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    worst = Math.max(worst, Math.abs((actual[i] as number) - e) - rtol * Math.abs(e));
  }
  expect(worst, `${what}: worst |diff| - rtol·|expected|`).toBeLessThanOrEqual(atol);
}

beforeAll(async () => {
  await tf.ready();
});

describe('Adam and AdamW against torch.optim (fixture computed by PyTorch 1.13)', () => {
  for (const [i, c] of ref.optimizers.entries()) {
    it(`${c.kind} betas ${c.options.betas.join('/')} eps ${c.options.eps} weight decay ${c.options.weight_decay}`, () => {
      const params = Object.entries(ref.init).map(
        ([n, v]) =>
          [n, tf.variable(tf.tensor(v, ref.shapes[n]), true, `optim-test-${i}-${n}`)] as [string, tf.Variable],
      );
      const options: AdamOptions = {
        beta1: c.options.betas[0],
        beta2: c.options.betas[1],
        epsilon: c.options.eps,
        weightDecay: c.options.weight_decay,
      };
      const opt = c.kind === 'adamw' ? new AdamW(params, options) : new Adam(params, options);
      expect(opt.kind).toBe(c.kind);
      const before = tf.memory().numTensors;
      ref.grads.forEach((stepGrads, step) => {
        const grads = new Map<string, tf.Tensor>();
        for (const [n, g] of Object.entries(stepGrads)) {
          if (!ref.no_grad.some(([pn, ps]) => pn === n && ps === step)) grads.set(n, tf.tensor(g, ref.shapes[n]));
        }
        opt.step(grads, ref.lrs[step]);
        tf.dispose([...grads.values()]);
        if (step > 0) expect(tf.memory().numTensors).toBe(before + 2 * params.length); // the moments only
        for (const [n, v] of params)
          expectClose(v.dataSync(), c.params_after_step[step]![n]!, 2e-7, 2e-6, `${n} after step ${step}`);
      });
      const state = opt.getState();
      const tensors = opt.stateTensors();
      for (const [n] of params) {
        const s = c.final_state[n]!;
        expect(state.steps[n]).toBe(s.step);
        expectClose(tensors.get(`exp_avg.${n}`)!.dataSync(), s.exp_avg, 1e-8, 2e-6, `exp_avg ${n}`);
        expectClose(tensors.get(`exp_avg_sq.${n}`)!.dataSync(), s.exp_avg_sq, 1e-9, 2e-6, `exp_avg_sq ${n}`);
      }
      opt.dispose();
      for (const [, v] of params) v.dispose();
    });
  }

  it('a restored optimiser continues exactly where the saved one was', () => {
    const make = (tag: string): Array<[string, tf.Variable]> =>
      Object.entries(ref.init).map(([n, v]) => [
        n,
        tf.variable(tf.tensor(v, ref.shapes[n]), true, `resume-${tag}-${n}`),
      ]);
    const gradsAt = (step: number): Map<string, tf.Tensor> =>
      new Map(Object.entries(ref.grads[step]!).map(([n, g]) => [n, tf.tensor(g, ref.shapes[n])]));
    const a = make('a');
    const optA = new AdamW(a, { learningRate: 1e-3 });
    for (let s = 0; s < 6; s++) {
      const g = gradsAt(s);
      optA.step(g);
      if (s === 2) {
        // snapshot after 3 steps into a second optimiser over copies of the weights
        const b = make('b');
        b.forEach(([, v], k) => v.assign(a[k]![1]));
        const optB = new AdamW(b, { learningRate: 1e-3 });
        const tensors = new Map([...optA.stateTensors()].map(([n, t]) => [n, t.clone()]));
        optB.loadState(JSON.parse(JSON.stringify(optA.getState())), tensors);
        tf.dispose([...tensors.values()]);
        for (let r = 3; r < 6; r++) {
          const gr = gradsAt(r);
          optB.step(gr);
          tf.dispose([...gr.values()]);
        }
        (optA as unknown as { resumed: Array<[string, tf.Variable]> }).resumed = b;
        optB.dispose();
      }
      tf.dispose([...g.values()]);
    }
    const b = (optA as unknown as { resumed: Array<[string, tf.Variable]> }).resumed;
    a.forEach(([, v], k) => expect(Array.from(v.dataSync())).toEqual(Array.from(b[k]![1].dataSync())));
    optA.dispose();
    for (const [, v] of [...a, ...b]) v.dispose();
  });

  it('rejects unknown parameters, wrong shapes and mismatched saved states', () => {
    const v = tf.variable(tf.zeros([2]), true, 'optim-err-v');
    const opt = new Adam([['w', v]]);
    const g = tf.ones([3]);
    expect(() => opt.step(new Map([['w', g]]))).toThrow(/shape \[3\]/);
    expect(() => opt.step(new Map([['x', g]]))).toThrow(/unknown parameter 'x'/);
    expect(() => new Adam([['w', v]], { beta1: 1 })).toThrow(OptimizerError);
    expect(() => opt.loadState({ ...opt.getState(), kind: 'adamw' }, new Map())).toThrow(/adamw/);
    g.dispose();
    v.dispose();
  });
});

describe('gradient helpers', () => {
  it('clipGradientsByNorm equals torch.nn.utils.clip_grad_norm_ (above and below the limit)', () => {
    for (const [k, c] of ref.clip_norm.entries()) {
      const grads = new Map(Object.entries(ref.grads[k]!).map(([n, g]) => [n, tf.tensor(g, ref.shapes[n])]));
      const out = clipGradientsByNorm(grads, c.max_norm);
      expect(out.totalNorm.dataSync()[0]).toBeCloseTo(c.total_norm, 4);
      for (const [n, g] of out.grads) expectClose(g.dataSync(), c.clipped[n]!, 1e-7, 2e-6, n);
      tf.dispose([...grads.values(), ...out.grads.values(), out.totalNorm]);
    }
  });

  it('clipGradientsByValue equals AoANet clip_gradient (clamp)', () => {
    const grads = new Map(Object.entries(ref.grads[0]!).map(([n, g]) => [n, tf.tensor(g, ref.shapes[n])]));
    const out = clipGradientsByValue(grads, ref.clip_value.clip);
    for (const [n, g] of out) expect(Array.from(g.dataSync())).toEqual(ref.clip_value.clipped[n]!.map(Math.fround));
    tf.dispose([...grads.values(), ...out.values()]);
  });

  it('computeGradients keys gradients by parameter name and leaves unused parameters out', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, 'cg-w');
    const unused = tf.variable(tf.tensor1d([5]), true, 'cg-unused');
    const { loss, grads } = computeGradients(
      [
        ['layer.w', w],
        ['layer.unused', unused],
      ],
      () => tf.sum(tf.square(w)) as tf.Scalar,
    );
    expect(loss.dataSync()[0]).toBe(14);
    expect([...grads.keys()]).toEqual(['layer.w']);
    expect(Array.from(grads.get('layer.w')!.dataSync())).toEqual([2, 4, 6]);
    tf.dispose([loss, ...grads.values(), w, unused]);
  });
});

describe('schedules', () => {
  it('step decay is the reference formula', () => {
    const o = { learningRate: 2e-4, decayStart: 0, decayEvery: 3, decayRate: 0.8 };
    expect([0, 1, 2, 3, 4, 6, 7].map((e) => stepDecayLearningRate(o, e))).toEqual([
      2e-4,
      2e-4,
      2e-4,
      2e-4 * 0.8,
      2e-4 * 0.8,
      2e-4 * 0.8 ** 2,
      2e-4 * 0.8 ** 2,
    ]);
    expect(stepDecayLearningRate({ ...o, decayStart: -1 }, 10)).toBe(2e-4);
  });

  it('Noam and linear warm-up', () => {
    // independent: 512^-0.5 * min(s^-0.5, s * 4000^-1.5)
    expect(noamLearningRate({ modelSize: 512, warmup: 4000 }, 100)).toBeCloseTo(
      (1 / Math.sqrt(512)) * (100 / 4000 ** 1.5),
      15,
    );
    expect(noamLearningRate({ modelSize: 512, warmup: 4000 }, 10000)).toBeCloseTo(1 / Math.sqrt(512) / 100, 15);
    const peak = noamLearningRate({ modelSize: 512, warmup: 4000 }, 4000);
    expect(noamLearningRate({ modelSize: 512, warmup: 4000 }, 3999)).toBeLessThan(peak);
    expect(noamLearningRate({ modelSize: 512, warmup: 4000 }, 4001)).toBeLessThan(peak);
    expect(linearWarmupLearningRate({ learningRate: 1e-3, warmup: 4 }, 0)).toBeCloseTo(2.5e-4, 15);
    expect(linearWarmupLearningRate({ learningRate: 1e-3, warmup: 4 }, 3)).toBeCloseTo(1e-3, 15);
    expect(linearWarmupLearningRate({ learningRate: 1e-3, warmup: 4 }, 4, 5e-4)).toBe(5e-4);
  });

  it('scheduled sampling probability is the reference formula', () => {
    const o = { start: 0, increaseEvery: 5, increaseProb: 0.05, maxProb: 0.25 };
    expect([0, 1, 4, 5, 9, 10, 24, 25, 100].map((e) => scheduledSamplingProbability(o, e))).toEqual([
      0, 0, 0, 0.05, 0.05, 0.1, 0.2, 0.25, 0.25,
    ]);
    expect(scheduledSamplingProbability({ ...o, start: -1 }, 50)).toBe(0);
  });

  it('ReduceLROnPlateau equals torch.optim.lr_scheduler.ReduceLROnPlateau and round-trips its state', () => {
    for (const p of ref.plateau) {
      const o = p.options;
      const make = (): ReduceLROnPlateau =>
        new ReduceLROnPlateau(p.initial_lr, {
          mode: o.mode,
          factor: o.factor,
          patience: o.patience,
          ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
          ...(o.threshold_mode !== undefined ? { thresholdMode: o.threshold_mode } : {}),
          ...(o.cooldown !== undefined ? { cooldown: o.cooldown } : {}),
          ...(o.min_lr !== undefined ? { minLearningRate: o.min_lr } : {}),
          ...(o.eps !== undefined ? { eps: o.eps } : {}),
        });
      const s = make();
      const lrs: number[] = [];
      let resumed: ReduceLROnPlateau | null = null;
      p.metrics.forEach((m, k) => {
        lrs.push(s.step(m));
        if (k === 7) {
          resumed = make();
          resumed.setState(JSON.parse(JSON.stringify(s.getState())));
        } else if (resumed !== null) {
          expect((resumed as ReduceLROnPlateau).step(m)).toBe(lrs[k]);
        }
      });
      lrs.forEach((lr, k) => expect(lr).toBeCloseTo(p.lr_after_step[k]!, 15));
    }
  });
});
