/** `SublayerConnection`: the pre-norm residual wrapper of the annotated transformer and AoANet's refiner. */
import * as tf from '@tensorflow/tfjs-core';
import { Dropout } from './dropout';
import { ModuleError } from './errors';
import { LayerNorm, type LayerNormVariant } from './layer-norm';
import { Module, type ModuleOptions } from './module';
import { assertPositiveInteger, assertRate } from './validate';

/** Configuration of {@link SublayerConnection}. */
export interface SublayerConnectionConfig {
  /** Feature size of `x`. */
  size: number;
  /** Dropout on the sub-layer output (default 0.1). */
  dropout?: number;
  /** LayerNorm flavour (default `'annotated'`, as in AoANet). */
  normVariant?: LayerNormVariant;
}

/**
 * `x + dropout(sublayer(norm(x)))`: pre-norm residual connection (annotated transformer, AoANet's
 * `refiner.layers.*.sublayer.*`; parameters `norm.a_2`, `norm.b_2`). The sub-layer is any function of the
 * normalised input, e.g. a self-attention closure.
 *
 * @example
 * ```ts
 * const residual = new SublayerConnection({ size: 1024 });
 * const y = tf.tidy(() => residual.apply(x, (n) => attention.apply(n, n, n, mask)));
 * ```
 */
export class SublayerConnection extends Module<Required<SublayerConnectionConfig>> {
  /** `'SublayerConnection'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'SublayerConnection';
  /** The LayerNorm applied before the sub-layer. */
  readonly norm: LayerNorm;
  /** Dropout on the sub-layer output. */
  readonly dropout: Dropout;

  /**
   * Creates the `norm` LayerNorm over `size` features (variant default `'annotated'`) and the dropout
   * (default rate 0.1).
   *
   * @throws {ModuleError} for a non-positive `size` or a rate outside [0, 1)
   */
  constructor(config: SublayerConnectionConfig, options: ModuleOptions = {}) {
    assertPositiveInteger('SublayerConnection', 'size', config.size);
    const rate = config.dropout ?? 0.1;
    assertRate('SublayerConnection', 'dropout', rate);
    super({ size: config.size, dropout: rate, normVariant: config.normVariant ?? 'annotated' }, options);
    this.norm = this.addModule(
      'norm',
      new LayerNorm({ features: config.size, variant: this.config.normVariant }, { rng: this.rng }),
    );
    this.dropout = this.addModule('dropout', new Dropout({ rate }, { rng: this.rng }));
  }

  /** `x + dropout(sublayer(norm(x)))`; the sub-layer must return a tensor of `x`'s shape. */
  apply(x: tf.Tensor, sublayer: (normalised: tf.Tensor) => tf.Tensor): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => {
      const out = sublayer(this.norm.apply(x));
      if (out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== x.shape[i])) {
        throw new ModuleError(
          `SublayerConnection.apply: the ` +
            `sub-layer returned shape [${out.shape.join(', ')}] for input [${x.shape.join(', ')}]`,
        );
      }
      return tf.add(x, this.dropout.apply(out));
    });
  }
}
