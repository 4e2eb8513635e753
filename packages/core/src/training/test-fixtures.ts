/**
 * Test-only building blocks for the training tests and their child process (not exported from the
 * package): a tiny {@link Module} with dropout drawn from its generator, and a resumable, shuffling batch
 * source over a synthetic regression set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { uniformInit } from '../nn/init';
import { Module, type ModuleOptions } from '../nn/module';
import { Random, type RandomState } from '../random';
import type { BatchSource, TrainingBatch } from './train-loop';

/** Config of {@link TinyRegressor}. */
export interface TinyRegressorConfig {
  inputs: number;
  hidden: number;
  dropout: number;
}

/** `y = W₂ · dropout(tanh(W₁ x + b₁))`: small, with randomness in training mode. */
export class TinyRegressor extends Module<TinyRegressorConfig> {
  readonly className = 'TinyRegressor';
  readonly w1: tf.Variable;
  readonly b1: tf.Variable;
  readonly w2: tf.Variable;

  constructor(config: TinyRegressorConfig, options: ModuleOptions = {}) {
    super(config, options);
    this.w1 = this.addParameter('w1', [config.inputs, config.hidden], uniformInit(0.5));
    this.b1 = this.addParameter('b1', [config.hidden], uniformInit(0.1));
    this.w2 = this.addParameter('w2', [config.hidden, 1], uniformInit(0.5));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    this.assertUsable();
    let h = tf.tanh(tf.add(tf.matMul(x, this.w1), this.b1)) as tf.Tensor2D;
    if (this.training && this.config.dropout > 0) h = tf.dropout(h, this.config.dropout, undefined, this.rng.nextSeed()) as tf.Tensor2D;
    return tf.matMul(h, this.w2) as tf.Tensor2D;
  }

  /** Mean squared error on a batch. */
  loss(batch: RegressionBatch): tf.Scalar {
    return tf.tidy(() => {
      const x = tf.tensor2d(batch.x, [batch.rows, this.config.inputs]);
      const y = tf.tensor2d(batch.y, [batch.rows, 1]);
      return tf.mean(tf.square(tf.sub(this.apply(x), y))) as tf.Scalar;
    });
  }
}

/** One batch of {@link RegressionSource}. */
export interface RegressionBatch {
  rows: number;
  x: Float32Array;
  y: Float32Array;
  ids: number[];
}

interface RegressionState {
  epoch: number;
  position: number;
  order: number[];
  rng: RandomState;
}

/**
 * `items` synthetic examples, shuffled anew every epoch by its own seeded generator, served in batches of
 * `batchSize`; its JSON state is the position of the next batch.
 */
export class RegressionSource implements BatchSource<RegressionBatch> {
  readonly batchesPerEpoch: number;
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private readonly rng: Random;
  private order: number[];
  private epoch = 0;
  private position = 0;
  /** Awaited before serving the batch with this global index (for the signal test). */
  beforeBatch: ((index: number) => Promise<void>) | null = null;

  constructor(
    private readonly items: number,
    private readonly batchSize: number,
    private readonly inputs: number,
    seed: number,
  ) {
    const data = new Random(seed);
    this.x = Float32Array.from({ length: items * inputs }, () => data.next() * 2 - 1);
    this.y = new Float32Array(items);
    for (let i = 0; i < items; i++) {
      let s = 0;
      for (let j = 0; j < inputs; j++) s += Math.sin((j + 1) * (this.x[i * inputs + j] as number));
      this.y[i] = s;
    }
    this.rng = new Random(seed + 1);
    this.order = this.shuffled();
    this.batchesPerEpoch = Math.ceil(items / batchSize);
  }

  private shuffled(): number[] {
    const order = Array.from({ length: this.items }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.nextInt(i + 1);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    return order;
  }

  async next(): Promise<TrainingBatch<RegressionBatch>> {
    if (this.beforeBatch !== null) await this.beforeBatch(this.epoch * this.batchesPerEpoch + this.position / this.batchSize);
    const ids = this.order.slice(this.position, this.position + this.batchSize);
    const rows = ids.length;
    const x = new Float32Array(rows * this.inputs);
    const y = new Float32Array(rows);
    ids.forEach((id, r) => {
      x.set(this.x.subarray(id * this.inputs, (id + 1) * this.inputs), r * this.inputs);
      y[r] = this.y[id] as number;
    });
    this.position += rows;
    const lastOfEpoch = this.position >= this.items;
    if (lastOfEpoch) {
      this.epoch += 1;
      this.position = 0;
      this.order = this.shuffled();
    }
    return { batch: { rows, x, y, ids }, lastOfEpoch, ids, tokens: rows };
  }

  getState(): RegressionState {
    return { epoch: this.epoch, position: this.position, order: [...this.order], rng: this.rng.getState() };
  }

  setState(state: RegressionState): void {
    const s = state;
    this.epoch = s.epoch;
    this.position = s.position;
    this.order = [...s.order];
    this.rng.setState(s.rng);
  }
}

/**
 * Fresh temporary directories for one test file: `make()` creates one, `cleanup()` (for `afterEach`)
 * removes every directory made since the last cleanup.
 */
export function temporaryDirectories(prefix: string): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
