/**
 * Kernels of {@link adamUpdate}: one pass over parameter, gradient and moments (wasm and cpu).
 *
 * Written with tfjs ops, an Adam step is a dozen full-size kernels per parameter (scale, add, square,
 * sqrt, divide, ...), each reading and writing every element: ~190 ms per step for the benchmark
 * captioner's 15.7 M parameters on wasm. Here each element is read once and its three new values are
 * written once: on wasm by a SIMD loop (kernels.wat), elsewhere (and without wasm SIMD) by a JS loop.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { BackendError } from '../errors';
import { simdKernels } from '../simd/simd-module';
import { threadPool } from '../threads/backend-threads';
import type { KernelCall } from '../threads/worker-pool';
import { copyThreads } from './matmul/cost-model';
import { asWasmBackend, heapF32, sizeOf } from './wasm-internals';

/** Kernel name of the fused Adam update. */
export const ADAM_UPDATE = 'CaptionAdamUpdate';

/** Attributes of the kernel (see {@link adamUpdate} for their meaning). */
export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  step: number;
  weightDecay: number;
  decoupled: boolean;
}

/**
 * The update itself, PyTorch's formulas (`torch.optim.Adam` / `AdamW`, single-tensor path), with one
 * float32 rounding per operation in the order of `@caption/core`'s `Adam` (whose results it reproduces
 * bit for bit), written to the three outputs.
 */
export function adamUpdateInto(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  outP: Float32Array,
  outM: Float32Array,
  outV: Float32Array,
  a: AdamUpdateAttrs,
): void {
  const f = Math.fround;
  const s = scalarsOf(a);
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    const gi = f(g[i]! + f(pi * s.l2));
    const mi = f(f(m[i]! * s.beta1) + f(gi * s.c1));
    const vi = f(f(v[i]! * s.beta2) + f(f(gi * gi) * s.c2));
    outM[i] = mi;
    outV[i] = vi;
    outP[i] = f(pi * s.keep) - f(f(mi / f(f(f(Math.sqrt(vi)) / s.bias2Sqrt) + s.epsilon)) * s.stepSize);
  }
}

/** The float32 scalars of the update, as the op-by-op version computes them. */
export function scalarsOf(a: AdamUpdateAttrs): {
  stepSize: number;
  bias2Sqrt: number;
  epsilon: number;
  beta1: number;
  c1: number;
  beta2: number;
  c2: number;
  keep: number;
  l2: number;
} {
  const f = Math.fround;
  return {
    stepSize: f(a.learningRate / (1 - a.beta1 ** a.step)),
    bias2Sqrt: f(Math.sqrt(1 - a.beta2 ** a.step)),
    epsilon: f(a.epsilon),
    beta1: f(a.beta1),
    c1: f(1 - a.beta1),
    beta2: f(a.beta2),
    c2: f(1 - a.beta2),
    keep: f(a.decoupled ? 1 - a.learningRate * a.weightDecay : 1),
    l2: f(a.decoupled ? 0 : a.weightDecay),
  };
}

function check(inputs: Record<string, TensorInfo | undefined>): TensorInfo[] {
  const names = ['param', 'grad', 'expAvg', 'expAvgSq'];
  const infos = names.map((name) => {
    const info = inputs[name];
    if (info == null) throw new BackendError(`adamUpdate: missing input ${name}`);
    if (info.dtype !== 'float32') throw new BackendError(`adamUpdate: ${name} must be float32, got ${info.dtype}`);
    return info;
  });
  const size = sizeOf(infos[0]!.shape);
  for (let i = 1; i < infos.length; i++) {
    if (sizeOf(infos[i]!.shape) !== size) {
      throw new BackendError(
        `adamUpdate: ${names[i]} has shape [${infos[i]!.shape.join(',')}], param [${infos[0]!.shape.join(',')}]`,
      );
    }
  }
  return infos;
}

function attrsOf(attrs: NamedAttrMap | undefined): AdamUpdateAttrs {
  return attrs as unknown as AdamUpdateAttrs;
}

const wasmKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = asWasmBackend(backend);
  const [p, g, m, v] = check(inputs) as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const a = attrsOf(attrs);
  const outs = [p, m, v].map((info) => wasm.makeOutput(info.shape, 'float32'));
  const simd = simdKernels(wasm);
  if (simd != null) {
    const at = (info: TensorInfo) => wasm.dataIdMap.get(info.dataId).memoryOffset;
    const s = scalarsOf(a);
    const scalars = [s.stepSize, s.bias2Sqrt, s.epsilon, s.beta1, s.c1, s.beta2, s.c2, s.keep, s.l2];
    const buffers = [p, g, m, v, outs[0]!, outs[1]!, outs[2]!].map(at);
    const n = sizeOf(p.shape);
    // elementwise: any split gives the same bits; on the backend's threads when large
    const pool = threadPool(wasm);
    const threads = pool == null ? 1 : copyThreads(n, Math.ceil(n / 1024), pool.size);
    const calls: KernelCall[] = [];
    for (let t = 0; t < threads; t++) {
      const i0 = Math.floor((t * n) / threads / 4) * 4;
      const i1 = t === threads - 1 ? n : Math.floor(((t + 1) * n) / threads / 4) * 4;
      calls.push({ fn: 'adam', args: [...buffers.map((b) => b + 4 * i0), i1 - i0, ...scalars] });
    }
    if (pool != null && threads > 1) pool.run(calls, simd);
    else (simd.adam as (...args: number[]) => void)(...calls[0]!.args);
    return outs;
  }
  const [outP, outM, outV] = outs.map((info) => heapF32(wasm, info)) as [Float32Array, Float32Array, Float32Array];
  adamUpdateInto(heapF32(wasm, p), heapF32(wasm, g), heapF32(wasm, m), heapF32(wasm, v), outP, outM, outV, a);
  return outs;
};

const cpuKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const cpu = backend as MathBackendCPU;
  const [p, g, m, v] = check(inputs).map((info) => cpu.data.get(info.dataId).values as Float32Array) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const shapes = [inputs['param']!.shape, inputs['expAvg']!.shape, inputs['expAvgSq']!.shape];
  const outs = shapes.map((shape) => new Float32Array(sizeOf(shape))) as [Float32Array, Float32Array, Float32Array];
  adamUpdateInto(p, g, m, v, outs[0], outs[1], outs[2], attrsOf(attrs));
  return outs.map((values, i) => cpu.makeTensorInfo(shapes[i]!, 'float32', values));
};

/** The fused Adam kernel for a backend (wasm and cpu have it). */
export function adamUpdateKernel(backendName: 'wasm' | 'cpu'): KernelConfig {
  return { kernelName: ADAM_UPDATE, backendName, kernelFunc: backendName === 'wasm' ? wasmKernel : cpuKernel };
}
