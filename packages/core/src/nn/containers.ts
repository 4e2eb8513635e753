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
 * const square = { inFeatures: 32, outFeatures: 32 };
 * const linears = new ModuleList([new Linear(square), new Linear(square)]);
 * linears.namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '1.weight', '1.bias']
 * ```
 */
export class ModuleList<M extends Module = Module> extends Module<ModuleListConfig> {
  /** `'ModuleList'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className: string = 'ModuleList';
  private readonly items: M[];

  /**
   * The children are taken as they are (their weights, rng and mode); their configs form this config. Given a
   * {@link ModuleListConfig} instead (what the generic `fromConfig` passes), the children are rebuilt from
   * their JSON with `moduleFromJSON` (fresh weights).
   */
  constructor(modules: readonly M[] | ModuleListConfig, options: ModuleOptions = {}) {
    const items = Array.isArray(modules)
      ? [...(modules as readonly M[])]
      : (modules as ModuleListConfig).modules.map((json) => moduleFromJSON(json, options) as M);
    super({ modules: items.map((m) => m.toJSON()) }, options);
    this.items = items;
    this.items.forEach((m, i) => this.addModule(String(i), m));
  }

  /** Number of children. */
  get length(): number {
    return this.items.length;
  }

  /** The child at `index` (throws {@link ModuleError} when out of range). */
  get(index: number): M {
    const item = this.items[index];
    if (item === undefined)
      throw new ModuleError(`${this.className}: index ${index} out of range (length ${this.items.length})`);
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
  static override readonly className = 'Sequential';

  /**
   * As {@link ModuleList}'s; every child must have an `apply(x)` (a {@link ModuleError} names the one that does not).
   */
  constructor(modules: readonly UnaryModule[] | ModuleListConfig, options: ModuleOptions = {}) {
    super(modules, options);
    for (const m of this) {
      if (typeof (m as Partial<UnaryModule>).apply !== 'function') {
        const name = m.className;
        this.dispose();
        throw new ModuleError(`Sequential: child '${name}' has no apply(x) method`);
      }
    }
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
