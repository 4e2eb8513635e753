/**
 * Memory planning for the wasm backend, whose heap is capped at 4 GiB and never shrinks.
 *
 * When an allocation does not fit, tfjs-backend-wasm dies with `Aborted(). Build with -sASSERTIONS for
 * more info.` and the backend is unusable afterwards. These helpers estimate what a computation needs
 * and refuse it beforehand with a {@link WasmMemoryError} that says what to do (smaller micro-batches
 * with gradient accumulation).
 */
import * as tfc from '@tensorflow/tfjs-core';
import { WasmMemoryError } from './errors';
import { asWasmBackend } from './kernels/wasm-internals';

/** The largest wasm heap: 65536 pages of 64 KiB minus one page, as Emscripten's `getHeapMax` reports. */
export const WASM_HEAP_LIMIT_BYTES = 4294901760;

/** Where the wasm heap stands. */
export interface WasmMemoryStatus {
  /** the most the heap can grow to */
  limitBytes: number;
  /** the heap's current size (its high-water mark: it never shrinks) */
  heapBytes: number;
  /** bytes held by live tensors (`tf.memory().numBytes`) */
  tensorBytes: number;
  /** what new allocations can still get: the limit minus live tensors (fragmentation aside) */
  availableBytes: number;
}

/** The wasm heap's status, or null when the active backend is not wasm. */
export function wasmMemoryStatus(): WasmMemoryStatus | null {
  if (tfc.getBackend() !== 'wasm') return null;
  const backend = asWasmBackend(tfc.engine().backend);
  const tensorBytes = tfc.memory().numBytes;
  return {
    limitBytes: WASM_HEAP_LIMIT_BYTES,
    heapBytes: backend.wasm.HEAPU8.byteLength,
    tensorBytes,
    availableBytes: Math.max(0, WASM_HEAP_LIMIT_BYTES - tensorBytes),
  };
}

/** A request to {@link checkWasmMemory}. */
export interface WasmMemoryRequest {
  /**
   * estimated peak heap of the process during the computation: everything alive at its peak, the
   * tensors alive now included (what {@link estimateCaptionerStepBytes} returns as `totalBytes`)
   */
  bytes: number;
  /** what is being planned, for the message (default "this computation") */
  what?: string;
  /**
   * the batch size the estimate is for; when given, and the estimate scales with it, the error
   * proposes the largest micro-batch that fits
   */
  batch?: number;
  /** bytes of `bytes` that do not scale with the batch (parameters, optimiser state); default 0 */
  fixedBytes?: number;
}

/** Fraction of the heap limit a plan may use; the rest absorbs fragmentation and the heap's growth steps. */
const DEFAULT_HEADROOM = 0.85;

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
}

/**
 * Checks that a computation whose peak heap is `request.bytes` fits under the wasm heap's 4 GiB cap.
 * Does nothing (returns null) when the active backend is not wasm (the cpu and native backends have no
 * such cap).
 *
 * @param options `headroom`: fraction of the limit the plan may use (default 0.85)
 * @returns the heap status when it fits
 * @throws {WasmMemoryError} when it does not, naming the sizes and the largest micro-batch that fits
 *
 * @example
 * ```ts
 * const shape = { batch: 250, steps: 16, vocab: 9487, hidden: 512, regions: 36, featureDim: 2048 };
 * const estimate = estimateCaptionerStepBytes(shape);
 * const { totalBytes: bytes, fixedBytes } = estimate;
 * checkWasmMemory({ bytes, fixedBytes, batch: 250, what: 'a training step' });
 * ```
 */
export function checkWasmMemory(
  request: WasmMemoryRequest,
  options: {
    /** Fraction of the heap limit the computation may use; default 0.85. */
    headroom?: number;
  } = {},
): WasmMemoryStatus | null {
  const status = wasmMemoryStatus();
  if (status == null) return null;
  const budget = status.limitBytes * (options.headroom ?? DEFAULT_HEADROOM);
  if (request.bytes <= budget) return status;
  const what = request.what ?? 'this computation';
  let advice =
    'Split the batch into micro-batches and accumulate their gradients before the optimiser step ' +
    '(or use a native backend: initBackend("node") has no such cap).';
  const fixed = request.fixedBytes ?? 0;
  if (fixed >= budget) {
    advice =
      `Its part that does not depend on the batch ` +
      `(parameters, gradients, optimiser state: ${gib(fixed)}) does not fit ` +
      'by itself, so micro-batches cannot help: reduce the model, or use a native backend.';
  } else if (request.batch !== undefined && request.batch >= 1 && request.bytes > fixed) {
    const perItem = (request.bytes - fixed) / request.batch;
    const fits = Math.floor((budget - fixed) / perItem);
    advice =
      fits >= 1
        ? `Use micro-batches of at most ${fits} (of ${request.batch}) and accumulate their gradients ` +
          `before the optimiser step ` +
          '(or use a native backend: initBackend("node") has no such cap).'
        : 'Even a batch of 1 does not fit: reduce the model or the sequence length, or use a native backend.';
  }
  throw new WasmMemoryError(
    `${what} needs about ${gib(request.bytes)} of wasm heap, more than the ${gib(budget)} it can safely plan for ` +
      `(the heap is capped at ${gib(status.limitBytes)}; live tensors hold ${gib(status.tensorBytes)} now); ` +
      `the backend would abort with "Aborted()". ${advice}`,
    request.bytes,
    budget,
  );
}

