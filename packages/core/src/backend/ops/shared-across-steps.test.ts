import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Random } from '../../random';
import { gatherRows } from '../../nn/embedding';
import { SharedTable, SharedTensor, SharedWeight } from './shared-across-steps';

const rng = new Random(21);
const randn = (shape: number[]) =>
  tfc.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1),
    shape,
  );

/** A small recurrence: h ← tanh(x_t·Wx + h·Wh + attention over keys), loss = Σ h·target. */
function recurrence(shared: boolean, transposed: boolean) {
  return (wx: tfc.Tensor, wh: tfc.Tensor, keys: tfc.Tensor, xs: tfc.Tensor, target: tfc.Tensor): tfc.Scalar => {
    const steps = xs.shape[0]!;
    const hWeight = shared ? new SharedWeight(wh as tfc.Tensor2D, { transposed }) : null;
    const sharedKeys = shared ? new SharedTensor(keys) : null;
    let h = tfc.zeros([xs.shape[1]!, wh.shape[1]!]) as tfc.Tensor2D;
    let loss = tfc.scalar(0);
    for (let t = 0; t < steps; t++) {
      const x = tfc.squeeze(tfc.slice(xs, [t, 0, 0], [1, -1, -1]), [0]) as tfc.Tensor2D;
      const recurrent = hWeight != null ? hWeight.matMul(h) : tfc.matMul(h, wh, false, transposed);
      const k = sharedKeys != null ? sharedKeys.use() : keys;
      const scores = tfc.softmax(tfc.matMul(h, k, false, true)); // [B, R]
      const attended = tfc.matMul(scores, k); // [B, H]
      h = tfc.tanh(tfc.add(tfc.add(tfc.matMul(x, wx), recurrent), attended)) as tfc.Tensor2D;
      loss = tfc.add(loss, tfc.sum(tfc.mul(h, target)));
    }
    return loss;
  };
}

describe('SharedWeight and SharedTensor', () => {
  for (const transposed of [false, true]) {
    for (const backend of ['wasm', 'cpu']) {
      it(`give the same loss and gradients as plain ops (${backend}, ${transposed ? '[out, in]' : '[in, out]'} weight)`, async () => {
        await tfc.setBackend(backend);
        try {
          const inputs = [randn([5, 6]), randn([6, 6]), randn([4, 6]), randn([7, 3, 5]), randn([3, 6])];
          const run = (shared: boolean) =>
            tfc.tidy(() => {
              const f = recurrence(shared, transposed);
              const { value, grads } = tfc.valueAndGrads((wx: tfc.Tensor, wh: tfc.Tensor, k: tfc.Tensor) =>
                f(wx, wh, k, inputs[3]!, inputs[4]!),
              )(inputs.slice(0, 3));
              return [value, ...grads].map((t) => Array.from(t.dataSync()));
            });
          const plain = run(false);
          const shared = run(true);
          expect(shared.length).toBe(4);
          shared.forEach((values, i) => values.forEach((v, j) => expect(v).toBeCloseTo(plain[i]![j]!, 4)));
          tfc.dispose(inputs);
        } finally {
          await tfc.setBackend('wasm');
        }
      });
    }
  }

  it('take inputs of any rank, and weights that are not variables (saved for the backward pass)', () => {
    const w = randn([4, 3]);
    const x = randn([2, 5, 3]);
    const dyWeights = randn([2, 5, 4]);
    const run = (shared: boolean) =>
      tfc.tidy(() => {
        const { value, grads } = tfc.valueAndGrads((v: tfc.Tensor, input: tfc.Tensor) => {
          // the weight is an intermediate freed by this inner tidy before the backward pass runs
          const y = tfc.tidy(() => {
            const scaled = tfc.mul(v, 2) as tfc.Tensor2D;
            return shared
              ? new SharedWeight(scaled, { transposed: true }).matMul(input)
              : tfc.matMul(input, scaled, false, true);
          });
          return tfc.sum(tfc.mul(tfc.tanh(y), dyWeights));
        })([w, x]);
        return [value, ...grads].map((t) => Array.from(t.dataSync()));
      });
    const plain = run(false);
    const shared = run(true);
    expect(shared.map((v) => v.length)).toEqual(plain.map((v) => v.length));
    shared.forEach((values, i) => values.forEach((v, j) => expect(v).toBeCloseTo(plain[i]![j]!, 5)));
    tfc.dispose([w, x, dyWeights]);
  });

  it('SharedTable: per-step lookups with one scatter-add, equal to per-step gatherRows', () => {
    const table = randn([7, 3]);
    const steps = [
      tfc.tensor1d([1, 4, 1], 'int32'),
      tfc.tensor2d(
        [
          [0, 6],
          [4, 4],
        ],
        [2, 2],
        'int32',
      ),
      tfc.tensor1d([1], 'int32'),
    ];
    const weights = steps.map((ids) => randn([...ids.shape, 3]));
    const run = (shared: boolean) =>
      tfc.tidy(() => {
        const { value, grads } = tfc.valueAndGrads((t: tfc.Tensor) => {
          const words = shared ? new SharedTable(t) : null;
          const lookup = (ids: tfc.Tensor) =>
            words !== null ? words.gather(ids) : tfc.reshape(gatherRows(t, tfc.reshape(ids, [-1])), [...ids.shape, 3]);
          return tfc.addN(steps.map((ids, i) => tfc.sum(tfc.mul(tfc.sin(lookup(ids)), weights[i]!))));
        })([table]);
        return [value, ...grads].map((t) => Array.from(t.dataSync()));
      });
    const plain = run(false);
    const shared = run(true);
    shared.forEach((values, i) => values.forEach((v, j) => expect(v).toBeCloseTo(plain[i]![j]!, 6)));
    expect(() => tfc.tidy(() => new SharedTable(table).gather(tfc.tensor1d([0])))).toThrow(/int32/);
    tfc.dispose([table, ...steps, ...weights]);
  });

  it('compute values outside a gradient, and leave no tensor behind', () => {
    const w = randn([4, 3]) as tfc.Tensor2D;
    const x = randn([2, 4]) as tfc.Tensor2D;
    const before = tfc.memory().numTensors;
    const [y, plain] = tfc.tidy(() => [new SharedWeight(w).matMul(x), tfc.matMul(x, w)]);
    expect(Array.from(y!.dataSync())).toEqual(Array.from(plain!.dataSync()));
    tfc.dispose([y!, plain!]);
    tfc.tidy(() => {
      tfc.grads((v: tfc.Tensor) => {
        const shared = new SharedWeight(v as tfc.Tensor2D);
        return tfc.sum(tfc.add(shared.matMul(x), shared.matMul(x)));
      })([w]);
    });
    expect(tfc.memory().numTensors).toBe(before);
    tfc.dispose([w, x]);
  });
});
