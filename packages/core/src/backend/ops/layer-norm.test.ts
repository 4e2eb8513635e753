import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ModuleError } from '../../nn/errors';
import { checkGradients } from '../../nn/gradient-check';
import { LayerNorm } from '../../nn/layer-norm';
import { Random } from '../../random';
import { BackendError } from '../errors';
import { LAYER_NORM, LAYER_NORM_GRAD, type LayerNormVariant } from '../kernels/layer-norm';
import { registerCaptionKernels } from '../kernels/register';
import { hostTidy, runWithStockKernels, type HostTensor } from '../kernels/reference';
import { layerNorm, layerNormInStockOps, type LayerNormOptions } from './layer-norm';

const rng = new Random(11);
function host(shape: number[], scale: number, offset = 0): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, () => offset + (rng.next() * 2 - 1) * scale);
  return { shape, dtype: 'float32', values };
}

/** `x` with its first row all zeros and its last row constant (zero variance); other rows random. */
function xWithConstantRows(shape: number[]): HostTensor {
  const x = host(shape, 2, 0.5);
  const features = shape[shape.length - 1]!;
  x.values.fill(0, 0, features);
  x.values.fill(1.5, x.values.length - features);
  return x;
}

/**
 * Per row, the size of the terms whose difference is the input gradient, `max_j |γ_j·w_j| / D` (D the row's
 * denominator): float32 rounds them before they cancel (for F = 2 the annotated gradient is almost all
 * cancellation), so float32 results agree to ~1e-6 of this, not of the gradient itself.
 */
function inputGradientScales(x: HostTensor, gain: HostTensor, w: HostTensor, options: LayerNormOptions): number[] {
  const features = gain.values.length;
  const scales: number[] = [];
  for (let base = 0; base < x.values.length; base += features) {
    const row = Array.from(x.values.slice(base, base + features));
    const mean = row.reduce((a, b) => a + b, 0) / features;
    const squares = row.reduce((a, b) => a + (b - mean) ** 2, 0);
    const denominator =
      options.variant === 'standard'
        ? Math.sqrt(squares / features + options.eps)
        : Math.sqrt(squares / (features - 1)) + options.eps;
    let largest = 0;
    for (let j = 0; j < features; j++) largest = Math.max(largest, Math.abs(gain.values[j]! * w.values[base + j]!));
    scales.push(largest / denominator);
  }
  return scales;
}

type LayerNormFn = (x: tfc.Tensor, gain: tfc.Tensor, shift: tfc.Tensor, options: LayerNormOptions) => tfc.Tensor;

/** `[y, dx, dgain, dshift]` of `sum(y · w)`. */
function valueAndGrads(fn: LayerNormFn, options: LayerNormOptions) {
  return (x: tfc.Tensor, gain: tfc.Tensor, shift: tfc.Tensor, w: tfc.Tensor): tfc.Tensor[] => {
    const f = (a: tfc.Tensor, g: tfc.Tensor, s: tfc.Tensor) => tfc.sum(tfc.mul(fn(a, g, s, options), w));
    return [fn(x, gain, shift, options), ...tfc.grads(f)([x, gain, shift])];
  };
}

/**
 * Largest `|got − expected|` of any row of `features` values, relative to that row's largest `|expected|`
 * (at least 1, and at least `rowScales[r]` when given): the constant rows' annotated gradients are ~1e6
 * (γ·dy/eps), the others ~1.
 */
