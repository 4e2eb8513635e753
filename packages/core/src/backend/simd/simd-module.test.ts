import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { transposeBatched } from '../kernels/matmul/heap';
import { rowSumsAndMaxes, smoothedGradient } from '../kernels/label-smoothing';
import { sumMiddleAxis } from '../kernels/reduce';
import { asWasmBackend } from '../kernels/wasm-internals';
import { simdKernels } from './simd-module';

describe('SIMD kernels module', () => {
  it('instantiates on the wasm backend memory (Node 20 has WebAssembly SIMD)', () => {
    expect(simdKernels(asWasmBackend(tfc.engine().backend))).not.toBeNull();
  });

  for (const [rows, cols] of [
    [1, 1],
    [3, 5],
    [4, 4],
    [8, 12],
    [33, 67],
    [64, 128],
    [130, 7],
  ] as Array<[number, number]>) {
    it(`transposes ${rows}×${cols} exactly like the JS loop, in place in the heap`, () => {
      const backend = asWasmBackend(tfc.engine().backend);
      const simd = simdKernels(backend)!;
      const values = Float32Array.from({ length: rows * cols }, (_, i) => i * 0.5 - 7);
      const src = tfc.tensor(values, [rows, cols]);
      const dst = tfc.zeros([cols, rows]);
      const at = (t: tfc.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
      simd.transpose(at(src), at(dst), rows, cols, cols, rows);
      const expected = new Float32Array(rows * cols + rows * cols);
      expected.set(values);
      transposeBatched(expected, 0, rows * cols, 1, rows, cols);
      expect(Array.from(dst.dataSync())).toEqual(Array.from(expected.subarray(rows * cols)));
      tfc.dispose([src, dst]);
    });
  }
});

describe('SIMD sum over a middle axis', () => {
  for (const [outer, reduce, inner] of [
    [1, 800, 37],
    [3, 7, 8],
    [2, 5, 1],
    [4, 1, 9],
  ] as Array<[number, number, number]>) {
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

describe('SIMD row scans of the label-smoothed loss', () => {
  for (const [rows, cols] of [
    [1, 3],
    [3, 5],
    [2, 8],
    [4, 9487],
  ] as Array<[number, number]>) {
    it(`row_sum_max and sub_scale_rows equal the JS loops for [${rows}, ${cols}] (sums to float64 rounding, the rest bit for bit)`, () => {
      const backend = asWasmBackend(tfc.engine().backend);
      const simd = simdKernels(backend)!;
      const values = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.7) * 5);
      const scales = Float32Array.from({ length: rows }, (_, r) => 0.25 + r);
      const x = tfc.tensor(values);
      const s = tfc.tensor(scales);
      const sums = tfc.zeros([2 * rows]);
      const maxes = tfc.zeros([rows]);
      const out = tfc.zeros([rows * cols]);
      const at = (t: tfc.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
      simd.row_sum_max(at(x), rows, cols, at(sums), at(maxes));
      const gotSums = new Float64Array(backend.wasm.HEAPU8.buffer.slice(at(sums), at(sums) + 8 * rows));
      const expectedSums = new Float64Array(rows);
      const expectedMaxes = new Float32Array(rows);
      rowSumsAndMaxes(values, rows, cols, expectedSums, expectedMaxes);
      gotSums.forEach((v, r) => expect(Math.abs(v - expectedSums[r]!)).toBeLessThan(1e-9 * cols));
      expect(Array.from(maxes.dataSync())).toEqual(Array.from(expectedMaxes));
      // the gradient's full-size pass: (x − c)·scale per row; with every target at column 0, the JS
      // version differs only there (its target fix-up)
      const c = Math.fround(0.2 / (cols - 1));
      simd.sub_scale_rows(at(x), at(out), rows, cols, c, at(s));
      const expected = new Float32Array(rows * cols);
      smoothedGradient(values, new Int32Array(rows), scales, cols, 0.2, expected);
      const got = out.dataSync();
      let differing = 0;
      for (let r = 0; r < rows; r++)
        for (let j = 1; j < cols; j++) if (got[r * cols + j] !== expected[r * cols + j]) differing++;
      expect(differing).toBe(0);
      tfc.dispose([x, s, sums, maxes, out]);
    });
  }
});
