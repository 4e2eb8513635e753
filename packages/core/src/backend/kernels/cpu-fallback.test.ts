import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { CPU_FALLBACK_KERNELS } from './cpu-fallback';
import { isCaptionKernel } from './register';
import { hostTidy, maxAbsDiff, runWithStockKernels, type HostTensor } from './reference';

const rng = new Random(5);
function floats(shape: number[]): HostTensor {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => rng.next() * 2 - 1);
  return { shape, dtype: 'float32', values };
}
const toTensors = (hosts: HostTensor[]) => hosts.map((h) => tfc.tensor(h.values, h.shape));

describe('depthwise-convolution gradient fallbacks on wasm', () => {
  it('are registered for every kernel wasm lacks', () => {
    for (const name of CPU_FALLBACK_KERNELS) expect(isCaptionKernel(name, 'wasm')).toBe(true);
  });

  const convCases: Array<[string, [number, number], 'same' | 'valid']> = [
    ['stride 1, same', [1, 1], 'same'],
    ['stride 2, valid', [2, 2], 'valid'],
  ];
  for (const [label, strides, pad] of convCases) {
    it(`depthwiseConv2d (${label}): input and filter gradients equal cpu's`, async () => {
      const inputs = [floats([2, 9, 8, 3]), floats([3, 3, 3, 2]), floats([2, 9, 8, 6])];
      const f = (x: tfc.Tensor, w: tfc.Tensor, up: tfc.Tensor) => {
        const conv = (a: tfc.Tensor, b: tfc.Tensor) =>
          tfc.depthwiseConv2d(a as tfc.Tensor4D, b as tfc.Tensor4D, strides, pad);
        const out = conv(x, w);
        const weights = tfc.slice(up, [0, 0, 0, 0], out.shape);
        return [out, ...tfc.grads((a: tfc.Tensor, b: tfc.Tensor) => tfc.sum(tfc.mul(conv(a, b), weights)))([x, w])];
      };
      const reference = await runWithStockKernels('cpu', inputs, (x, w, up) => f(x!, w!, up!));
      const ours = hostTidy(() => f(...(toTensors(inputs) as [tfc.Tensor, tfc.Tensor, tfc.Tensor])));
      for (let i = 0; i < 3; i++) expect(maxAbsDiff(ours[i]!, reference[i]!)).toBeLessThan(2e-5);
    });
  }

  it('leaves no tensor behind on either backend', () => {
    const cpu = tfc.engine().findBackend('cpu')!;
    const before = [tfc.memory().numTensors, tfc.engine().backend.numDataIds(), cpu.numDataIds()];
    tfc.tidy(() => {
      const x = tfc.randomNormal([1, 6, 6, 2]) as tfc.Tensor4D;
      const w = tfc.randomNormal([3, 3, 2, 2]) as tfc.Tensor4D;
      const [dx, dw] = tfc.grads((a: tfc.Tensor, b: tfc.Tensor) =>
        tfc.sum(tfc.depthwiseConv2d(a as tfc.Tensor4D, b as tfc.Tensor4D, 1, 'same')),
      )([x, w]);
      dx!.dataSync();
      dw!.dataSync();
    });
    expect([tfc.memory().numTensors, tfc.engine().backend.numDataIds(), cpu.numDataIds()]).toEqual(before);
  });
});
