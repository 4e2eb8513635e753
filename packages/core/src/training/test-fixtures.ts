/**
 * Test-only building blocks for the training tests and their child process (not exported from the
 * package): a tiny captioner built from the real layers (Embedding → LSTMCell → Dropout → Linear, also a
 * {@link CaptionModel}), a resumable, shuffling batch source over a synthetic caption set, and temporary
 * directories.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CaptionModel, DecoderState, DecoderStepOutput } from '../decoding/caption-model';
import { Dropout } from '../nn/dropout';
import { Embedding } from '../nn/embedding';
import { Linear } from '../nn/linear';
import { LSTMCell } from '../nn/lstm-cell';
import { Module, type ModuleOptions } from '../nn/module';
import { Random, type RandomState } from '../random';
import type { BatchSource, TrainingBatch } from './train-loop';

/** Config of {@link TinyCaptioner}. */
export interface TinyCaptionerConfig {
  /** Log-prob columns (index 0 = BOS/EOS/pad). */
  vocabSize: number;
  features: number;
  embed: number;
  hidden: number;
  dropout: number;
}

/** One batch of {@link CaptionSource}: features `[rows, F]`, labels `[rows, L + 2]` (0, words, 0...). */
export interface CaptionBatch {
  rows: number;
  features: Float32Array;
  labels: Int32Array;
  width: number;
  ids: number[];
}

/**
 * `h, c = LSTMCell([E[w]; W_f·f], (h, c))`, `logprobs = log_softmax(W_o · dropout(h))`, teacher-forced
 * with a masked cross-entropy over the words and the first end token (the reference's mask).
 */
export class TinyCaptioner extends Module<TinyCaptionerConfig> implements CaptionModel<tf.Tensor2D> {
  static override readonly className = 'TinyCaptioner';
  readonly embed: Embedding;
  readonly project: Linear;
  readonly lstm: LSTMCell;
  readonly drop: Dropout;
  readonly logit: Linear;

  constructor(config: TinyCaptionerConfig, options: ModuleOptions = {}) {
    super(config, options);
    const rng = { rng: this.rng };
    this.embed = this.addModule(
      'embed',
      new Embedding({ numEmbeddings: config.vocabSize, embeddingDim: config.embed }, rng),
    );
    this.project = this.addModule(
      'project',
      new Linear({ inFeatures: config.features, outFeatures: config.embed }, rng),
    );
    this.lstm = this.addModule('lstm', new LSTMCell({ inputSize: 2 * config.embed, hiddenSize: config.hidden }, rng));
    this.drop = this.addModule('drop', new Dropout({ rate: config.dropout }, rng));
    this.logit = this.addModule('logit', new Linear({ inFeatures: config.hidden, outFeatures: config.vocabSize }, rng));
  }

  get vocabSize(): number {
    return this.config.vocabSize;
  }

  prepare(features: tf.Tensor2D): DecoderState {
    const rows = features.shape[0];
    const zero = tf.zeros([rows, this.config.hidden]);
    return { context: [this.project.apply(features)], recurrent: [zero, zero] };
  }

  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    const [h, c] = state.recurrent as [tf.Tensor, tf.Tensor];
    const x = tf.concat([this.embed.apply(tokens), state.context[0] as tf.Tensor], 1);
    const next = this.lstm.apply(x, { h, c });
    const logprobs = tf.logSoftmax(this.logit.apply(this.drop.apply(next.h))) as tf.Tensor2D;
    return { logprobs, recurrent: [next.h, next.c] };
  }

  /** Masked mean cross-entropy of the teacher-forced batch. */
  loss(batch: CaptionBatch): tf.Scalar {
    return tf.tidy(() => {
      const { rows, width } = batch;
      const labels = tf.tensor2d(batch.labels, [rows, width], 'int32');
      let state: DecoderState = this.prepare(tf.tensor2d(batch.features, [rows, this.config.features]));
      const terms: tf.Tensor[] = [];
      const masks: tf.Tensor[] = [];
      const values = batch.labels;
      for (let t = 0; t < width - 1; t++) {
        const input = tf.squeeze(tf.slice(labels, [0, t], [rows, 1]), [1]) as tf.Tensor1D;
        const target = tf.squeeze(tf.slice(labels, [0, t + 1], [rows, 1]), [1]);
        const out = this.step(state, input);
        state = { context: state.context, recurrent: out.recurrent };
        // mask: the words and the first end token (every position up to the first 0 after column 0)
        const mask = new Float32Array(rows);
        for (let r = 0; r < rows; r++) {
          let ended = false;
          for (let k = 1; k <= t; k++) if (values[r * width + k] === 0) ended = true;
          mask[r] = ended ? 0 : 1;
        }
        const m = tf.tensor1d(mask);
        terms.push(tf.mul(tf.sum(tf.mul(out.logprobs, tf.oneHot(target as tf.Tensor1D, this.config.vocabSize)), 1), m));
        masks.push(m);
      }
      return tf.neg(tf.div(tf.sum(tf.stack(terms)), tf.sum(tf.stack(masks)))) as tf.Scalar;
    });
  }
}

