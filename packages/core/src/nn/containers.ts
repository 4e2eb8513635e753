/** Containers with numeric child names (`layers.0`, `embed.1`), as PyTorch's `nn.ModuleList` and `nn.Sequential`. */
import * as tf from '@tensorflow/tfjs-core';
import { ModuleError } from './errors';
import { Module, type ModuleJSON, type ModuleOptions } from './module';
import { moduleFromJSON } from './registry';

/** A module whose `apply` maps one tensor to one tensor (what {@link Sequential} chains). */
export interface UnaryModule extends Module {
  /** Maps one tensor to one tensor (the output of the previous child to the input of the next). */
  apply(x: tf.Tensor): tf.Tensor;
}

/** Configuration of {@link ModuleList} and {@link Sequential}: the children's JSON forms, in order. */
export interface ModuleListConfig {
  /** Each child's `toJSON()` (class name and config), in index order; weights are not included. */
  modules: ModuleJSON[];
}

/**
 * An indexed list of modules registered as `0`, `1`, … (PyTorch `nn.ModuleList`), e.g. AoANet's
 * `refiner.layers.3` or the attention's `linears.0/1/2`. It has no `apply`; the owner calls the items.
 *
 * @example
 * ```ts
 * const linears = new ModuleList([new Linear({ inFeatures: 32, outFeatures: 32 }), new Linear({ inFeatures: 32, outFeatures: 32 })]);
 * linears.namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '1.weight', '1.bias']
 * ```
 */
export class ModuleList<M extends Module = Module> extends Module<ModuleListConfig> {
  /** `'ModuleList'`: the name `moduleFromJSON` finds this class under. */
  readonly className: string = 'ModuleList';
  private readonly items: M[];

  /** The children are taken as they are (their weights, rng and mode); their configs form this config. */
  constructor(modules: readonly M[], options: ModuleOptions = {}) {
    super({ modules: modules.map((m) => m.toJSON()) }, options);
    this.items = [...modules];
    this.items.forEach((m, i) => this.addModule(String(i), m));
  }

  /** A list rebuilt from the children's JSON (fresh weights; classes resolved with `moduleFromJSON`). */
  static fromConfig(config: ModuleListConfig, options?: ModuleOptions): ModuleList {
    return new ModuleList(config.modules.map((json) => moduleFromJSON(json, options)), options);
  }

  /** Number of children. */
  get length(): number {
    return this.items.length;
  }

  /** The child at `index` (throws {@link ModuleError} when out of range). */
  get(index: number): M {
    const item = this.items[index];
    if (item === undefined) throw new ModuleError(`${this.className}: index ${index} out of range (length ${this.items.length})`);
    return item;
  }

  /** The children in order. */
  toArray(): M[] {
    return [...this.items];
  }

  /** Iterates over the children in order (`for (const layer of list)`). */
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * Unary modules applied one after the other, registered as `0`, `1`, … (PyTorch `nn.Sequential`).
 *
 * @example
 * ```ts
 * // AoANet's word embedding: embed.0.weight is the table; ReLU and Dropout follow.
 * const embed = new Sequential([
 *   new Embedding({ numEmbeddings: 41, embeddingDim: 32 }),
 *   new Activation({ fn: 'relu' }),
 *   new Dropout({ rate: 0.5 }),
 * ]);
 * const words = tf.tidy(() => embed.apply(ids));
 * ```
 */
export class Sequential extends ModuleList<UnaryModule> {
  /** `'Sequential'`: the name `moduleFromJSON` finds this class under. */
  override readonly className: string = 'Sequential';

  /** A container rebuilt from the children's JSON (fresh weights). */
  static override fromConfig(config: ModuleListConfig, options?: ModuleOptions): Sequential {
    const modules = config.modules.map((json) => {
      const m = moduleFromJSON(json, options);
      if (typeof (m as unknown as Partial<UnaryModule>).apply !== 'function') {
        throw new ModuleError(`Sequential: child '${json.className}' has no apply(x) method`);
      }
      return m as unknown as UnaryModule;
    });
    return new Sequential(modules, options);
  }

  /** `x` passed through every child in order. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return tf.tidy(() => {
      let y = x;
      for (const m of this) y = m.apply(y);
      return y;
    });
  }
}
