/**
 * Weight initialisers. They fill a `Float32Array` from a seeded {@link Random} in plain JavaScript (bulk draws
 * with `Random.fillUint32`), so the initial weights are identical on every backend and reproducible from the
 * seed alone.
 */
import { type Random } from '../random';

/** Fills a buffer of `size` values for a parameter of the given shape. */
export type Initializer = (shape: readonly number[], rng: Random) => Float32Array;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Uniform values in `[-bound, bound)` (PyTorch's default for `Linear`, `LSTMCell` with `bound = 1/sqrt(fan)`). */
export function uniformInit(bound: number): Initializer {
  return (shape, rng) => {
    const bits = rng.fillUint32(new Uint32Array(sizeOf(shape)));
    const out = new Float32Array(bits.length);
    for (let i = 0; i < out.length; i++) out[i] = (2 * ((bits[i] as number) / 4294967296) - 1) * bound;
    return out;
  };
}

/** Normal values with the given mean and standard deviation (Box–Muller; PyTorch's `Embedding` uses N(0, 1)). */
export function normalInit(std = 1, mean = 0): Initializer {
  return (shape, rng) => {
    const out = new Float32Array(sizeOf(shape));
    const bits = rng.fillUint32(new Uint32Array(2 * Math.ceil(out.length / 2)));
    for (let i = 0; i < out.length; i += 2) {
      // 1 - u lies in (0, 1], so the logarithm is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - (bits[i] as number) / 4294967296));
      const angle = (2 * Math.PI * (bits[i + 1] as number)) / 4294967296;
      out[i] = mean + std * radius * Math.cos(angle);
      if (i + 1 < out.length) out[i + 1] = mean + std * radius * Math.sin(angle);
    }
    return out;
  };
}

/** Every value equal to `value` (e.g. 1 for a LayerNorm gain, 0 for its bias). */
export function constantInit(value: number): Initializer {
  return (shape) => new Float32Array(sizeOf(shape)).fill(value);
}