interface CaptionSourceState {
  epoch: number;
  position: number;
  order: number[];
  rng: RandomState;
}

/**
 * `items` synthetic images (random features) whose captions are a deterministic function of the
 * features (2–6 words), shuffled anew every epoch by the source's own seeded generator and served in
 * batches of `batchSize`; its JSON state is the position of the next batch.
 */
export class CaptionSource implements BatchSource<CaptionBatch> {
  readonly batchesPerEpoch: number;
  readonly width: number;
  private readonly features: Float32Array;
  private readonly labels: Int32Array;
  private readonly rng: Random;
  private order: number[];
  private epoch = 0;
  private position = 0;
  /** Awaited before serving the batch with this global index (for the signal test). */
  beforeBatch: ((index: number) => Promise<void>) | null = null;

  constructor(
    private readonly items: number,
    private readonly batchSize: number,
    private readonly featureSize: number,
    vocabSize: number,
    seed: number,
  ) {
    const data = new Random(seed);
    const maxWords = 6;
    this.width = maxWords + 2;
    this.features = Float32Array.from({ length: items * featureSize }, () => data.next() * 2 - 1);
    this.labels = new Int32Array(items * this.width);
    for (let i = 0; i < items; i++) {
      const f = this.features.subarray(i * featureSize, (i + 1) * featureSize);
      const words = 2 + (Math.floor(((f[0] as number) + 1) * 2.5) % 5);
      for (let k = 0; k < words; k++) {
        const v = f[k % featureSize] as number;
        this.labels[i * this.width + 1 + k] = 1 + (Math.floor((v + 1) * 4 + k) % (vocabSize - 1));
      }
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

  /** The features of items `ids` as a `[ids.length, F]` tensor (for decoding). */
  featureTensor(ids: number[]): tf.Tensor2D {
    const out = new Float32Array(ids.length * this.featureSize);
    ids.forEach((id, r) =>
      out.set(this.features.subarray(id * this.featureSize, (id + 1) * this.featureSize), r * this.featureSize),
    );
    return tf.tensor2d(out, [ids.length, this.featureSize]);
  }

  async next(): Promise<TrainingBatch<CaptionBatch>> {
    if (this.beforeBatch !== null)
      await this.beforeBatch(this.epoch * this.batchesPerEpoch + this.position / this.batchSize);
    const ids = this.order.slice(this.position, this.position + this.batchSize);
    const rows = ids.length;
    const features = new Float32Array(rows * this.featureSize);
    const labels = new Int32Array(rows * this.width);
    let tokens = 0;
    ids.forEach((id, r) => {
      features.set(this.features.subarray(id * this.featureSize, (id + 1) * this.featureSize), r * this.featureSize);
      labels.set(this.labels.subarray(id * this.width, (id + 1) * this.width), r * this.width);
      for (let k = 1; k < this.width; k++) if ((this.labels[id * this.width + k] as number) > 0) tokens++;
    });
    this.position += rows;
    const lastOfEpoch = this.position >= this.items;
    if (lastOfEpoch) {
      this.epoch += 1;
      this.position = 0;
      this.order = this.shuffled();
    }
    return { batch: { rows, features, labels, width: this.width, ids }, lastOfEpoch, ids, tokens };
  }

  getState(): CaptionSourceState {
    return { epoch: this.epoch, position: this.position, order: [...this.order], rng: this.rng.getState() };
  }

  setState(state: CaptionSourceState): void {
    this.epoch = state.epoch;
    this.position = state.position;
    this.order = [...state.order];
    this.rng.setState(state.rng);
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
