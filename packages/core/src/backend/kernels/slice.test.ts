import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { isCaptionKernel } from './register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from './reference';

const rng = new Random(9);
function floats(shape: number[]): HostTensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.next() * 2 - 1);
  return { shape, dtype: 'float32', values };
}

async function expectSameAsCpu(
  inputs: HostTensor[],
  fn: (...xs: tfc.Tensor[]) => tfc.Tensor[],
  tolerance = 0,
): Promise<void> {
  const reference = await runWithStockKernels('cpu', inputs, fn);
  const ours = hostTidy(() => fn(...inputs.map((h) => tfc.tensor(h.values, h.shape, h.dtype))));
  expect(ours.length).toBe(reference.length);
  ours.forEach((o, i) => {
    expect(o.dtype).toBe(reference[i]!.dtype);
    expect(maxAbsDiff(o, reference[i]!)).toBeLessThanOrEqual(tolerance);
  });
}

describe('wasm Slice, SplitV and Unpack', () => {
  it('are ours', () => {
    for (const name of ['Slice', 'SplitV', 'Unpack']) expect(isCaptionKernel(name, 'wasm')).toBe(true);
  });

  const boxes: Array<[number[], number[], number[]]> = [
    [[7], [2], [4]],
    [
      [5, 6],
      [1, 2],
      [3, 3],
    ],
    [
      [5, 6],
      [2, 0],
      [2, 6],
    ],
    [
      [3, 4, 5],
      [1, 1, 2],
      [2, 2, 3],
    ],
    [
      [2, 3, 4, 5],
      [1, 0, 1, 0],
      [1, 3, 2, 5],
    ],
    [
      [2, 2, 3, 2, 4],
      [0, 1, 1, 0, 2],
      [2, 1, 2, 2, 2],
    ],
    [
      [4, 3],
      [0, 0],
      [0, 3],
    ],
  ];
  for (const [shape, begin, size] of boxes) {
    it(`slices [${size.join(',')}] at [${begin.join(',')}] of [${shape.join(',')}] exactly like cpu`, async () => {
      await expectSameAsCpu([floats(shape)], (x) => [tfc.slice(x!, begin, size)]);
    });
  }

  it('slices int32 and bool tensors', async () => {
    const ints: HostTensor = {
      shape: [4, 5],
      dtype: 'int32',
      values: Int32Array.from({ length: 20 }, (_, i) => i * 7 - 30),
    };
    await expectSameAsCpu([ints], (x) => [
      tfc.slice(x!, [1, 2], [2, 3]),
      tfc.cast(tfc.slice(tfc.greater(x!, 0), [0, 1], [3, 3]), 'int32'),
    ]);
  });

  it('splits, unstacks, and differentiates through both (and through concat)', async () => {
    const x = floats([4, 6, 8]);
    const w = floats([4, 6, 8]);
    await expectSameAsCpu(
      [x, w],
      (a, b) => {
        const parts = tfc.split(a!, [2, 1, 3], 1);
        const rows = tfc.unstack(a!, 0);
        const f = (v: tfc.Tensor) => {
          const [p, q] = tfc.split(v, 2, 2) as [tfc.Tensor, tfc.Tensor];
          const stacked = tfc.stack(tfc.unstack(tfc.mul(p, tfc.sigmoid(q)), 1), 1);
          return tfc.sum(tfc.mul(tfc.concat([stacked, stacked], 2), b!));
        };
        return [...parts, ...rows, tfc.grad(f)(a!)];
      },
      2e-6,
    ); // copies are exact; the sigmoid in the gradient differs by rounding between backends
  });

  it('still slices string tensors (through the stock kernel)', () => {
    const s = tfc.tensor1d(['a', 'b', 'c', 'd'], 'string');
    expect(tfc.slice(s, [1], [2]).arraySync()).toEqual(['b', 'c']);
    expect(tfc.unstack(tfc.reshape(s, [2, 2])).map((t) => t.arraySync())).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});
