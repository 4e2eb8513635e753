import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { transposeBatched } from '../kernels/batch-mat-mul';
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
