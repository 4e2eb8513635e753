/**
 * A resumable stream of shuffled batches over a fixed list of items (core's `BatchSource`): pass after pass over
 * the items, each pass in its own seeded order, batches that may run across passes, and an "epoch" of a fixed
 * number of batches, so that runs on fewer items (the ablation's 10 % of the captions) can take the same steps and
 * validate at the same steps as runs on all of them. Its state is two counters.
 */
import { Random, type BatchSource, type TrainingBatch } from '@caption/core';
import { deriveSeed, shuffled } from '@caption/example-shapes';

/** Options of {@link ShuffledBatches}. */
export interface ShuffledBatchesOptions {
  /** Items per batch. */
  batchSize: number;
  /** Seed of the orders (pass p is shuffled by a generator seeded from `(seed, p)`). */
  seed: number;
  /** Batches per epoch; default: one pass, `ceil(items / batchSize)`. */
  batchesPerEpoch?: number;
}

/** Where a {@link ShuffledBatches} stream is. */
interface StreamState {
  /** Items handed out so far. */
  position: number;
  /** Batches handed out so far. */
  batches: number;
}

/** Seeded, resumable batches of item indices into `items` (see the file comment). */
export class ShuffledBatches<T> implements BatchSource<{ items: T[]; pass: number }> {
  readonly batchesPerEpoch: number;
  private state: StreamState = { position: 0, batches: 0 };
  private order: { pass: number; items: T[] } | null = null;

  constructor(
    private readonly items: readonly T[],
    private readonly options: ShuffledBatchesOptions,
  ) {
    if (items.length === 0) throw new RangeError('ShuffledBatches: no items');
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
      throw new RangeError(`ShuffledBatches: batchSize must be a positive integer, got ${options.batchSize}`);
    this.batchesPerEpoch = options.batchesPerEpoch ?? Math.ceil(items.length / options.batchSize);
  }

  private passOrder(pass: number): T[] {
    if (this.order?.pass !== pass) {
      this.order = { pass, items: shuffled(new Random(deriveSeed(this.options.seed, pass, 0x5eed)), this.items) };
    }
    return this.order.items;
  }

  /** The next batch: `items` and the pass its first item belongs to (a seed for per-pass choices). */
  next(): TrainingBatch<{ items: T[]; pass: number }> {
    const n = this.items.length;
    const size = Math.min(this.options.batchSize, n);
    const firstPass = Math.floor(this.state.position / n);
    const batch: T[] = [];
    for (let k = 0; k < size; k++) {
      const p = this.state.position + k;
      batch.push(this.passOrder(Math.floor(p / n))[p % n] as T);
    }
    this.state = { position: this.state.position + size, batches: this.state.batches + 1 };
    return { batch: { items: batch, pass: firstPass }, lastOfEpoch: this.state.batches % this.batchesPerEpoch === 0 };
  }

  getState(): StreamState {
    return { ...this.state };
  }

  setState(state: unknown): void {
    const s = state as Partial<StreamState> | null;
    if (s === null || !Number.isInteger(s.position) || !Number.isInteger(s.batches))
      throw new RangeError(`ShuffledBatches.setState: expected {position, batches}, got ${JSON.stringify(state)}`);
    this.state = { position: s.position as number, batches: s.batches as number };
  }
}
