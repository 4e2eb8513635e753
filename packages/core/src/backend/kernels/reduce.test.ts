import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { isCaptionKernel } from './register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from './reference';

const rng = new Random(13);
function floats(shape: number[]): HostTensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.next() * 2 - 1);
  return { shape, dtype: 'float32', values };
}

describe('wasm Sum and Mean', () => {
  it('are ours', () => {
    expect(isCaptionKernel('Sum', 'wasm')).toBe(true);
    expect(isCaptionKernel('Mean', 'wasm')).toBe(true);
  });

  const cases: Array<[number[], number | number[], boolean]> = [
    [[800, 37], 0, false],
    [[6, 7, 8], 1, false],
    [[6, 7, 8], [0, 1], true],
    [[6, 7, 8], 2, false], // innermost: the stock kernel
    [[6, 7, 8], [0, 2], false], // not contiguous: the stock kernel
    [[6, 7, 8], -1, true],
    [[4, 5], [0, 1], false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    it(`reduce [${shape.join(',')}] over ${JSON.stringify(axis)}${keepDims ? ' (keepDims)' : ''} like cpu, with gradients`, async () => {
      const x = floats(shape);
      const fn = (t: tfc.Tensor) => [
        tfc.sum(t, axis, keepDims),
        tfc.mean(t, axis, keepDims),
        tfc.grad((v: tfc.Tensor) => tfc.sum(tfc.square(tfc.mean(v, axis, keepDims))))(t),
      ];
      const reference = await runWithStockKernels('cpu', [x], (t) => fn(t!));
      const ours = hostTidy(() => fn(tfc.tensor(x.values, x.shape)));
      for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours[i]!, reference[i]!)).toBeLessThan(2e-5);
    });
  }

  it('sums int32 tensors (stock kernel)', () => {
    const x = tfc.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expect(tfc.sum(x, 0).arraySync()).toEqual([5, 7, 9]);
    x.dispose();
  });
});
