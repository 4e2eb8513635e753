/**
 * coco-caption's "CIDEr" (`pycocoevalcap/cider/cider_scorer.py`), which is CIDEr-D: n = 1..4, σ = 6,
 * clipped tf-idf similarity, ×10, with document frequencies and log(number of images) taken from the
 * references being evaluated. Computed by {@link CiderDScorer} built on those references.
 */
import { CiderDScorer, type CiderDOptions } from './cider-d-scorer';
import { encodeCorpus, type EncodedCorpus } from './internal/encoded-corpus';
import type { MetricResult, TokenizedCands, TokenizedRefs } from './types';
import { checkScoringInput } from './validate';

/** Options of {@link cider}: the n-gram order and σ (coco-caption: 4 and 6). */
export type CiderOptions = Pick<CiderDOptions, 'n' | 'sigma'>;

/**
 * Computes CIDEr (CIDEr-D) as coco-caption's `Cider().compute_score(gts, res)`.
 *
 * The scores depend on the whole set of evaluated images (document frequencies), so a subset scored alone
 * gives different per-image values than the same images scored within a larger set.
 *
 * @throws MetricsInputError when ids differ, a caption is not a string or an image has no reference
 *
 * @example
 * ```ts
 * const { score, perImage } = cider(
 *   { '1': ['a dog runs on the grass'], '2': ['two cats sleep on a bed'] },
 *   { '1': 'a dog runs', '2': 'a cat on a bed' },
 * );
 * ```
 */
export function cider(refs: TokenizedRefs, cands: TokenizedCands, options: CiderOptions = {}): MetricResult {
  const ids = checkScoringInput(refs, cands, 'CIDEr');
  return ciderOfEncoded(encodeCorpus(refs, cands, ids, options.n ?? 4), options);
}

/** @internal {@link cider} on captions already encoded (orders up to exactly `options.n`, default 4). */
export function ciderOfEncoded(corpus: EncodedCorpus, options: CiderOptions = {}): MetricResult {
  const { scorer, prepared } = CiderDScorer.fromEncoded(corpus.vocab, corpus.sentences, corpus.refStarts, options);
  const { score, scores } = scorer.scoreSentences(corpus.sentences, corpus.candidates[0] as number, prepared);
  const perImage: Record<string, number> = {};
  corpus.ids.forEach((id, i) => {
    perImage[id] = scores[i] as number;
  });
  return { score, perImage };
}
