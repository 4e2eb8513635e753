/**
 * Kernels of the two gating nonlinearities of the captioners' recurrent steps, each one kernel forward and one
 * backward instead of a chain of stock ones:
 *
 * - the LSTM cell's gates (PyTorch order i, f, g, o; {@link lstmGates}): `c = σ(f)·c₋₁ + σ(i)·tanh(g)`,
 *   `h = σ(o)·tanh(c)`; stock ops take a split, three sigmoids, two tanh, three products and a sum forward
 *   (about 25 kernels backward, and a copy of every tensor a gradient keeps);
 * - the gated linear unit over the last axis ({@link glu}, AoANet's attention-on-attention gate): `a·σ(b)`.
 *
 * At the sizes of a captioner's step (a few hundred rows of width 64–1024) tfjs's engine work per kernel costs
 * more than the arithmetic, so fusing is what counts. The sigmoids run through the backend's own Sigmoid kernel
 * (XNNPACK's vectorised one on wasm, called directly, outside the engine), `tanh(x)` as `2σ(2x) − 1`; the rest
 * are JS loops over the data (the wasm heap or the cpu arrays), each value rounded to float32 once. The
 * backward kernels recompute the activations from the pre-activations instead of keeping them.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { getKernel, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { cpuValues, wasmOrCpuKernels } from './sparse-softmax-cross-entropy';
import { asWasmBackend, heapF32, sizeOf, type WasmBackendInternals } from './wasm-internals';

/** Kernel: `[h, c]` from `gates` `[rows, 4·H]` (pre-activations, biases added) and `cell` `[rows, H]`. */
export const LSTM_GATES = 'CaptionLstmGates';
/** Kernel: `[h, c]` from `gates` alone (the zero state: no previous cell). */
export const LSTM_GATES_ZERO_STATE = 'CaptionLstmGatesZeroState';
/** Kernel: `[dgates]` or `[dgates, dcell]` from `gates`, optional `cell`, `dh` and `dc`. */
export const LSTM_GATES_GRAD = 'CaptionLstmGatesGrad';
/** Kernel: `a·σ(b)` for `x = [a | b]` split in halves along its last axis. */
export const GLU_LAST_AXIS = 'CaptionGluLastAxis';
/** Kernel: `dx` of {@link GLU_LAST_AXIS} from `x` and `dy`. */
export const GLU_LAST_AXIS_GRAD = 'CaptionGluLastAxisGrad';

/** The names of the five gate kernels. */
export const GATE_KERNEL_NAMES = [
  LSTM_GATES,
  LSTM_GATES_ZERO_STATE,
  LSTM_GATES_GRAD,
  GLU_LAST_AXIS,
  GLU_LAST_AXIS_GRAD,
];

/**
 * Where a kernel keeps its float32 buffers and how it takes their sigmoid: the wasm heap and XNNPACK's kernel,
 * or JS arrays and a JS loop. A view is valid until the next `make` or `sigmoid` (the wasm heap may grow).
 */
interface Arena<B> {
  make(shape: number[]): B;
  view(buffer: B): Float32Array;
  /** A new buffer with `σ` of each element. */
  sigmoid(buffer: B): B;
  release(buffer: B): void;
  /** The view of a kernel input. */
  input(info: TensorInfo): Float32Array;
  /** The buffer as a kernel output. */
  output(buffer: B): TensorInfo;
}

function wasmArena(wasm: WasmBackendInternals): Arena<TensorInfo> {
  const sigmoid = getKernel('Sigmoid', 'wasm');
  if (sigmoid == null) throw new BackendError('The wasm backend has no Sigmoid kernel.');
  return {
    make: (shape) => wasm.makeOutput(shape, 'float32'),
    view: (info) => heapF32(wasm, info),
    sigmoid: (info) => sigmoid.kernelFunc({ inputs: { x: info }, backend: wasm, attrs: {} }) as TensorInfo,
    release: (info) => void wasm.disposeData(info.dataId, true),
    input: (info) => heapF32(wasm, info),
    output: (info) => info,
  };
}

interface CpuBuffer {
  shape: number[];
  values: Float32Array;
}

function cpuArena(cpu: MathBackendCPU): Arena<CpuBuffer> {
  return {
    make: (shape) => ({ shape, values: new Float32Array(sizeOf(shape)) }),
    view: (b) => b.values,
    sigmoid: (b) => {
      const out = new Float32Array(b.values.length);
      for (let k = 0; k < out.length; k++) out[k] = 1 / (1 + Math.exp(-b.values[k]!));
      return { shape: b.shape, values: out };
    },
    release: () => undefined,
    input: (info) => cpuValues(cpu, info),
    output: (b) => cpu.makeTensorInfo(b.shape, 'float32', b.values),
  };
}

