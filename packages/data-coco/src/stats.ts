/**
 * Statistics of a Karpathy data set: split sizes, vocabulary size at a count threshold, caption lengths
 * (what `prepro_labels.py` prints, plus a histogram), for `caption-data stats`.
 */
import type { KarpathyDataset, KarpathySplit } from './karpathy.js';
import { buildVocabulary } from './vocabulary.js';

/** Statistics of a data set's captions. */
export interface DatasetStats {
  /** Number of images. */
  images: number;
  /** Images per split (as written in the file). */
  splits: Record<KarpathySplit, number>;
  /** Number of captions. */
  sentences: number;
  /** Number of tokens in all captions. */
  tokens: number;
  /** Distinct tokens. */
  distinctWords: number;
  /** The count threshold used for `vocabularySize`. */
  countThreshold: number;
  /** Words seen more than `countThreshold` times, plus UNK when some word is rarer (the model's vocabulary). */
  vocabularySize: number;
  /** Token occurrences that would become UNK. */
  unkTokens: number;
  /** Caption length (tokens) → number of captions, ascending. */
  lengthHistogram: Array<[length: number, captions: number]>;
  /** Mean caption length. */
  meanLength: number;
  /** Median caption length. */
  medianLength: number;
  /** Longest caption. */
  longestCaption: number;
  /** The clipping length used for `clippedCaptions`. */
  maxLength: number;
  /** Captions longer than `maxLength` (clipped in the labels). */
  clippedCaptions: number;
}

/** Computes {@link DatasetStats} (threshold and clipping length default to the reference's 5 and 16). */
export function datasetStats(
  dataset: KarpathyDataset,
  options: { countThreshold?: number; maxLength?: number } = {},
): DatasetStats {
  const countThreshold = options.countThreshold ?? 5;
  const maxLength = options.maxLength ?? 16;
  const captions = dataset.images.flatMap((im) => im.sentences.map((s) => s.tokens));
  const { vocabulary, stats } = buildVocabulary(captions, { countThreshold });
  const histogram = new Map<number, number>();
  for (const c of captions) histogram.set(c.length, (histogram.get(c.length) ?? 0) + 1);
  const lengthHistogram = [...histogram].sort((a, b) => a[0] - b[0]);
  const sorted = captions.map((c) => c.length).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const splits: Record<KarpathySplit, number> = { train: 0, val: 0, test: 0, restval: 0 };
  for (const im of dataset.images) splits[im.fileSplit] += 1;
  const median =
    sorted.length === 0
      ? 0
      : sorted.length % 2 === 1
        ? (sorted[mid] as number)
        : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    images: dataset.images.length,
    splits,
    sentences: captions.length,
    tokens: stats.totalWords,
    distinctWords: stats.distinctWords,
    countThreshold,
    vocabularySize: vocabulary.size,
    unkTokens: stats.unkCount,
    lengthHistogram,
    meanLength: captions.length === 0 ? 0 : stats.totalWords / captions.length,
    medianLength: median,
    longestCaption: sorted[sorted.length - 1] ?? 0,
    maxLength,
    clippedCaptions: sorted.filter((n) => n > maxLength).length,
  };
}

/** A human-readable report of {@link DatasetStats}, with a histogram of caption lengths. */
export function formatStats(stats: DatasetStats): string {
  const lines = [
    `images: ${stats.images} (train ${stats.splits.train}, val ${stats.splits.val}, test ${stats.splits.test}, restval ${stats.splits.restval})`,
    `sentences: ${stats.sentences}, tokens: ${stats.tokens}, distinct words: ${stats.distinctWords}`,
    `vocabulary size: ${stats.vocabularySize} (words seen ` +
      `more than ${stats.countThreshold} times, UNK included; ${stats.unkTokens} tokens become UNK)`,
    `caption length: ` +
      `mean ${stats.meanLength.toFixed(2)}, median ${stats.medianLength}, max ${stats.longestCaption}; ${stats.clippedCaptions} captions longer than ${stats.maxLength} are clipped`,
    'length histogram:',
  ];
  const peak = Math.max(1, ...stats.lengthHistogram.map(([, n]) => n));
  for (const [length, n] of stats.lengthHistogram) {
    lines.push(
      `${String(length).padStart(4)} ${String(n).padStart(8)}  ${'#'.repeat(Math.max(n > 0 ? 1 : 0, Math.round((n / peak) * 40)))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
