/** Parameter-free element-wise activations and the gated linear unit, as functions and as modules. */
import * as tf from '@tensorflow/tfjs-core';
import { fusedGluLastAxis, hasFusedGateKernels } from '../backend/ops/gates';
import { ModuleError } from './errors';
import { Module, type ModuleOptions } from './module';

/** Activation names understood by {@link activation} and {@link Activation}. */
export type ActivationName = 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'gelu_tanh' | 'identity';

const ACTIVATIONS: Record<ActivationName, (x: tf.Tensor) => tf.Tensor> = {
  relu: (x) => tf.relu(x),
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  // 0.5 x (1 + erf(x / √2)): PyTorch's exact GELU.
  gelu: (x) => tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1))),
  // 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))): GPT-2's "gelu_new", computed as x · σ(2√(2/π) (x + 0.044715 x³))
  // (the same function: 0.5 (1 + tanh(u)) = σ(2u)) with x³ as products: the wasm backend's Pow and Tanh kernels
  // are scalar loops (Pow's gradient calls Pow again), 5–7 times slower than its Sigmoid and Mul
  gelu_tanh: (x) =>
    tf.tidy(() => {
      const inner = tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715));
      return tf.mul(x, tf.sigmoid(tf.mul(inner, 2 * Math.sqrt(2 / Math.PI))));
    }),
  identity: (x) => x,
};

/** The activation function with this name. Throws {@link ModuleError} for an unknown name. */
export function activation(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  const fn = ACTIVATIONS[name];
  if (fn === undefined) {
    throw new ModuleError(`activation: unknown name '${String(name)}' (known: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return fn;
}

/** Configuration of {@link Activation}. */
export interface ActivationConfig {
  /** Which function. */
  fn: ActivationName;
}

/**
 * An activation as a module (for {@link Sequential} containers such as AoANet's `embed = [Embedding, ReLU,
 * Dropout]`, whose PyTorch indices then match: `embed.0.weight`).
 *
 * @example
 * ```ts
 * const relu = new Activation({ fn: 'relu' });
 * const y = relu.apply(x);
 * ```
 */
export class Activation extends Module<ActivationConfig> {
  /** `'Activation'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'Activation';
  private readonly fn: (x: tf.Tensor) => tf.Tensor;

  /**
   * No parameters.
   *
   * @throws {ModuleError} for an unknown `fn`
   */
  constructor(config: ActivationConfig, options: ModuleOptions = {}) {
    const fn = activation(config.fn);
    super({ fn: config.fn }, options);
    this.fn = fn;
  }

  /** The activation of `x`, element-wise. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return this.fn(x);
  }
}

/**
 * Gated linear unit (PyTorch `F.glu`): splits `x` in two halves `a | b` along `axis` and returns
 * `a · sigmoid(b)`. AoANet's attention-on-attention gate is a linear layer followed by this (first half
 * = information, second half = gate). Over the last axis of a float32 tensor on wasm and cpu it is one fused
 * kernel forward and one backward (`backend/kernels/gates.ts`); otherwise stock ops.
 */
export function glu(x: tf.Tensor, axis = -1): tf.Tensor {
  const ax = axis < 0 ? x.rank + axis : axis;
  const size = x.shape[ax];
  if (size === undefined || size % 2 !== 0) {
    throw new ModuleError(`glu: axis ${axis} of shape [${x.shape.join(', ')}] must have an even size`);
  }
  if (ax === x.rank - 1 && x.dtype === 'float32' && hasFusedGateKernels()) return fusedGluLastAxis(x);
  return tf.tidy(() => {
    const [a, b] = tf.split(x, 2, ax) as [tf.Tensor, tf.Tensor];
    return tf.mul(a, tf.sigmoid(b));
  });
}

/** Configuration of {@link GLU}. */
export interface GLUConfig {
  /** Axis that is split in halves (default -1, the last). */
  axis?: number;
}

/**
 * {@link glu} as a module (no parameters), e.g. for AoANet's `aoa_layer = Sequential(Linear(2d→2d), GLU)`.
 *
 * @example
 * ```ts
 * const gate = new Sequential([new Linear({ inFeatures: 64, outFeatures: 64 }), new GLU()]);
 * const y = gate.apply(x); // [..., 64] -> [..., 32]; weights gate.0.weight, gate.0.bias
 * ```
 */
export class GLU extends Module<Required<GLUConfig>> {
  /** `'GLU'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'GLU';

  /**
   * No parameters; `axis` defaults to -1.
   *
   * @throws {ModuleError} when `axis` is not an integer (an odd-sized axis is only detected in `apply`)
   */
  constructor(config: GLUConfig = {}, options: ModuleOptions = {}) {
    const axis = config.axis ?? -1;
    if (!Number.isInteger(axis)) throw new ModuleError(`GLU: axis must be an integer, got ${String(axis)}`);
    super({ axis }, options);
  }

  /** `a · sigmoid(b)` for the two halves of `x` along the configured axis. */
  apply(x: tf.Tensor): tf.Tensor {
    this.assertUsable();
    return glu(x, this.config.axis);
  }
}
