import * as tfc from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { WasmMemoryError } from './errors';
import {
  WASM_HEAP_LIMIT_BYTES,
  checkCaptionerStepMemory,
  checkWasmMemory,
  estimateCaptionerStepBytes,
  wasmMemoryStatus,
} from './memory';

const captioner = { steps: 16, vocab: 9487, hidden: 512, regions: 36, featureDim: 2048 };

describe('wasm memory planning', () => {
  it('reports the heap: its size, the 4 GiB limit and the live tensors', () => {
    const status = wasmMemoryStatus()!;
    expect(status.limitBytes).toBe(WASM_HEAP_LIMIT_BYTES);
    expect(status.heapBytes).toBeGreaterThan(0);
    expect(status.heapBytes).toBeLessThanOrEqual(status.limitBytes);
    expect(status.tensorBytes).toBe(tfc.memory().numBytes);
    expect(status.availableBytes).toBe(status.limitBytes - status.tensorBytes);
  });

  it('lets a plan that fits through', () => {
    expect(checkWasmMemory({ bytes: 100 * 2 ** 20 })).not.toBeNull();
    expect(checkCaptionerStepMemory({ batch: 50, ...captioner }).totalBytes).toBeGreaterThan(0);
  });

  it('refuses a plan over the cap with sizes and the largest micro-batch that fits', () => {
    const request = { bytes: 6 * 2 ** 30, fixedBytes: 2 ** 30, batch: 100, what: 'a training step at batch 100' };
    // 0.85 × 4 GiB − 1 GiB fixed, at (6 − 1) GiB / 100 per item → 49 items
    const perItem = (request.bytes - request.fixedBytes) / request.batch;
    const fits = Math.floor((WASM_HEAP_LIMIT_BYTES * 0.85 - request.fixedBytes) / perItem);
    expect(() => checkWasmMemory(request)).toThrow(WasmMemoryError);
    expect(() => checkWasmMemory(request)).toThrow(`Use micro-batches of at most ${fits} (of 100)`);
    expect(() => checkWasmMemory(request)).toThrow(/a training step at batch 100 needs about 6\.00 GiB/);
    try {
      checkWasmMemory(request);
    } catch (error) {
      expect((error as WasmMemoryError).requiredBytes).toBe(request.bytes);
    }
  });

  it('says when not even one item fits', () => {
    expect(() => checkWasmMemory({ bytes: 5 * 2 ** 30, fixedBytes: 3 * 2 ** 30, batch: 2 })).toThrow(
      /Even a batch of 1 does not fit/,
    );
    // a plan for one item is not told to split its batch into micro-batches
    expect(() => checkWasmMemory({ bytes: 5 * 2 ** 30, fixedBytes: 2 ** 30, batch: 1 })).toThrow(
      /Even a batch of 1 does not fit/,
    );
  });

  it('does not propose micro-batches when the batch-independent part alone is over the cap', () => {
    const request = { bytes: 6 * 2 ** 30, fixedBytes: 3.9 * 2 ** 30, batch: 100 };
    expect(() => checkWasmMemory(request)).toThrow(/does not fit by itself, so micro-batches cannot help/);
    expect(() => checkWasmMemory(request)).not.toThrow(/Use micro-batches/);
  });

  it('refuses the benchmark captioner at a batch whose step would abort, and proposes one that ran', () => {
    // bench/memory.ts measured the heap high-water of this model: 950 MiB at batch 50, 1384 MiB at 100
    expect(() => checkCaptionerStepMemory({ batch: 500, ...captioner })).toThrow(
      /Use micro-batches of at most \d+ \(of 500\)/,
    );
    const at100 = estimateCaptionerStepBytes({ batch: 100, ...captioner });
    expect(at100.totalBytes).toBeGreaterThan(1384 * 2 ** 20);
    expect(at100.totalBytes).toBeLessThan(1.3 * 1384 * 2 ** 20);
  });

  it('estimates grow with the batch and the vocabulary, and the parts add up', () => {
    const small = estimateCaptionerStepBytes({ batch: 10, ...captioner });
    const large = estimateCaptionerStepBytes({ batch: 20, ...captioner });
    const { parameters, logits, recurrent, attention, regions } = large.parts;
    expect(parameters + logits + recurrent + attention + regions).toBe(large.totalBytes);
    expect(large.fixedBytes).toBe(small.fixedBytes);
    expect(large.totalBytes - large.fixedBytes).toBeCloseTo(2 * (small.totalBytes - small.fixedBytes), 0);
    expect(estimateCaptionerStepBytes({ batch: 10, ...captioner, vocab: 20000 }).parts.logits).toBeGreaterThan(
      small.parts.logits,
    );
  });

  it('does nothing off wasm', async () => {
    await tfc.setBackend('cpu');
    try {
      expect(wasmMemoryStatus()).toBeNull();
      expect(checkWasmMemory({ bytes: 100 * 2 ** 30 })).toBeNull();
    } finally {
      await tfc.setBackend('wasm');
    }
  });
});
