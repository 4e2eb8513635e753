/** `Embedding`: a lookup table of vectors, with a scatter-add gradient that is fast on every backend. */
import * as tf from '@tensorflow/tfjs-core';
import { normalInit } from './init';
import { Module, type ModuleOptions } from './module';
import { ModuleError } from './errors';
import { assertPositiveInteger } from './validate';

/** Configuration of {@link Embedding}. */
export interface EmbeddingConfig {
  /** Number of rows (vocabulary size, including any special ids). */
  numEmbeddings: number;
  /** Size of each vector. */
  embeddingDim: number;
}

/**
 * Rows of `weight` picked by integer ids of any shape: `[...idsShape]` → `[...idsShape, embeddingDim]`.
 *
 * Parameter (PyTorch `nn.Embedding` name and layout): `weight` `[numEmbeddings, embeddingDim]`, initialised
 * N(0, 1) as PyTorch does.
 *
 * Gradient: one `gather` for the whole id tensor forward, and one `scatterND` (which sums repeated ids)
 * backward, i.e. O(ids × dim) plus one zero-filled `[numEmbeddings, embeddingDim]` buffer. tfjs's own
 * `tf.gather` gradient needs the `UnsortedSegmentSum` kernel, which stock wasm lacks and which the cpu
 * backend runs once per vocabulary row; measured for 850 ids into a 9488×512 table: 68–114 ms per
 * gradient on cpu (the `tf.gather` gradient did not finish 4 calls in 10 minutes), 43–245 ms on wasm.
 * Embed a whole teacher-forced `[B, T]` batch in one call rather than step by step.
 *
 * Ids must lie in `[0, numEmbeddings)`; they are not range-checked on the device (that would need a
 * synchronous download every step).
 *
 * @example
 * ```ts
 * const embed = new Embedding({ numEmbeddings: 9488, embeddingDim: 512 }, { rng: new Random(0) });
 * const words = tf.tidy(() => embed.apply(tf.tensor2d([[0, 5, 9]], [1, 3], 'int32'))); // [1, 3, 512]
 * ```
 */
export class Embedding extends Module<EmbeddingConfig> {
  /** `'Embedding'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'Embedding';
  /** `[numEmbeddings, embeddingDim]`. */
  readonly weight: tf.Variable;

  /**
   * Creates `weight` `[numEmbeddings, embeddingDim]` from N(0, 1), as PyTorch's `nn.Embedding` (drawn
   * from `options.rng`).
   *
   * @throws {ModuleError} when `numEmbeddings` or `embeddingDim` is not a positive integer
   */
  constructor(config: EmbeddingConfig, options: ModuleOptions = {}) {
    assertPositiveInteger('Embedding', 'numEmbeddings', config.numEmbeddings);
    assertPositiveInteger('Embedding', 'embeddingDim', config.embeddingDim);
    super({ numEmbeddings: config.numEmbeddings, embeddingDim: config.embeddingDim }, options);
    this.weight = this.addParameter('weight', [config.numEmbeddings, config.embeddingDim], normalInit(1));
  }

  /** The vectors of `ids` (int32, any shape). */
  apply(ids: tf.Tensor): tf.Tensor {
    this.assertUsable();
    if (ids.dtype !== 'int32') {
      throw new ModuleError(`Embedding.apply: ids must be int32, got ${ids.dtype} (shape [${ids.shape.join(', ')}])`);
    }
    const { embeddingDim } = this.config;
    return tf.tidy(() => {
      const flat = ids.rank === 1 ? ids : tf.reshape(ids, [-1]);
      const rows = gatherRows(this.weight, flat);
      return tf.reshape(rows, [...ids.shape, embeddingDim]);
    });
  }
}

/**
 * `weight[ids]` for 1-D int32 `ids`, differentiable in `weight` through a scatter-add (see
 * {@link Embedding}). No gradient flows to `ids`.
 */
export function gatherRows(weight: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [table, index, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([index]);
    return {
      value: tf.gather(table, index),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedIndex] = saved as [tf.Tensor];
        const tableGrad = tf.scatterND(tf.expandDims(savedIndex, 1), dy, table.shape);
        // customGrad wants one gradient per input; the ids are never differentiated, so this is unused.
        return [tableGrad, tf.zerosLike(savedIndex)];
      },
    };
  });
  return op(weight, ids);
}
