/** `Dropout` with masks drawn from the module's seeded {@link Random}, so training runs are reproducible. */
import * as tf from '@tensorflow/tfjs-core';
import { Module, type ModuleOptions } from './module';
import { assertRate } from './validate';

/** Configuration of {@link Dropout}. */
export interface DropoutConfig {
  /** Probability of zeroing an element, in [0, 1). */
  rate: number;
}

/**
 * Inverted dropout: in training mode each element is zeroed with probability `rate` and the survivors are
 * scaled by `1 / (1 − rate)`; in eval mode (or with rate 0) `apply` returns its input tensor itself.
 *
 * The mask is drawn in JavaScript from {@link Module.rng} (one 32-bit draw per element, `Random.fillUint32`), so it is
 * the same on every backend and continues exactly from a saved generator state
 * (`model.useRandom(Random.fromState(s))`). It has no parameters.
 *
 * @example
 * ```ts
 * const drop = new Dropout({ rate: 0.5 }, { rng: new Random(1) });
 * const y = tf.tidy(() => drop.apply(x)); // training mode: about half the elements are 0, the rest ×2
 * drop.eval();                             // now drop.apply(x) === x
 * ```
 */
export class Dropout extends Module<DropoutConfig> {
  /** `'Dropout'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'Dropout';

  /**
   * No parameters; the masks are drawn from `options.rng` in training mode.
   *
   * @throws {ModuleError} when `rate` is not in [0, 1)
   */
  constructor(config: DropoutConfig, options: ModuleOptions = {}) {
    assertRate('Dropout', 'rate', config.rate);
    super({ rate: config.rate }, options);
  }

  /** `x` with dropout applied in training mode; `x` itself otherwise. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    const { rate } = this.config;
    if (!this.training || rate === 0) return x;
    const keep = 1 - rate;
    const scale = 1 / keep;
    // Element i is kept when its uniform u_i = bits_i / 2^32 is below `keep` (i.e. `rng.next() < keep`).
    const bits = this.rng.fillUint32(new Uint32Array(x.size));
    const threshold = keep * 4294967296;
    const mask = new Float32Array(x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = (bits[i] as number) < threshold ? scale : 0;
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }
}
