/**
 * The batch loader: ImageCaptioning.pytorch's `DataLoader` (`captioning/data/dataloader.py`) without
 * torch. Images of a split are visited in a seeded random order (train) or in file order (val/test);
 * each batch carries the fc and att features (att zero-padded to the batch's largest region count, with
 * a mask), `seqPerImg` caption rows per image chosen as the reference does, all of the image's caption
 * rows (`gts`, for the CIDEr-D reward), and the position, which can be saved as JSON and resumed exactly.
 *
 * Randomness (the order, and which captions an image contributes) is drawn from one {@link Random}
 * when a batch is planned, in batch order, before its features are read; reading runs ahead in the
 * background (`prefetch` batches) without changing what is drawn, so batches depend only on the seed and
 * the position.
 */
import type { CocoTalk } from './cocotalk.js';
import { DataFormatError } from './errors.js';
import type { FeatureStore } from './feature-store.js';
import type { CaptionLabels } from './labels.js';
import type { ShapedArray } from './npy.js';
import { labelRows, readImageFeatures, stackFeatures } from './batch-features.js';
import { Random, type RandomState } from './random.js';

/** The splits the loader serves (`restval` images belong to `train` unless `trainOnly`). */
export type LoaderSplit = 'train' | 'val' | 'test';

/** Options of {@link CaptionLoader}; defaults follow the reference's `opts.py`. */
export interface CaptionLoaderOptions {
  /** Images (split, id, width/height) and vocabulary, from `cocotalk.json`. */
  cocotalk: CocoTalk;
  /** The caption labels (`cocotalk_label.h5`); omit for feature-only loading (no `labels`, `masks`, `gts`). */
  labels?: CaptionLabels;
  /** Which split to serve. */
  split: LoaderSplit;
  /** Images per batch (`--batch_size`). */
  batchSize: number;
  /** Caption rows per image (`--seq_per_img`, default 5). */
  seqPerImg?: number;
  /**
   * Per-image fc features ([D]); when absent and `att` is given, fc is the mean of the att rows (as the reference falls
   * back to).
   */
  fc?: FeatureStore;
  /** Per-image att features ([K, D] or [h, w, D], reshaped to [h·w, D]). */
  att?: FeatureStore;
  /** Per-image boxes ([K, 4] pixels x1, y1, x2, y2); used when `useBox` (needs image width and height). */
  box?: FeatureStore;
  /** Append 5 box features to each region and sort regions by box area, largest first (`--use_box`). */
  useBox?: boolean;
  /** L2-normalise each region's features (`--norm_att_feat`). */
  normAttFeat?: boolean;
  /** L2-normalise the 5 box features (`--norm_box_feat`). */
  normBoxFeat?: boolean;
  /** Visit images in a seeded random order, reshuffled each epoch. Default: true for train only. */
  shuffle?: boolean;
  /** Start over (and flag `wrapped`) at the end instead of ending. Default: true for train only. */
  wrap?: boolean;
  /** Leave `restval` images out of train (`--train_only 1`). Default false. */
  trainOnly?: boolean;
  /** Seed of the order and caption choice. Default 0. */
  seed?: number;
  /** Batches read ahead in the background. Default 2; 0 reads on demand. */
  prefetch?: number;
  /** A position saved by {@link CaptionLoader.state}: continue from there. */
  resume?: LoaderState;
}

/** The loader's position, a small JSON object (no index list: the order is re-drawn from the saved generator state). */
export interface LoaderState {
  /** Format version of this object. */
  version: 1;
  /** The split it belongs to. */
  split: LoaderSplit;
  /** Number of images in the split when saved (checked on resume). */
  splitSize: number;
  /** Completed passes over the split. */
  epoch: number;
  /** Images of the current pass already served (the reference's `iter_counter`). */
  position: number;
  /** Generator state just before the current pass's order was drawn (null when not shuffling). */
  orderRandomState: RandomState | null;
  /** Generator state after the last served batch. */
  randomState: RandomState;
}

