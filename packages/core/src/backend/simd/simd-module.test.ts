import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { transposeBatched } from '../kernels/batch-mat-mul';
import { sumMiddleAxis } from '../kernels/reduce';
import { asWasmBackend } from '../kernels/wasm-internals';
import { simdKernels } from './simd-module';

describe('SIMD kernels module', () => {
  it('instantiates on the wasm backend memory (Node 20 has WebAssembly SIMD)', () => {
    expect(simdKernels(asWasmBackend(tfc.engine().backend))).not.toBeNull();
  });

  for (const [rows, cols] of [[1, 1], [3, 5], [4, 4], [8, 12], [33, 67], [64, 128], [130, 7]] as Array<[number, number]>) {
    it(`transposes ${rows}×${cols} exactly like the JS loop, in place in the heap`, () => {
      const backend = asWasmBackend(tfc.engine().backend);
      const simd = simdKernels(backend)!;
      const values = Float32Array.from({ length: rows * cols }, (_, i) => i * 0.5 - 7);
      const src = tfc.tensor(values, [rows, cols]);
      const dst = tfc.zeros([cols, rows]);
      const at = (t: tfc.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
      simd.transpose(at(src), at(dst), rows, cols);
      const expected = new Float32Array(rows * cols + rows * cols);
      expected.set(values);
      transposeBatched(expected, 0, rows * cols, 1, rows, cols);
      expect(Array.from(dst.dataSync())).toEqual(Array.from(expected.subarray(rows * cols)));
      tfc.dispose([src, dst]);
    });
  }
});

describe('SIMD sum over a middle axis', () => {
  for (const [outer, reduce, inner] of [[1, 800, 37], [3, 7, 8], [2, 5, 1], [4, 1, 9]] as Array<[number, number, number]>) {
    it(`equals the JS loop bit for bit for [${outer}, ${reduce}, ${inner}]`, () => {
      const backend = asWasmBackend(tfc.engine().backend);
      const simd = simdKernels(backend)!;
      const values = Float32Array.from({ length: outer * reduce * inner }, (_, i) => Math.sin(i) * 3);
      const x = tfc.tensor(values);
      const out = tfc.zeros([outer * inner]);
      const acc = tfc.zeros([2 * inner]);
      const at = (t: tfc.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
      simd.sum_middle(at(x), at(out), at(acc), outer, reduce, inner, 1 / reduce);
      const expected = new Float32Array(outer * inner);
      sumMiddleAxis(values, outer, reduce, inner, expected, 1 / reduce);
      expect(Array.from(out.dataSync())).toEqual(Array.from(expected));
      tfc.dispose([x, out, acc]);
    });
  }
});