/** Shapes of an attention + recurrent captioner's training step, for {@link estimateCaptionerStepBytes}. */
export interface CaptionerStepShape {
  /** captions per step (images × captions per image) */
  batch: number;
  /** decoding steps per caption (T) */
  steps: number;
  /** logit classes (vocabulary size, with the end token) */
  vocab: number;
  /** recurrent hidden size */
  hidden: number;
  /** attended regions per image (0 for a model without attention) */
  regions?: number;
  /** size of a region feature before projection */
  featureDim?: number;
  /** images per step, when captions share their image's features (default `batch`) */
  images?: number;
  /** trainable parameters (default: estimated from the shapes as an AoA-style decoder) */
  parameters?: number;
}

/** An estimate of a step's peak memory. */
export interface StepMemoryEstimate {
  /** total estimated peak bytes */
  totalBytes: number;
  /** the part that does not scale with the batch: parameters, gradients, optimiser moments, packed copies */
  fixedBytes: number;
  /** the parts, for messages and tuning */
  parts: {
    /** Bytes of the parameters with their gradients, Adam moments and packed copies, plus the runtime's own heap. */
    parameters: number;
    /** Bytes of the `[batch, steps, vocab]` logits, their softmax, gradient and transposed copy. */
    logits: number;
    /** Bytes of the per-step recurrent activations (`hidden` wide) and their gradients. */
    recurrent: number;
    /** Bytes of the per-step gradients of the attention keys and values (`[regions, hidden]` per caption). */
    attention: number;
    /** Bytes of the region features and their projections, per image. */
    regions: number;
  };
}

/**
 * Float32 copies alive at the peak of a training step, fitted to the wasm heap's high-water mark of the
 * benchmark captioner (bench/memory.ts: batches 10–100, vocabularies 1000 and 9487; see docs/backends.md) and
 * rounded up: the parameters with their gradients, Adam moments, packed and transposed copies; per
 * caption the `[T, vocab]` logits (forward, softmax kept for the backward pass, gradient, transposed
 * copy), the per-step recurrent activations and their gradients, the per-step gradients of the
 * attention keys and values (`[R, H]` each, kept until summed); per image the region features.
 */
const COPIES = {
  parameters: 9,
  logits: 4,
  recurrentPerHidden: 105,
  attentionPerStep: 2,
  regionsPerFeature: 3,
  regionsPerHidden: 10,
};

/** Heap the wasm runtime, XNNPACK and tfjs use besides tensors. */
const RUNTIME_BYTES = 64 * 2 ** 20;

/**
 * Estimates the peak memory of one training step (forward, backward, Adam) of an attention + LSTM
 * captioner (Show-Attend-Tell, AoANet decoders) on wasm: parameters and optimiser state, then per
 * caption the unrolled recurrent and attention activations with their gradients and the `[T, vocab]`
 * logits, per image the region features. Calibrated on the benchmark model, where it overestimates the
 * measured heap by 1–25 %; treat it as a planning figure for models of that family.
 */
export function estimateCaptionerStepBytes(shape: CaptionerStepShape): StepMemoryEstimate {
  const { batch, steps, vocab, hidden } = shape;
  const regions = shape.regions ?? 0;
  const featureDim = shape.featureDim ?? 0;
  const images = shape.images ?? batch;
  const parameters =
    shape.parameters ?? vocab * hidden * 2 + featureDim * hidden + 12 * hidden * hidden + 8 * hidden * hidden;
  const f = 4;
  const parts = {
    parameters: RUNTIME_BYTES + COPIES.parameters * parameters * f,
    logits: COPIES.logits * batch * steps * vocab * f,
    recurrent: COPIES.recurrentPerHidden * batch * steps * hidden * f,
    attention: COPIES.attentionPerStep * batch * steps * regions * hidden * f,
    regions: images * regions * (COPIES.regionsPerFeature * featureDim + COPIES.regionsPerHidden * hidden) * f,
  };
  return {
    totalBytes: parts.parameters + parts.logits + parts.recurrent + parts.attention + parts.regions,
    fixedBytes: parts.parameters,
    parts,
  };
}

/**
 * {@link estimateCaptionerStepBytes} then {@link checkWasmMemory}: call it before training with the
 * step's shapes; on wasm it throws a {@link WasmMemoryError} naming the largest micro-batch that fits.
 *
 * @returns the estimate (whatever the backend)
 *
 * @example
 * ```ts
 * try {
 *   checkCaptionerStepMemory({ batch: 500, steps: 16, vocab: 9487, hidden: 512, regions: 36, featureDim: 2048 });
 * } catch (e) {
 *   if (e instanceof WasmMemoryError) console.error(e.message); // "... Use micro-batches of at most 305 (of 500) ..."
 * }
 * ```
 */
export function checkCaptionerStepMemory(
  shape: CaptionerStepShape,
  options: {
    /** Fraction of the wasm heap limit the step may use; default 0.85 (see {@link checkWasmMemory}). */
    headroom?: number;
  } = {},
): StepMemoryEstimate {
  const estimate = estimateCaptionerStepBytes(shape);
  checkWasmMemory(
    {
      bytes: estimate.totalBytes,
      fixedBytes: estimate.fixedBytes,
      batch: shape.batch,
      what: `a training step at batch ${shape.batch}`,
    },
    options,
  );
  return estimate;
}