function rowsAndWidth(where: string, x: TensorInfo, parts: number): [number, number] {
  const width = x.shape[x.shape.length - 1];
  if (x.dtype !== 'float32' || width === undefined || width % parts !== 0) {
    throw new BackendError(`${where}: expected float32 [..., ${parts}·n], got ${x.dtype} [${x.shape.join(', ')}]`);
  }
  return [sizeOf(x.shape) / width, width / parts];
}

function checkSameShape(where: string, name: string, t: TensorInfo | undefined, rows: number, width: number): void {
  if (t !== undefined && (t.dtype !== 'float32' || sizeOf(t.shape) !== rows * width || t.shape.at(-1) !== width)) {
    throw new BackendError(`${where}: ${name} must be float32 [${rows}, ${width}], got [${t.shape.join(', ')}]`);
  }
}

/**
 * The LSTM's activations: σ of the gates, with the g block taken at twice its value (`tanh g = 2σ(2g) − 1`).
 * Then the new cell `c = f·c₋₁ + i·g` into `c`, and `2c` (for `tanh c`) into a new buffer, returned.
 */
function lstmActivations<B>(
  arena: Arena<B>,
  gates: TensorInfo,
  cell: TensorInfo | undefined,
  rows: number,
  h: number,
): { act: B; c: B; tanhC: B } {
  const pre = arena.make([rows, 4 * h]);
  {
    const p = arena.view(pre);
    const g = arena.input(gates);
    p.set(g);
    for (let r = 0; r < rows; r++) for (let k = r * 4 * h + 2 * h; k < r * 4 * h + 3 * h; k++) p[k] = 2 * g[k]!;
  }
  const act = arena.sigmoid(pre);
  arena.release(pre);
  const c = arena.make([rows, h]);
  const twoC = arena.make([rows, h]);
  {
    const a = arena.view(act);
    const cv = arena.view(c);
    const t = arena.view(twoC);
    const previous = cell === undefined ? null : arena.input(cell);
    for (let r = 0; r < rows; r++) {
      const base = r * 4 * h;
      for (let j = 0; j < h; j++) {
        const i = a[base + j]!;
        const g = 2 * a[base + 2 * h + j]! - 1;
        const kept = previous === null ? 0 : a[base + h + j]! * previous[r * h + j]!;
        cv[r * h + j] = kept + i * g;
        t[r * h + j] = 2 * cv[r * h + j]!;
      }
    }
  }
  const tanhC = arena.sigmoid(twoC); // σ(2c); tanh c = 2σ(2c) − 1
  arena.release(twoC);
  return { act, c, tanhC };
}

function lstmForward<B>(arena: Arena<B>, gates: TensorInfo, cell: TensorInfo | undefined): TensorInfo[] {
  const where = 'lstmGates';
  const [rows, h] = rowsAndWidth(where, gates, 4);
  checkSameShape(where, 'cell', cell, rows, h);
  const { act, c, tanhC } = lstmActivations(arena, gates, cell, rows, h);
  const hidden = arena.make([rows, h]);
  {
    const a = arena.view(act);
    const s = arena.view(tanhC);
    const out = arena.view(hidden);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < h; j++) out[r * h + j] = a[r * 4 * h + 3 * h + j]! * (2 * s[r * h + j]! - 1);
  }
  arena.release(act);
  arena.release(tanhC);
  return [arena.output(hidden), arena.output(c)];
}

function lstmBackward<B>(
  arena: Arena<B>,
  gates: TensorInfo,
  cell: TensorInfo | undefined,
  dh: TensorInfo,
  dc: TensorInfo,
): TensorInfo[] {
  const where = 'lstmGates (gradient)';
  const [rows, h] = rowsAndWidth(where, gates, 4);
  checkSameShape(where, 'cell', cell, rows, h);
  checkSameShape(where, 'dh', dh, rows, h);
  checkSameShape(where, 'dc', dc, rows, h);
  const { act, c, tanhC } = lstmActivations(arena, gates, cell, rows, h);
  arena.release(c);
  const dgates = arena.make([rows, 4 * h]);
  const dcell = cell === undefined ? null : arena.make([rows, h]);
  {
    const a = arena.view(act);
    const s = arena.view(tanhC);
    const dhv = arena.input(dh);
    const dcv = arena.input(dc);
    const previous = cell === undefined ? null : arena.input(cell);
    const dg = arena.view(dgates);
    const dp = dcell === null ? null : arena.view(dcell);
    for (let r = 0; r < rows; r++) {
      const base = r * 4 * h;
      for (let j = 0; j < h; j++) {
        const k = r * h + j;
        const i = a[base + j]!;
        const f = a[base + h + j]!;
        const g = 2 * a[base + 2 * h + j]! - 1;
        const o = a[base + 3 * h + j]!;
        const tc = 2 * s[k]! - 1;
        const dcTotal = dcv[k]! + dhv[k]! * o * (1 - tc * tc);
        dg[base + j] = dcTotal * g * i * (1 - i);
        dg[base + h + j] = previous === null ? 0 : dcTotal * previous[k]! * f * (1 - f);
        dg[base + 2 * h + j] = dcTotal * i * (1 - g * g);
        dg[base + 3 * h + j] = dhv[k]! * tc * o * (1 - o);
        if (dp !== null) dp[k] = dcTotal * f;
      }
    }
  }
  arena.release(act);
  arena.release(tanhC);
  return dcell === null ? [arena.output(dgates)] : [arena.output(dgates), arena.output(dcell)];
}