/** Where a batch sits in its split. */
export interface BatchBounds {
  /** Position in the pass after the last image of the batch (`it_pos_now`). */
  itPosNow: number;
  /** Images in the split (`it_max`). */
  itMax: number;
  /** Whether the pass ended within this batch (the reference's `wrapped`: train counts an epoch). */
  wrapped: boolean;
}

/** One image of a batch. */
export interface BatchImageInfo {
  /** Index of the image in `cocotalk.images`. */
  ix: number;
  /** The image id. */
  id: number;
  /** Its file path, or '' (as the reference). */
  filePath: string;
}

/** A batch: typed arrays with shapes, in the reference's layout. */
export interface CaptionBatch {
  /** [B, D] fc features, or null without fc and att stores. */
  fcFeats: ShapedArray<Float32Array> | null;
  /** [B, K, D] att features zero-padded to the largest K of the batch, or null without an att store. */
  attFeats: ShapedArray<Float32Array> | null;
  /** [B, K] 1 for real regions, 0 for padding; null when every image has the same K (as the reference). */
  attMasks: ShapedArray<Float32Array> | null;
  /** [B, seqPerImg, L + 2] caption ids with a 0 (BOS) column first and a 0 column last; null without labels. */
  labels: ShapedArray<Int32Array> | null;
  /** [B, seqPerImg, L + 2] 1 over BOS, the words and the first EOS; null without labels. */
  masks: ShapedArray<Float32Array> | null;
  /** Per image, all its caption rows [n, L] (the references of the CIDEr-D reward); empty without labels. */
  gts: Array<ShapedArray<Int32Array>>;
  /** The images, in batch order. */
  infos: BatchImageInfo[];
  /** Position of the batch in its split. */
  bounds: BatchBounds;
  /** Completed passes over the split after this batch. */
  epoch: number;
}

/** An image of a planned batch and its chosen caption rows. */
export interface PlannedImage {
  ix: number;
  rows: number[];
}

interface PlannedBatch {
  images: PlannedImage[];
  bounds: BatchBounds;
  stateAfter: LoaderState;
}

/**
 * Serves batches of one split.
 *
 * @example
 * ```ts
 * const loader = new CaptionLoader({
 *   cocotalk: await readCocoTalk('data/cocotalk.json'),
 *   labels: await readLabelsH5('data/cocotalk_label.h5'),
 *   fc: new FeatureDirectory('data/cocobu_fc', { format: 'npy' }),
 *   att: new FeatureDirectory('data/cocobu_att', { format: 'npz' }),
 *   split: 'train', batchSize: 10, seqPerImg: 5, seed: 42,
 * });
 * const batch = await loader.next();            // batch.attFeats.shape = [10, K, 2048]
 * const saved = JSON.stringify(loader.state()); // resume later with { resume: JSON.parse(saved) }
 * ```
 */
export class CaptionLoader {
  /** The split served. */
  readonly split: LoaderSplit;
  /** Images per batch. */
  readonly batchSize: number;
  /** Caption rows per image. */
  readonly seqPerImg: number;
  /** Indices (into `cocotalk.images`) of the split's images, in file order. */
  readonly splitIndices: readonly number[];
  private readonly options: CaptionLoaderOptions;
  private readonly shuffle: boolean;
  private readonly wrap: boolean;
  private readonly prefetch: number;
  private rng = new Random(0);
  private order: number[] = [];
  private position = 0;
  private epoch = 0;
  private orderRandomState: RandomState | null = null;
  private ended = false;
  private queue: Array<{ planned: PlannedBatch; loading: Promise<CaptionBatch> }> = [];
  private served: LoaderState;

