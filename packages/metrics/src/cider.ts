/**
 * coco-caption's "CIDEr" (`pycocoevalcap/cider/cider_scorer.py`), which is CIDEr-D: n = 1..4, σ = 6,
 * clipped tf-idf similarity, ×10, with document frequencies and log(number of images) taken from the
 * references being evaluated: the computation of `CiderDScorer` (same vectors and similarity functions), with
 * the frequencies counted on the evaluated references.
 */
import type { CiderDOptions } from './cider-d-scorer';
import { documentFrequencies } from './internal/document-frequency';
import { encodeCorpus, type EncodedCorpus } from './internal/encoded-corpus';
import { numpyMean } from './internal/python-compat';
import { recordInKeyOrder } from './internal/records';
import { SimilarityScratch, TfIdfStore, ciderDSimilarity } from './internal/tf-idf-store';
import type { MetricResult, TokenizedCands, TokenizedRefs } from './types';
import { checkScoringInput, positiveIntegerOption, positiveNumberOption } from './validate';

/** Options of {@link cider}: the n-gram order and σ (coco-caption: 4 and 6). */
export type CiderOptions = Pick<CiderDOptions, 'n' | 'sigma'>;

/**
 * Computes CIDEr (CIDEr-D) as coco-caption's `Cider().compute_score(gts, res)`.
 *
 * The scores depend on the whole set of evaluated images (document frequencies), so a subset scored alone
 * gives different per-image values than the same images scored within a larger set.
 *
 * @throws MetricsInputError when ids differ, a caption is not a string, an image has no reference, `n` is not a
 *   positive integer or `sigma` not a positive number
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
  const n = positiveIntegerOption(options.n, 4, 'n', 'CIDEr');
  const sigma = positiveNumberOption(options.sigma, 6, 'sigma', 'CIDEr');
  const ids = checkScoringInput(refs, cands, 'CIDEr');
  return ciderOfEncoded(encodeCorpus(refs, cands, ids, n), { n, sigma });
}

/**
 * @internal {@link cider} on captions already encoded (orders up to at least `options.n`, default 4): document
 * frequencies from every image's references, then, image by image, the tf-idf vectors of its captions on the
 * image's local n-gram ids and the candidate's similarity to each reference (the scorer's own functions).
 */
export function ciderOfEncoded(corpus: EncodedCorpus, options: CiderOptions = {}): MetricResult {
  const { score, scores } = ciderScoresOfEncoded(corpus, options);
  return { score, perImage: recordInKeyOrder(corpus.ids, scores) };
}

/** @internal {@link ciderOfEncoded} with the per-image scores as a list in `corpus.ids` order. */
export function ciderScoresOfEncoded(
  corpus: EncodedCorpus,
  options: CiderOptions = {},
): { score: number; scores: Float64Array } {
  const n = options.n ?? 4;
  const sigma = options.sigma ?? 6;
  if (corpus.maxOrder < n)
    throw new Error(`CIDEr with n = ${n} needs n-grams up to order ${n}, the corpus has ${corpus.maxOrder}`);
  const { ids, imageStarts, sentences, ngramStarts, maxImageNgrams } = corpus;
  const images = ids.length;
  // Entry e of image j (local id l = e − ngramStarts[j]) has its document frequency at [2e + 1].
  const frequencies = documentFrequencies(corpus);
  // idf = log(number of images) − log(max(1, df)), as CiderScorer computes it; df ≤ images, so the logarithms
  // come from one small table.
  const logImages = Math.log(images);
  const logOfFrequency = new Float64Array(images + 1);
  for (let df = 0; df <= images; df++) logOfFrequency[df] = Math.log(Math.max(1, df));
  const idf = new Float64Array(Math.max(16, maxImageNgrams));
  const slotOf = new Int32Array(Math.max(16, maxImageNgrams));
  const scratch = new SimilarityScratch(n);
  scratch.ensure(maxImageNgrams);
  const vectors = new TfIdfStore(n, 16, 1024);
  const penaltyDenominator = 2 * sigma ** 2;
  const scores = new Float64Array(images);
  for (let j = 0; j < images; j++) {
    const base = ngramStarts[j] as number;
    const localIds = (ngramStarts[j + 1] as number) - base;
    for (let l = 0; l < localIds; l++) {
      idf[l] = logImages - (logOfFrequency[frequencies[2 * (base + l) + 1] as number] as number);
    }
    vectors.clear();
    const candidate = (imageStarts[j + 1] as number) - 1;
    for (let s = imageStarts[j] as number; s <= candidate; s++) vectors.add(sentences, s, idf, slotOf);
    const references = candidate - (imageStarts[j] as number);
    scores[j] = ciderDSimilarity(vectors, references, vectors, 0, references, penaltyDenominator, scratch);
  }
  return { score: numpyMean(scores), scores };
}
