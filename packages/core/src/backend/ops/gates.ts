/**
 * The fused LSTM-gate and GLU ops: one kernel forward and one backward each (see `kernels/gates.ts`), with their
 * gradients registered for the engine, used by {@link lstmGates} and {@link glu} where the backend has the kernels.
 */
import * as tfc from '@tensorflow/tfjs-core';
import {
  GLU_LAST_AXIS,
  GLU_LAST_AXIS_GRAD,
  LSTM_GATES,
  LSTM_GATES_GRAD,
  LSTM_GATES_ZERO_STATE,
} from '../kernels/gates';

/** Whether the current backend runs the fused gate kernels (wasm and cpu, once `@caption/core` registered them). */
export function hasFusedGateKernels(): boolean {
  const backend = tfc.getBackend();
  return tfc.getKernel(LSTM_GATES, backend) != null && tfc.getKernel(GLU_LAST_AXIS, backend) != null;
}

/**
 * `h = σ(o)·tanh(c)`, `c = σ(f)·cell + σ(i)·tanh(g)` for `gates` `[rows, 4H]` (i, f, g, o) and `cell` `[rows, H]`
 * (null: no previous cell, the zero state) in one kernel. Differentiable with respect to both inputs.
 */
export function fusedLstmGates(gates: tfc.Tensor, cell: tfc.Tensor | null): { h: tfc.Tensor; c: tfc.Tensor } {
  const [h, c] = (cell === null
    ? tfc.engine().runKernel(LSTM_GATES_ZERO_STATE, { gates })
    : tfc.engine().runKernel(LSTM_GATES, { gates, cell })) as unknown as [tfc.Tensor, tfc.Tensor];
  return { h, c };
}

/** `a·σ(b)` for `x = [a | b]` split in halves along its last axis, in one kernel. Differentiable. */
export function fusedGluLastAxis(x: tfc.Tensor): tfc.Tensor {
  return tfc.engine().runKernel(GLU_LAST_AXIS, { x }) as tfc.Tensor;
}

/** The LSTM gates' gradient: one backward kernel for both inputs; a missing `dh` or `dc` is zeros (engine). */
function lstmGatesGrad(dy: tfc.Tensor | tfc.Tensor[], saved: tfc.Tensor[]): Record<string, () => tfc.Tensor> {
  const [dh, dc] = dy as [tfc.Tensor, tfc.Tensor];
  const [gates, cell] = saved as [tfc.Tensor, tfc.Tensor | undefined];
  const inputs: tfc.NamedTensorMap = cell === undefined ? { gates, dh, dc } : { gates, cell, dh, dc };
  const [dgates, dcell] = tfc.engine().runKernel(LSTM_GATES_GRAD, inputs) as unknown as tfc.Tensor[];
  const grads: Record<string, () => tfc.Tensor> = { gates: () => dgates as tfc.Tensor };
  if (cell !== undefined) grads['cell'] = () => dcell as tfc.Tensor;
  return grads;
}

/** The gradient of {@link LSTM_GATES}. */
export const lstmGatesGradConfig: tfc.GradConfig = {
  kernelName: LSTM_GATES,
  inputsToSave: ['gates', 'cell'],
  gradFunc: lstmGatesGrad,
};

/** The gradient of {@link LSTM_GATES_ZERO_STATE}. */
export const lstmGatesZeroStateGradConfig: tfc.GradConfig = {
  kernelName: LSTM_GATES_ZERO_STATE,
  inputsToSave: ['gates'],
  gradFunc: lstmGatesGrad,
};

/** The gradient of {@link GLU_LAST_AXIS}. */
export const gluLastAxisGradConfig: tfc.GradConfig = {
  kernelName: GLU_LAST_AXIS,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tfc.Tensor];
    return { x: () => tfc.engine().runKernel(GLU_LAST_AXIS_GRAD, { x, dy: dy as tfc.Tensor }) as tfc.Tensor };
  },
};