function rowRelativeError(got: HostTensor, expected: HostTensor, features: number, rowScales?: number[]): number {
  expect(got.shape).toEqual(expected.shape);
  let worst = 0;
  for (let base = 0; base < expected.values.length; base += features) {
    let scale = Math.max(1, rowScales?.[base / features] ?? 0);
    let diff = 0;
    for (let j = base; j < base + features; j++) {
      scale = Math.max(scale, Math.abs(expected.values[j]!));
      const d = Math.abs(got.values[j]! - expected.values[j]!);
      diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

describe('layerNorm', () => {
  const variants: LayerNormVariant[] = ['standard', 'annotated'];
  const shapes = [2, 5, 64].flatMap((f) => [
    [4, f],
    [2, 3, f],
    [2, 2, 3, f],
  ]);
  for (const variant of variants) {
    const options: LayerNormOptions = { variant, eps: variant === 'standard' ? 1e-5 : 1e-6 };
    it(`${variant}: values and gradients (x, gain, shift) equal the stock-op version, ranks 2-4, F = 2, 5, 64, zero-variance rows, on wasm and cpu`, async () => {
      for (const shape of shapes) {
        const features = shape[shape.length - 1]!;
        const inputs = [xWithConstantRows(shape), host([features], 0.5, 1), host([features], 0.5), host(shape, 1)];
        const expected = await runWithStockKernels('cpu', inputs, (x, g, s, w) =>
          valueAndGrads(layerNormInStockOps, options)(x!, g!, s!, w!),
        );
        for (const backend of ['wasm', 'cpu']) {
          await tfc.setBackend(backend);
          try {
            const got = hostTidy(() =>
              valueAndGrads(
                layerNorm,
                options,
              )(
                ...(inputs.map((h) => tfc.tensor(h.values, h.shape, h.dtype)) as [
                  tfc.Tensor,
                  tfc.Tensor,
                  tfc.Tensor,
                  tfc.Tensor,
                ]),
              ),
            );
            const where = `${backend} [${shape.join(',')}]`;
            expect(rowRelativeError(got[0]!, expected[0]!, features), `${where} y`).toBeLessThan(1e-5);
            const scales = inputGradientScales(inputs[0]!, inputs[1]!, inputs[3]!, options);
            expect(rowRelativeError(got[1]!, expected[1]!, features, scales), `${where} dx`).toBeLessThan(1e-5);
            for (const [i, name] of [
              [2, 'dgain'],
              [3, 'dshift'],
            ] as const) {
              // sums over rows: relative to the largest sum
              expect(rowRelativeError(got[i]!, expected[i]!, features), `${where} ${name}`).toBeLessThan(2e-5);
            }
            for (const t of got) expect(Array.from(t.values).every(Number.isFinite), where).toBe(true);
          } finally {
            await tfc.setBackend('wasm');
          }
        }
      }
    });

    it(`${variant}: gradients match finite differences on wasm and cpu`, async () => {
      for (const backend of ['wasm', 'cpu']) {
        await tfc.setBackend(backend);
        try {
          const x = tfc.variable(tfc.tensor(host([2, 3, 7], 2).values, [2, 3, 7]));
          const gain = tfc.variable(tfc.tensor(host([7], 0.5, 1).values));
          const shift = tfc.variable(tfc.tensor(host([7], 0.5).values));
          const report = checkGradients(
            () => layerNorm(x, gain, shift, options),
            [
              ['x', x],
              ['gain', gain],
              ['shift', shift],
            ],
          );
          expect(report.passed, `${backend}: ${report.summary}`).toBe(true);
          tfc.dispose([x, gain, shift]);
        } finally {
          await tfc.setBackend('wasm');
        }
      }
    });
  }

  it('annotated: a constant row gives gain·dy/eps minus its mean as input gradient (std′ := 0), as PyTorch', () => {
    const [dx] = hostTidy(() => {
      const x = tfc.tensor2d([
        [0.25, 0.25, 0.25, 0.25],
        [1, -2, 0.5, 3],
      ]);
      const gain = tfc.tensor1d([1, 2, -1, 0.5]);
      const w = tfc.tensor2d([
        [0.3, -1, 2, 0.1],
        [1, 1, -1, 0.5],
      ]);
      const f = (a: tfc.Tensor) =>
        tfc.sum(tfc.mul(layerNorm(a, gain, tfc.zeros([4]), { variant: 'annotated', eps: 1e-6 }), w));
      return [tfc.grad(f)(x)];
    });
    const g = [0.3, -2, -2, 0.05].map((v) => v / 1e-6);
    const mean = g.reduce((a, b) => a + b, 0) / 4;
    const row = Array.from(dx!.values.slice(0, 4));
    row.forEach((v, j) => expect(Math.abs(v - (g[j]! - mean))).toBeLessThan(1e-6 * Math.abs(g[j]! - mean) + 1e-3));
  });

  it('runs as one kernel forward and one backward on wasm and cpu', async () => {
    for (const backend of ['wasm', 'cpu']) {
      await tfc.setBackend(backend);
      try {
        const x = tfc.randomNormal([3, 4, 8]);
        const [gain, shift] = [tfc.ones([8]), tfc.zeros([8])];
        const options: LayerNormOptions = { variant: 'annotated', eps: 1e-6 };
        const forward = await tfc.profile(() => layerNorm(x, gain, shift, options));
        // '' is customGrad's own scope, not a kernel
        expect(forward.kernelNames.filter((n) => n !== '')).toEqual([LAYER_NORM]);
        const backwardPass = await tfc.profile(() =>
          tfc.grads((a, g, s) => layerNorm(a, g, s, options))([x, gain, shift]),
        );
        // besides the engine's bookkeeping (scopes, the seed gradient, clones of saved tensors), our two kernels
        expect(backwardPass.kernelNames.filter((n) => n.startsWith('Caption'))).toEqual([LAYER_NORM, LAYER_NORM_GRAD]);
        const others = backwardPass.kernelNames.filter((n) => !n.startsWith('Caption'));
        expect(
          others.every((n) => ['', 'forward', 'Identity', 'OnesLike'].includes(n)),
          others.join(' '),
        ).toBe(true);
        tfc.dispose([x, gain, shift]);
      } finally {
        await tfc.setBackend('wasm');
      }
    }
  });

  it('falls back to stock ops on a backend without its kernels, with the same result', () => {
    const inputs = [xWithConstantRows([3, 6]), host([6], 0.5, 1), host([6], 0.5), host([3, 6], 1)];
    const options: LayerNormOptions = { variant: 'standard', eps: 1e-5 };
    const make = () =>
      inputs.map((h) => tfc.tensor(h.values, h.shape, h.dtype)) as [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor];
    const fusedResult = hostTidy(() => valueAndGrads(layerNorm, options)(...make()));
    const configs = [LAYER_NORM, LAYER_NORM_GRAD].map((name) => tfc.getKernel(name, 'wasm'));
    for (const name of [LAYER_NORM, LAYER_NORM_GRAD]) tfc.unregisterKernel(name, 'wasm');
    try {
      const fallback = hostTidy(() => valueAndGrads(layerNorm, options)(...make()));
      for (let i = 0; i < 4; i++) expect(rowRelativeError(fallback[i]!, fusedResult[i]!, 6)).toBeLessThan(1e-5);
    } finally {
      for (const config of configs) tfc.registerKernel(config);
      registerCaptionKernels('wasm');
    }
  });

  it('rejects a gain or shift that is not [F] for the last dimension of x, and bad options, with typed errors', () => {
    const x = tfc.zeros([2, 3, 4]);
    const ok = { variant: 'standard', eps: 1e-5 } as const;
    expect(() => layerNorm(x, tfc.ones([3]), tfc.zeros([4]), ok)).toThrow(
      /gain has shape \[3\], expected \[4\] \(the last dimension of x \[2, 3, 4\]\)/,
    );
    expect(() => layerNorm(x, tfc.ones([4]), tfc.zeros([1, 4]), ok)).toThrow(BackendError);
    expect(() => layerNorm(tfc.scalar(1), tfc.ones([1]), tfc.zeros([1]), ok)).toThrow(BackendError);
    expect(() => layerNorm(x, tfc.ones([4]), tfc.zeros([4]), { variant: 'standard', eps: 0 })).toThrow(BackendError);
    expect(() =>
      layerNorm(tfc.zeros([2, 1]), tfc.ones([1]), tfc.zeros([1]), { variant: 'annotated', eps: 1e-6 }),
    ).toThrow(BackendError);
    expect(() => layerNorm(tfc.zeros([2, 4], 'int32'), tfc.ones([4]), tfc.zeros([4]), ok)).toThrow(/x must be float32/);
    // LayerNorm's own check comes first and names the module
    const norm = new LayerNorm({ features: 4 });
    expect(() => norm.apply(tfc.zeros([2, 5]))).toThrow(ModuleError);
    expect(() => norm.apply(tfc.zeros([2, 5]))).toThrow(/expected last dimension 4/);
    norm.dispose();
    tfc.dispose(x);
  });

  it('leaves no tensor behind, forward and backward', () => {
    const x = tfc.randomNormal([4, 5]);
    const [gain, shift] = [tfc.ones([5]), tfc.zeros([5])];
    const before = tfc.memory().numTensors;
    tfc.tidy(() => {
      const options: LayerNormOptions = { variant: 'annotated', eps: 1e-6 };
      for (const g of tfc.grads((a, b, c) => tfc.sum(layerNorm(a, b, c, options)))([x, gain, shift])) g.dataSync();
    });
    expect(tfc.memory().numTensors).toBe(before);
    tfc.dispose([x, gain, shift]);
  });
});
