import * as tfc from '@tensorflow/tfjs-core';
import { expectAllClose } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { Adam, AdamW } from '../../optim/adam';
import { Random } from '../../random';
import { ADAM_UPDATE } from '../kernels/adam-update';
import { registerCaptionKernels } from '../kernels/register';
import { adamUpdate, type AdamUpdateOptions } from './adam-update';

const rng = new Random(17);
const randn = (shape: number[]) =>
  tfc.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1),
    shape,
  );

/** the same step through the composite path (stock ops), by hiding the kernel */
function viaStockOps(args: [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor], options: AdamUpdateOptions) {
  const backend = tfc.getBackend();
  const config = tfc.getKernel(ADAM_UPDATE, backend);
  tfc.unregisterKernel(ADAM_UPDATE, backend);
  try {
    return adamUpdate(...args, options);
  } finally {
    tfc.registerKernel(config);
    registerCaptionKernels(backend);
  }
}

describe('adamUpdate', () => {
  const variants: Array<[string, Partial<AdamUpdateOptions>]> = [
    ['Adam', {}],
    ['Adam with L2 decay', { weightDecay: 0.01 }],
    ['AdamW', { weightDecay: 0.01, decoupled: true }],
  ];
  for (const backend of ['wasm', 'cpu']) {
    for (const [label, extra] of variants) {
      it(`${label} on ${backend} equals the same formulas in stock ops, over several steps`, async () => {
        await tfc.setBackend(backend);
        try {
          let state = [randn([7, 5]), randn([7, 5]).abs(), randn([7, 5]).square()] as [
            tfc.Tensor,
            tfc.Tensor,
            tfc.Tensor,
          ];
          let reference = state.map((t) => tfc.clone(t)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor];
          for (let step = 1; step <= 3; step++) {
            const grad = randn([7, 5]);
            const options: AdamUpdateOptions = {
              learningRate: 1e-2,
              beta1: 0.9,
              beta2: 0.999,
              epsilon: 1e-8,
              step,
              ...extra,
            };
            const ours = adamUpdate(state[0], grad, state[1], state[2], options);
            const ref = viaStockOps([reference[0], grad, reference[1], reference[2]], options);
            for (const key of ['param', 'expAvg', 'expAvgSq'] as const) {
              expectAllClose(ours[key].dataSync(), ref[key].dataSync(), {
                atol: 1e-8,
                rtol: 1e-5,
                label: `${key} at step ${step}`,
              });
            }
            tfc.dispose([...state, ...reference, grad]);
            state = [ours.param, ours.expAvg, ours.expAvgSq];
            reference = [ref.param, ref.expAvg, ref.expAvgSq];
          }
          tfc.dispose([...state, ...reference]);
        } finally {
          await tfc.setBackend('wasm');
        }
      });
    }
  }

  for (const [name, Optimizer] of [
    ['Adam', Adam],
    ['AdamW', AdamW],
  ] as const) {
    for (const backend of ['wasm', 'cpu']) {
      it(`makes @caption/core's ${name} (fused) equal the op-by-op formulas bit for bit (${backend})`, async () => {
        await tfc.setBackend(backend);
        try {
          const weight = tfc.variable(randn([6, 5]), true, `adam-update-test-${name}-${backend}`);
          const optimizer = new Optimizer([['w', weight]], { learningRate: 3e-3, weightDecay: 0.02 });
          let p: tfc.Tensor = tfc.clone(weight);
          let m: tfc.Tensor = tfc.zerosLike(weight);
          let v: tfc.Tensor = tfc.zerosLike(weight);
          for (let step = 1; step <= 3; step++) {
            const grad = randn([6, 5]);
            optimizer.step({ w: grad });
            const next = viaStockOps([p, grad, m, v], {
              learningRate: 3e-3,
              beta1: optimizer.beta1,
              beta2: optimizer.beta2,
              epsilon: optimizer.epsilon,
              step,
              weightDecay: 0.02,
              decoupled: name === 'AdamW',
            });
            tfc.dispose([p, m, v, grad]);
            ({ param: p, expAvg: m, expAvgSq: v } = next);
            const moments = optimizer.stateTensors();
            expect(Array.from(weight.dataSync())).toEqual(Array.from(p.dataSync()));
            expect(Array.from(moments.get('exp_avg.w')!.dataSync())).toEqual(Array.from(m.dataSync()));
            expect(Array.from(moments.get('exp_avg_sq.w')!.dataSync())).toEqual(Array.from(v.dataSync()));
          }
          tfc.dispose([p, m, v, weight]);
          optimizer.dispose();
        } finally {
          await tfc.setBackend('wasm');
        }
      });
    }
  }

  it('rejects mismatched shapes and a step below 1', () => {
    const a = tfc.zeros([2, 2]);
    const b = tfc.zeros([4]);
    const options = { learningRate: 1, beta1: 0.9, beta2: 0.9, epsilon: 1e-8, step: 1 };
    expect(() => adamUpdate(a, b, a, a, options)).toThrow(/grad has shape \[4\], param \[2,2\]/);
    expect(() => adamUpdate(a, a, a, a, { ...options, step: 0 })).toThrow(/step must be an integer/);
    tfc.dispose([a, b]);
  });
});
