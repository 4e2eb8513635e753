import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { glu } from '../../nn/activation';
import { lstmGates } from '../../nn/lstm-cell';
import { Random } from '../../random';
import { BackendError } from '../errors';
import { GATE_KERNEL_NAMES, LSTM_GATES, LSTM_GATES_GRAD } from '../kernels/gates';
import { registerCaptionKernels } from '../kernels/register';
import { hostTidy, maxAbsDiff, type HostTensor } from '../kernels/reference';
import { hasFusedGateKernels } from './gates';

const rng = new Random(11);
function host(shape: number[], scale: number): HostTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, dtype: 'float32', values: Float32Array.from({ length: size }, () => (rng.next() * 2 - 1) * scale) };
}
const tensors = (hosts: HostTensor[]): tfc.Tensor[] => hosts.map((h) => tfc.tensor(h.values, h.shape, h.dtype));

/** h, c and the gradients of Σ(h·wh + c·wc) with respect to the gates (and the cell). */
function lstmOutputs(withCell: boolean) {
  return (gates: tfc.Tensor, cell: tfc.Tensor, wh: tfc.Tensor, wc: tfc.Tensor): tfc.Tensor[] => {
    const loss = (g: tfc.Tensor, c: tfc.Tensor | null) => {
      const next = lstmGates(g, c);
      return tfc.add(tfc.sum(tfc.mul(next.h, wh)), tfc.sum(tfc.mul(next.c, wc))) as tfc.Scalar;
    };
    const next = lstmGates(gates, withCell ? cell : null);
    const grads = withCell
      ? tfc.grads((g: tfc.Tensor, c: tfc.Tensor) => loss(g, c))([gates, cell])
      : [tfc.grad((g: tfc.Tensor) => loss(g, null))(gates)];
    return [next.h, next.c, ...grads];
  };
}

function gluOutputs(x: tfc.Tensor, w: tfc.Tensor): tfc.Tensor[] {
  return [glu(x), tfc.grad((v: tfc.Tensor) => tfc.sum(tfc.mul(glu(v), w)))(x)];
}

/** Runs `fn` on the current backend with the four gate kernels unregistered (the stock-op path). */
function withoutGateKernels(fn: () => HostTensor[]): HostTensor[] {
  const backend = tfc.getBackend();
  for (const name of GATE_KERNEL_NAMES) tfc.unregisterKernel(name, backend);
  try {
    expect(hasFusedGateKernels()).toBe(false);
    return fn();
  } finally {
    registerCaptionKernels(backend);
  }
}

async function onEachBackend(check: (backend: string) => void): Promise<void> {
  for (const backend of ['wasm', 'cpu']) {
    await tfc.setBackend(backend);
    try {
      expect(hasFusedGateKernels()).toBe(true);
      check(backend);
    } finally {
      await tfc.setBackend('wasm');
    }
  }
}

describe('fused LSTM gates', () => {
  const cases: Array<[string, number, number, number, boolean]> = [
    ['with a previous cell', 5, 3, 2, true],
    ['from the zero state', 4, 2, 2, false],
    ['a captioner-sized step', 125, 64, 4, true],
    ['saturated gates', 6, 5, 30, true],
  ];
  for (const [label, rows, hidden, scale, withCell] of cases) {
    it(`${label}: h, c and the gradients equal the stock ops on wasm and cpu`, async () => {
      const inputs = [host([rows, 4 * hidden], scale), host([rows, hidden], 2), host([rows, hidden], 1)];
      inputs.push(host([rows, hidden], 1));
      await onEachBackend(() => {
        const expected = withoutGateKernels(() =>
          hostTidy(() =>
            lstmOutputs(withCell)(...(tensors(inputs) as [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor])),
          ),
        );
        const got = hostTidy(() =>
          lstmOutputs(withCell)(...(tensors(inputs) as [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor])),
        );
        expect(got.length).toBe(expected.length);
        for (let k = 0; k < got.length; k++) expect(maxAbsDiff(got[k]!, expected[k]!)).toBeLessThan(2e-6 * scale);
      });
    });
  }

  it('runs as one kernel forward and one backward', async () => {
    const gates = tfc.randomNormal([3, 8]);
    const cell = tfc.randomNormal([3, 2]);
    const forward = await tfc.profile(() => lstmGates(gates, cell).h);
    expect(forward.kernels.map((k) => k.name)).toEqual([LSTM_GATES]);
    const backward = await tfc.profile(() => tfc.grad((g: tfc.Tensor) => tfc.sum(lstmGates(g, cell).c))(gates));
    expect(backward.kernels.filter((k) => k.name === LSTM_GATES_GRAD)).toHaveLength(1);
    expect(backward.kernels.some((k) => ['Sigmoid', 'Tanh', 'SplitV'].includes(k.name))).toBe(false);
    tfc.dispose([gates, cell]);
  });

  it('rejects gates whose width is not 4·H and a cell of another shape', () => {
    const run = (gates: tfc.Tensor, cell: tfc.Tensor | null) => tfc.tidy(() => lstmGates(gates, cell).h);
    expect(() => run(tfc.zeros([2, 6]), null)).toThrow(BackendError);
    expect(() => run(tfc.zeros([2, 8]), tfc.zeros([2, 3]))).toThrow(/cell must be float32 \[2, 2\]/);
  });
});

describe('fused GLU over the last axis', () => {
  for (const shape of [
    [4, 6],
    [2, 3, 10],
    [125, 128],
  ]) {
    it(`[${shape.join(', ')}]: values and gradient equal the stock ops on wasm and cpu`, async () => {
      const inputs = [host(shape, 6), host([...shape.slice(0, -1), shape.at(-1)! / 2], 1)];
      await onEachBackend(() => {
        const expected = withoutGateKernels(() =>
          hostTidy(() => gluOutputs(...(tensors(inputs) as [tfc.Tensor, tfc.Tensor]))),
        );
        const got = hostTidy(() => gluOutputs(...(tensors(inputs) as [tfc.Tensor, tfc.Tensor])));
        expect(maxAbsDiff(got[0]!, expected[0]!)).toBeLessThan(1e-5);
        expect(maxAbsDiff(got[1]!, expected[1]!)).toBeLessThan(1e-5);
      });
    });
  }

  it('keeps the stock ops for another axis, and rejects an odd last axis', () => {
    const x = tfc.randomNormal([4, 3]);
    const [a, b] = tfc.split(x, 2, 0);
    expect(maxAbsDiff(hostTidy(() => [glu(x, 0)])[0]!, hostTidy(() => [tfc.mul(a!, tfc.sigmoid(b!))])[0]!)).toBe(0);
    expect(() => glu(x)).toThrow(/must have an even size/);
    tfc.dispose([x, a!, b!]);
  });

  it('leaves no tensor behind', () => {
    const before = tfc.memory().numTensors;
    tfc.tidy(() => {
      const x = tfc.randomNormal([3, 8]);
      const cell = tfc.randomNormal([3, 2]);
      tfc
        .grad((g: tfc.Tensor) => tfc.add(tfc.sum(lstmGates(g, cell).h), tfc.sum(glu(g))))(x)
        .dataSync();
    });
    expect(tfc.memory().numTensors).toBe(before);
  });
});
