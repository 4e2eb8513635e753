/**
 * Analytic matmul FLOP counts (2·m·k·n per product) of AoANet's pieces, for the bench's GFLOP/s. Element-
 * wise work (LayerNorm, softmax, activations, the optimiser) is not counted. A backward pass computes, per
 * product, the gradient of each operand that needs one (same FLOPs as the forward product each).
 */
import type { ResolvedAoAModelConfig } from '../src/index';

/** Forward FLOPs of the image side (region embedding, refiner, ctx2att) for one image of `regions` regions. */
export function imageSideFlops(c: ResolvedAoAModelConfig, regions: number): { forward: number; backward: number } {
  const d = c.rnnSize;
  const w = c.multiHeadScale * d;
  const k = regions;
  const inputSize = c.attFeatSize + (c.useBox ? 5 : 0);
  const embed = 2 * k * inputSize * d;
  let refiner = 0;
  if (c.refine) {
    const projections = 3 * 2 * k * d * w;
    const attention = 2 * (2 * k * k * w); // scores and weighted values
    const gate = c.refineAoa ? 2 * k * (w + d) * 2 * d : 2 * k * w * d;
    const ff = c.useFf ? 2 * (2 * k * d * 2048) : 0;
    refiner = 6 * (projections + attention + gate + ff);
  }
  const ctx2att = 2 * k * d * (c.useMultiHead === 2 ? 2 * w : c.attHidSize);
  const forward = embed + refiner + ctx2att;
  // every product needs both gradients except the region embedding (its input is data): 2× forward, 1× for it
  return { forward, backward: 2 * forward - embed };
}

/** Forward FLOPs of one decoder step for one row (LSTM, attention, context layer, logits) over `regions` regions. */
export function decoderStepFlops(c: ResolvedAoAModelConfig, regions: number): { forward: number; backward: number } {
  const d = c.rnnSize;
  const w = c.useMultiHead === 2 ? c.multiHeadScale * d : d;
  const lstm = 2 * (c.inputEncodingSize + d) * 4 * d + 2 * d * 4 * d;
  const attention =
    c.useMultiHead === 2
      ? 2 * d * w + 2 * (2 * regions * w)
      : 2 * d * c.attHidSize + 2 * regions * c.attHidSize + 2 * regions * d;
  const context =
    c.decoderType === 'AoA'
      ? 2 * (w + d) * 2 * d
      : c.decoderType === 'LSTM'
        ? 2 * (w + d) * 4 * d + 2 * d * 4 * d
        : 2 * (w + d) * d;
  const logit = 2 * d * (c.vocabSize + 1);
  const forward = lstm + attention + context + logit;
  return { forward, backward: 2 * forward };
}

/** FLOPs of a teacher-forced forward (and backward) over `images` images, `rows` captions, `steps` steps. */
export function teacherForcedFlops(
  c: ResolvedAoAModelConfig,
  shape: { images: number; rows: number; steps: number; regions: number },
): { forward: number; backward: number } {
  const image = imageSideFlops(c, shape.regions);
  const step = decoderStepFlops(c, shape.regions);
  const n = shape.rows * shape.steps;
  return {
    forward: shape.images * image.forward + n * step.forward,
    backward: shape.images * image.backward + n * step.backward,
  };
}

/** FLOPs of decoding `rows` rows for `steps` steps after encoding `images` images (no gradients). */
export function decodeFlops(
  c: ResolvedAoAModelConfig,
  shape: { images: number; rows: number; steps: number; regions: number },
): number {
  return (
    shape.images * imageSideFlops(c, shape.regions).forward +
    shape.rows * shape.steps * decoderStepFlops(c, shape.regions).forward
  );
}
