import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { isCaptionKernel } from './register';

const rng = new Random(13);
const randn = (shape: number[]) =>
  tfc.tensor(
    Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.next() * 2 - 1),
    shape,
  );

/**
 * The expected product, computed independently in JS: every output batch index mapped to each operand's
 * batch index by the broadcasting rule (a size-1 dimension repeats), then a plain triple loop.
 */
function referenceProduct(
  a: tfc.Tensor,
  b: tfc.Tensor,
  tA: boolean,
  tB: boolean,
): { shape: number[]; values: Float64Array } {
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = tfc.broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, k, n] = [tA ? ac : ar, tA ? ar : ac, tB ? br : bc];
  const av = a.dataSync();
  const bv = b.dataSync();
  const index = (o: number, batch: number[]) => {
    const coords: number[] = [];
    let rest = o;
    for (let d = outBatch.length - 1; d >= 0; d--) {
      coords.unshift(rest % outBatch[d]!);
      rest = Math.floor(rest / outBatch[d]!);
    }
    let i = 0;
    const offset = outBatch.length - batch.length;
    for (let d = 0; d < batch.length; d++) i = i * batch[d]! + (batch[d] === 1 ? 0 : coords[d + offset]!);
    return i;
  };
  const batches = outBatch.reduce((x, y) => x * y, 1);
  const values = new Float64Array(batches * m * n);
  for (let o = 0; o < batches; o++) {
    const a0 = index(o, aBatch) * ar * ac;
    const b0 = index(o, bBatch) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++)
          sum += av[a0 + (tA ? p * ac + i : i * ac + p)]! * bv[b0 + (tB ? j * bc + p : p * bc + j)]!;
        values[o * m * n + i * n + j] = sum;
      }
    }
  }
  return { shape: [...outBatch, m, n], values };
}

describe('cpu BatchMatMul', () => {
  const layouts: Array<[string, number[], number[]]> = [
    ['[2, 1] × [1, 3] batches (the stock kernel fills 3 of the 6 products)', [2, 1], [1, 3]],
    ['[2, 3] × [2, 1] batches (the stock kernel pairs the wrong matrices)', [2, 3], [2, 1]],
    ['[1, 3] × [2, 1] batches', [1, 3], [2, 1]],
    ['[2, 3] × [3] batches (the stock path)', [2, 3], [3]],
    ['[4] × shared 2-D', [4], []],
    ['equal batches [3]', [3], [3]],
  ];
  for (const [label, aBatch, bBatch] of layouts) {
    for (const [tA, tB] of [
      [false, false],
      [true, true],
      [false, true],
    ] as const) {
      it(`${label}, transposeA=${tA}, transposeB=${tB}: shape and values of the broadcast product`, async () => {
        await tfc.setBackend('cpu');
        try {
          expect(isCaptionKernel('BatchMatMul', 'cpu')).toBe(true);
          const [m, k, n] = [3, 4, 2];
          const a = randn([...aBatch, ...(tA ? [k, m] : [m, k])]);
          const b = randn([...bBatch, ...(tB ? [n, k] : [k, n])]);
          const before = tfc.engine().backend.numDataIds();
          const got = tfc.matMul(a, b, tA, tB);
          const expected = referenceProduct(a, b, tA, tB);
          expect(got.shape).toEqual(expected.shape);
          const values = got.dataSync();
          expected.values.forEach((v, i) => expect(values[i]).toBeCloseTo(v, 5));
          got.dispose();
          expect(tfc.engine().backend.numDataIds()).toBe(before);
          tfc.dispose([a, b]);
        } finally {
          await tfc.setBackend('wasm');
        }
      });
    }
  }
});
