/** `LSTMCell` with PyTorch's parameter names, layouts, gate order and initialisation. */
import * as tf from '@tensorflow/tfjs-core';
import { fusedLstmGates, hasFusedGateKernels } from '../backend/ops/gates';
import { ModuleError } from './errors';
import { uniformInit } from './init';
import { Module, type ModuleOptions } from './module';
import { assertLastDim, assertPositiveInteger, assertRank } from './validate';

/** Configuration of {@link LSTMCell}. */
export interface LSTMCellConfig {
  /** Size of the input `x`. */
  inputSize: number;
  /** Size of the hidden and cell states. */
  hiddenSize: number;
  /** Whether to use the two bias vectors (default true). */
  bias?: boolean;
}

/** Hidden state `h` and cell state `c` of an {@link LSTMCell}, each `[batch, hiddenSize]`. */
export interface LSTMState {
  /** Hidden state `[batch, hidden]`. */
  h: tf.Tensor;
  /** Cell state `[batch, hidden]`. */
  c: tf.Tensor;
}

/**
 * One LSTM step, exactly as PyTorch's `nn.LSTMCell`:
 * `gates = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh`, split in the order (i, f, g, o);
 * `c' = σ(f) c + σ(i) tanh(g)`, `h' = σ(o) tanh(c')`.
 *
 * Parameters: `weight_ih` `[4·hidden, input]`, `weight_hh` `[4·hidden, hidden]`, `bias_ih` and `bias_hh`
 * `[4·hidden]` (two bias vectors, unlike Keras/tfjs), all uniform in ±1/√hidden. PyTorch state dicts load
 * as they are.
 *
 * @example
 * ```ts
 * const cell = new LSTMCell({ inputSize: 2048, hiddenSize: 1024 }, { rng: new Random(0) });
 * let state = cell.zeroState(batch);
 * const next = tf.tidy(() => cell.apply(x, state)); // { h, c }
 * ```
 */
export class LSTMCell extends Module<Required<LSTMCellConfig>> {
  /** `'LSTMCell'`: the name `moduleFromJSON` finds this class under. */
  static override readonly className = 'LSTMCell';
  /** `[4·hidden, input]`. */
  readonly weightIH: tf.Variable;
  /** `[4·hidden, hidden]`. */
  readonly weightHH: tf.Variable;
  /** `[4·hidden]`, or null without bias. */
  readonly biasIH: tf.Variable | null;
  /** `[4·hidden]`, or null without bias. */
  readonly biasHH: tf.Variable | null;

  /**
   * Creates `weight_ih` `[4·hidden, input]`, `weight_hh` `[4·hidden, hidden]` and, unless `bias: false`,
   * `bias_ih` / `bias_hh` `[4·hidden]`, all uniform in `±1/√hiddenSize` as PyTorch's `nn.LSTMCell`.
   *
   * @throws {ModuleError} when `inputSize` or `hiddenSize` is not a positive integer
   */
  constructor(config: LSTMCellConfig, options: ModuleOptions = {}) {
    assertPositiveInteger('LSTMCell', 'inputSize', config.inputSize);
    assertPositiveInteger('LSTMCell', 'hiddenSize', config.hiddenSize);
    super({ inputSize: config.inputSize, hiddenSize: config.hiddenSize, bias: config.bias ?? true }, options);
    const { inputSize, hiddenSize } = config;
    const init = uniformInit(1 / Math.sqrt(hiddenSize));
    this.weightIH = this.addParameter('weight_ih', [4 * hiddenSize, inputSize], init);
    this.weightHH = this.addParameter('weight_hh', [4 * hiddenSize, hiddenSize], init);
    this.biasIH = this.config.bias ? this.addParameter('bias_ih', [4 * hiddenSize], init) : null;
    this.biasHH = this.config.bias ? this.addParameter('bias_hh', [4 * hiddenSize], init) : null;
  }

  /** Zero hidden and cell states for `batch` rows (PyTorch's default when no state is given). */
  zeroState(batch: number): LSTMState {
    const shape = [batch, this.config.hiddenSize];
    return { h: tf.zeros(shape), c: tf.zeros(shape) };
  }

  /**
   * One step: `x` `[batch, inputSize]` and the previous state (zeros when omitted) give the new state.
   * The inputs are not disposed.
   */
  apply(x: tf.Tensor, state?: LSTMState): LSTMState {
    this.assertUsable();
    const { inputSize, hiddenSize } = this.config;
    const where = `LSTMCell(${inputSize}→${hiddenSize}).apply`;
    assertRank(where, 'x', x, 2);
    assertLastDim(where, 'x', x, inputSize);
    const batch = x.shape[0] as number;
    if (state !== undefined) {
      for (const [name, t] of [
        ['state.h', state.h],
        ['state.c', state.c],
      ] as const) {
        if (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== hiddenSize) {
          throw new ModuleError(
            `${where}: ${name} has shape [${t.shape.join(', ')}], expected [${batch}, ${hiddenSize}]`,
          );
        }
      }
    }
    return tf.tidy(() => {
      let gates = tf.matMul(x, this.weightIH, false, true);
      if (this.biasIH !== null) gates = tf.add(gates, this.biasIH);
      if (state !== undefined) gates = tf.add(gates, tf.matMul(state.h, this.weightHH, false, true));
      if (this.biasHH !== null) gates = tf.add(gates, this.biasHH);
      const { h, c } = lstmGates(gates, state?.c ?? null);
      return { h, c };
    });
  }
}

/**
 * The LSTM update from the pre-activations `gates` `[batch, 4·hidden]` (PyTorch's order i, f, g, o):
 * `c' = σ(f) c + σ(i) tanh(g)`, `h' = σ(o) tanh(c')`; `cell` null is the zero state (its product is skipped).
 * {@link LSTMCell} and models that compute the pre-activations their own way (e.g. with weights shared
 * across steps) share it. On wasm and cpu it runs as one fused kernel forward and one backward
 * (`backend/kernels/gates.ts`); elsewhere as stock ops.
 */
export function lstmGates(gates: tf.Tensor, cell: tf.Tensor | null): LSTMState {
  if (hasFusedGateKernels()) return fusedLstmGates(gates, cell);
  const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const written = tf.mul(tf.sigmoid(i), tf.tanh(g));
  const c = cell === null ? written : tf.add(tf.mul(tf.sigmoid(f), cell), written);
  return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)), c };
}