  /**
   * @throws DataFormatError when the split is empty, labels do not cover the images, or a resume state
   *   does not belong to this split
   */
  constructor(options: CaptionLoaderOptions) {
    this.options = options;
    this.split = options.split;
    this.batchSize = options.batchSize;
    this.seqPerImg = options.seqPerImg ?? 5;
    if (!Number.isInteger(this.batchSize) || this.batchSize <= 0) {
      throw new RangeError(`CaptionLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    }
    if (!Number.isInteger(this.seqPerImg) || this.seqPerImg <= 0) {
      throw new RangeError(`CaptionLoader: seqPerImg must be a positive integer, got ${this.seqPerImg}`);
    }
    this.shuffle = options.shuffle ?? options.split === 'train';
    this.wrap = options.wrap ?? options.split === 'train';
    this.prefetch = Math.max(0, options.prefetch ?? 2);
    this.splitIndices = splitIndices(options.cocotalk, options.split, options.trainOnly ?? false);
    if (this.splitIndices.length === 0) {
      throw new DataFormatError(`split "${options.split}" has no images`, { field: 'images[].split' });
    }
    const labels = options.labels;
    if (labels !== undefined && labels.labelStartIx.length !== options.cocotalk.images.length) {
      throw new DataFormatError(
        `labels cover ${labels.labelStartIx.length} images but cocotalk.json lists ${options.cocotalk.images.length}`,
        { field: 'label_start_ix' },
      );
    }
    const resume = options.resume;
    if (resume === undefined) {
      this.rng = new Random(options.seed ?? 0);
      this.order = this.drawOrder();
    } else {
      if (resume.version !== 1 || resume.split !== this.split || resume.splitSize !== this.splitIndices.length) {
        throw new DataFormatError(
          `the saved position ` +
            `is for split "${resume.split}" of ${resume.splitSize} images, ` +
            `not "${this.split}" of ${this.splitIndices.length}`,
          { field: 'resume' },
        );
      }
      this.restore(resume);
    }
    this.served = this.snapshot();
  }

  /** Number of images in the split. */
  get size(): number {
    return this.splitIndices.length;
  }

  /** The position after the last batch returned by {@link CaptionLoader.next}; JSON-serialisable. */
  state(): LoaderState {
    return structuredClone(this.served);
  }

  /**
   * The next batch. With `wrap` (train) batches never end: a batch that crosses the end of a pass holds
   * images of both passes and has `bounds.wrapped` set, as in the reference. Without `wrap` the last
   * batch may be short, and `null` follows it until {@link CaptionLoader.reset}.
   */
  async next(): Promise<CaptionBatch | null> {
    this.fill();
    const head = this.queue.shift();
    if (head === undefined) return null;
    this.served = head.planned.stateAfter;
    this.fill();
    return head.loading;
  }

  /**
   * Starts a new pass from the first image (for `wrap: false` splits, e.g. before each evaluation).
   * Batches read ahead are dropped; a shuffling loader draws a new order.
   */
  reset(): void {
    this.queue = [];
    this.ended = false;
    // Batches read ahead have advanced the generator and the position: go back to what was served, so that
    // what follows does not depend on `prefetch`.
    this.restore(this.served);
    if (this.position > 0) {
      this.epoch += 1;
      this.position = 0;
      this.order = this.drawOrder();
    }
    this.served = this.snapshot();
  }

  /** Iterates over the remaining batches (endless with `wrap`). */
  async *[Symbol.asyncIterator](): AsyncGenerator<CaptionBatch> {
    for (;;) {
      const batch = await this.next();
      if (batch === null) return;
      yield batch;
    }
  }

  /** Puts the generator, the pass and the position where `state` says (the order is re-drawn, not stored). */
  private restore(state: LoaderState): void {
    this.epoch = state.epoch;
    this.position = state.position;
    this.orderRandomState = state.orderRandomState;
    if (this.shuffle && state.orderRandomState !== null) {
      this.order = Random.fromState(state.orderRandomState)
        .permutation(this.splitIndices.length)
        .map((i) => this.splitIndices[i] as number);
    } else {
      this.order = [...this.splitIndices];
    }
    this.rng = Random.fromState(state.randomState);
  }

  private drawOrder(): number[] {
    if (!this.shuffle) {
      this.orderRandomState = null;
      return [...this.splitIndices];
    }
    this.orderRandomState = this.rng.getState();
    return this.rng.permutation(this.splitIndices.length).map((i) => this.splitIndices[i] as number);
  }

  private snapshot(): LoaderState {
    return {
      version: 1,
      split: this.split,
      splitSize: this.splitIndices.length,
      epoch: this.epoch,
      position: this.position,
      orderRandomState: this.orderRandomState,
      randomState: this.rng.getState(),
    };
  }

  private fill(): void {
    while (this.queue.length < Math.max(1, this.prefetch) && !this.ended) {
      const planned = this.plan();
      if (planned === null) {
        this.ended = true;
        break;
      }
      const loading = this.load(planned);
      loading.catch(() => undefined); // reported when awaited by next()
      this.queue.push({ planned, loading });
    }
  }

  /** Draws the next batch's images and caption rows (synchronously, in order: the only use of the generator). */
  private plan(): PlannedBatch | null {
    if (!this.wrap && this.position >= this.order.length) return null;
    const images: PlannedImage[] = [];
    let wrapped = false;
    while (images.length < this.batchSize) {
      if (this.position === this.order.length) {
        if (!this.wrap) break; // the reference's sampler stops here: the last batch is short
        this.epoch += 1;
        this.position = 0;
        this.order = this.drawOrder();
        wrapped = true;
      }
      const ix = this.order[this.position] as number;
      this.position += 1;
      images.push({ ix, rows: this.chooseRows(ix) });
    }
    const bounds: BatchBounds = { itPosNow: this.position, itMax: this.order.length, wrapped };
    return { images, bounds, stateAfter: this.snapshot() };
  }

  /** The reference's `get_captions`: a random contiguous block, or draws with replacement when too few. */
  private chooseRows(ix: number): number[] {
    const labels = this.options.labels;
    if (labels === undefined) return [];
    const first = (labels.labelStartIx[ix] as number) - 1;
    const last = (labels.labelEndIx[ix] as number) - 1;
    const available = last - first + 1;
    if (available <= 0) {
      const id = this.options.cocotalk.images[ix]?.id;
      throw new DataFormatError('image has no caption rows', { imageId: id, field: 'label_start_ix' });
    }
    if (available < this.seqPerImg) {
      return Array.from({ length: this.seqPerImg }, () => this.rng.randint(first, last));
    }
    const start = this.rng.randint(first, last - this.seqPerImg + 1);
    return Array.from({ length: this.seqPerImg }, (_, q) => start + q);
  }

  private async load(planned: PlannedBatch): Promise<CaptionBatch> {
    const feats = await Promise.all(planned.images.map((p) => readImageFeatures(this.options, p.ix)));
    const features = stackFeatures(feats, (i, field, problem) =>
      this.shapeError(planned.images[i]?.ix, field, problem),
    );
    const infos = planned.images.map((p): BatchImageInfo => {
      const image = this.options.cocotalk.images[p.ix];
      return { ix: p.ix, id: image?.id ?? -1, filePath: image?.filePath ?? '' };
    });
    return {
      ...features,
      ...labelRows(this.options.labels, planned.images, this.seqPerImg),
      infos,
      bounds: planned.bounds,
      epoch: planned.stateAfter.epoch,
    };
  }

  private shapeError(ix: number | undefined, field: string, problem: string): DataFormatError {
    const image = ix === undefined ? undefined : this.options.cocotalk.images[ix];
    const store = field === 'fc' ? this.options.fc : this.options.att;
    return new DataFormatError(problem, { file: store?.location, imageId: image?.id, field });
  }
}

/**
 * Indices of a split's images as the reference's loader assigns them: `train`, `val`, `test` as written, and any
 * other split (`restval`) in train unless `trainOnly`. (The reference also puts images without a `split` in
 * every split; {@link parseCocoTalk} requires one, as `prepro_labels.py` always writes it.)
 */
export function splitIndices(cocotalk: CocoTalk, split: LoaderSplit, trainOnly: boolean): number[] {
  const out: number[] = [];
  cocotalk.images.forEach((image, ix) => {
    const s = image.split;
    if (s === split) out.push(ix);
    else if (split === 'train' && !trainOnly && s !== 'train' && s !== 'val' && s !== 'test') out.push(ix);
  });
  return out;
}
