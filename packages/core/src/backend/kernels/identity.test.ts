import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { isCaptionKernel } from './register';

describe('wasm Identity', () => {
  it('is ours and shares the data instead of copying it', () => {
    expect(isCaptionKernel('Identity', 'wasm')).toBe(true);
    const backend = tfc.engine().backend;
    const x = tfc.tensor2d([1, 2, 3, 4], [2, 2]);
    const buffersBefore = backend.numDataIds();
    const y = tfc.clone(x);
    expect(backend.numDataIds()).toBe(buffersBefore);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    y.dispose();
    expect(backend.numDataIds()).toBe(buffersBefore - 1);
  });

  it('keeps gradients right (the engine clones saved tensors through Identity)', () => {
    const x = tfc.tensor1d([0.5, -1, 2]);
    const g = tfc.grad((v: tfc.Tensor) => tfc.sum(tfc.mul(tfc.exp(v), v)))(x);
    const expected = [0.5, -1, 2].map((v) => Math.exp(v) * (1 + v));
    const got = Array.from(g.dataSync());
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    tfc.dispose([x, g]);
  });
});
