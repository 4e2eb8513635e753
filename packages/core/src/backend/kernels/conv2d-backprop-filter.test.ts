import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { isCaptionKernel } from './register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from './reference';

const rng = new Random(11);
function floats(shape: number[]): HostTensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.next() * 2 - 1);
  return { shape, dtype: 'float32', values };
}
const toTensors = (hosts: HostTensor[]) => hosts.map((h) => tfc.tensor(h.values, h.shape));

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

describe('wasm Conv2DBackpropFilter (the filter gradient as one forward convolution)', () => {
  it('is ours on wasm', () => {
    expect(isCaptionKernel('Conv2DBackpropFilter', 'wasm')).toBe(true);
  });

  type Shape4 = [number, number, number, number];
  const cases: Array<[string, Shape4, Shape4, [number, number], Pad, 'floor' | 'round' | 'ceil' | undefined]> = [
    ['3×3, stride 1, same', [2, 9, 8, 3], [3, 3, 3, 4], [1, 1], 'same', undefined],
    [
      '3×3, stride 2, valid (the last row and column are not read)',
      [2, 9, 8, 3],
      [3, 3, 3, 4],
      [2, 2],
      'valid',
      undefined,
    ],
    ['3×3, stride 2, same', [3, 10, 7, 2], [3, 3, 2, 5], [2, 2], 'same', undefined],
    ['2×4 filter, strides (3, 1), same', [2, 11, 9, 3], [2, 4, 3, 2], [3, 1], 'same', undefined],
    ['1×1 filter, stride 2, valid', [2, 6, 6, 4], [1, 1, 4, 3], [2, 2], 'valid', undefined],
    [
      '5×5, explicit padding',
      [1, 8, 9, 2],
      [5, 5, 2, 3],
      [1, 1],
      [
        [0, 0],
        [1, 3],
        [2, 0],
        [0, 0],
      ],
      undefined,
    ],
    ['3×3, numeric padding 1, stride 2', [2, 8, 8, 3], [3, 3, 3, 2], [2, 2], 1, undefined],
    ['a 64-crop first layer (16×16×3 → 8)', [64, 16, 16, 3], [3, 3, 3, 8], [1, 1], 'same', undefined],
  ];
  for (const [label, xShape, wShape, strides, pad, rounding] of cases) {
    it(`${label}: filter gradient (and the forward value, input gradient) equal cpu's`, async () => {
      const w0 = floats(wShape);
      const x0 = floats(xShape);
      const outShape = tfc.tidy(
        () =>
          tfc.conv2d(
            tfc.zeros(xShape) as tfc.Tensor4D,
            tfc.zeros(wShape) as tfc.Tensor4D,
            strides,
            pad,
            'NHWC',
            1,
            rounding,
          ).shape,
      );
      const inputs = [x0, w0, floats(outShape)];
      const f = (x: tfc.Tensor, w: tfc.Tensor, weights: tfc.Tensor) => {
        const conv = (a: tfc.Tensor, b: tfc.Tensor) =>
          tfc.conv2d(a as tfc.Tensor4D, b as tfc.Tensor4D, strides, pad, 'NHWC', 1, rounding);
        return [
          conv(x, w),
          ...tfc.grads((a: tfc.Tensor, b: tfc.Tensor) => tfc.sum(tfc.mul(conv(a, b), weights)))([x, w]),
        ];
      };
      const reference = await runWithStockKernels('cpu', inputs, (x, w, up) => f(x!, w!, up!));
      const ours = hostTidy(() => f(...(toTensors(inputs) as [tfc.Tensor, tfc.Tensor, tfc.Tensor])));
      const sums = xShape[0]! * outShape[1]! * outShape[2]!; // terms per filter-gradient element
      for (let i = 0; i < 3; i++)
        expect(maxAbsDiff(ours[i]!, reference[i]!), `output ${i}`).toBeLessThan(
          2e-5 * Math.max(1, Math.sqrt(sums) / 4),
        );
    });
  }

  const fallbacks: Array<[string, number[], number[], Record<string, unknown>]> = [
    [
      'NCHW data',
      [2, 3, 7, 6],
      [2, 4, 7, 6],
      { strides: [1, 1], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] },
    ],
    // a forward pass with dimRoundingMode 'ceil' made dy 5×5; tfjs's gradient passes no rounding mode
    [
      'a dy larger than the attributes give',
      [2, 8, 8, 3],
      [2, 5, 5, 2],
      { strides: [2, 2], pad: 1, dataFormat: 'NHWC', filterShape: [3, 3, 3, 2] },
    ],
  ];
  for (const [label, xShape, dyShape, attrs] of fallbacks) {
    it(`falls back to the cpu kernel for ${label}, with cpu's result`, async () => {
      const [x, dy] = [floats(xShape), floats(dyShape)];
      const f = (a: tfc.Tensor, b: tfc.Tensor) => [
        tfc.engine().runKernel('Conv2DBackpropFilter', { x: a, dy: b }, attrs as tfc.NamedAttrMap) as tfc.Tensor,
      ];
      const reference = await runWithStockKernels('cpu', [x, dy], (a, b) => f(a!, b!));
      const ours = hostTidy(() => f(...(toTensors([x, dy]) as [tfc.Tensor, tfc.Tensor])));
      expect(maxAbsDiff(ours[0]!, reference[0]!)).toBeLessThan(2e-5);
    });
  }

  it('leaves no tensor or buffer behind', () => {
    const before = [tfc.memory().numTensors, tfc.engine().backend.numDataIds()];
    tfc.tidy(() => {
      const x = tfc.randomNormal([2, 7, 7, 2]) as tfc.Tensor4D;
      const w = tfc.randomNormal([3, 3, 2, 2]) as tfc.Tensor4D;
      tfc
        .grad((b: tfc.Tensor) => tfc.sum(tfc.conv2d(x, b as tfc.Tensor4D, 2, 'same')))(w)
        .dataSync();
    });
    expect([tfc.memory().numTensors, tfc.engine().backend.numDataIds()]).toEqual(before);
  });
});