/** σ of the second halves of the rows of `x` `[rows, 2·F]`, as a new `[rows, F]` buffer. */
function gateSigmoid<B>(arena: Arena<B>, x: TensorInfo, rows: number, f: number): B {
  const b = arena.make([rows, f]);
  {
    const bv = arena.view(b);
    const xv = arena.input(x);
    for (let r = 0; r < rows; r++) bv.set(xv.subarray(r * 2 * f + f, (r + 1) * 2 * f), r * f);
  }
  const s = arena.sigmoid(b);
  arena.release(b);
  return s;
}

function gluForward<B>(arena: Arena<B>, x: TensorInfo): TensorInfo {
  const [rows, f] = rowsAndWidth('glu', x, 2);
  const s = gateSigmoid(arena, x, rows, f);
  const y = arena.make([...x.shape.slice(0, -1), f]);
  {
    const sv = arena.view(s);
    const xv = arena.input(x);
    const yv = arena.view(y);
    for (let r = 0; r < rows; r++) for (let j = 0; j < f; j++) yv[r * f + j] = xv[r * 2 * f + j]! * sv[r * f + j]!;
  }
  arena.release(s);
  return arena.output(y);
}

function gluBackward<B>(arena: Arena<B>, x: TensorInfo, dy: TensorInfo): TensorInfo {
  const where = 'glu (gradient)';
  const [rows, f] = rowsAndWidth(where, x, 2);
  checkSameShape(where, 'dy', dy, rows, f);
  const s = gateSigmoid(arena, x, rows, f);
  const dx = arena.make([...x.shape]);
  {
    const sv = arena.view(s);
    const xv = arena.input(x);
    const dyv = arena.input(dy);
    const dxv = arena.view(dx);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < f; j++) {
        const sig = sv[r * f + j]!;
        const d = dyv[r * f + j]!;
        dxv[r * 2 * f + j] = d * sig;
        dxv[r * 2 * f + f + j] = d * xv[r * 2 * f + j]! * sig * (1 - sig);
      }
    }
  }
  arena.release(s);
  return arena.output(dx);
}

/** A kernel function for wasm and one for cpu running `run` over the backend's arena. */
function onBothBackends(
  run: <B>(arena: Arena<B>, inputs: Record<string, TensorInfo | undefined>) => TensorInfo | TensorInfo[],
): { wasm: KernelFunc; cpu: KernelFunc } {
  return {
    wasm: ({ inputs, backend }) => run(wasmArena(asWasmBackend(backend)), inputs as Record<string, TensorInfo>),
    cpu: ({ inputs, backend }) => run(cpuArena(backend as MathBackendCPU), inputs as Record<string, TensorInfo>),
  };
}

function required(inputs: Record<string, TensorInfo | undefined>, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new BackendError(`gate kernel: input '${name}' is missing`);
  return t;
}

/** The five kernels for a backend (wasm and cpu have them). */
export function gateKernels(backendName: 'wasm' | 'cpu'): KernelConfig[] {
  return wasmOrCpuKernels(backendName, {
    [LSTM_GATES]: onBothBackends((arena, x) => lstmForward(arena, required(x, 'gates'), required(x, 'cell'))),
    [LSTM_GATES_ZERO_STATE]: onBothBackends((arena, x) => lstmForward(arena, required(x, 'gates'), undefined)),
    [LSTM_GATES_GRAD]: onBothBackends((arena, x) =>
      lstmBackward(arena, required(x, 'gates'), x['cell'], required(x, 'dh'), required(x, 'dc')),
    ),
    [GLU_LAST_AXIS]: onBothBackends((arena, x) => gluForward(arena, required(x, 'x'))),
    [GLU_LAST_AXIS_GRAD]: onBothBackends((arena, x) => gluBackward(arena, required(x, 'x'), required(x, 'dy'))),
  });
}
