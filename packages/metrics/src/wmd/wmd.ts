/**
 * WMD as coco-caption's WMD scorer computes it (ruotianluo/coco-caption `pycocoevalcap/wmd/wmd.py`, credited to
 * Kilickaya et al., EACL 2017) with gensim 4.2's `KeyedVectors.wmdistance` and pyemd: per image, the candidate
 * and each reference lose their stop words (split on single spaces), `d = wmdistance(cand, ref)` (OOV words
 * dropped, nBOW weights, distances between float32 unit vectors, pyemd's quantised EMD), the reference scores
 * `exp(−d / σ)` with σ = 1 (0 when `d` is infinite), the image the best reference's score, and the corpus the
 * mean over images (NumPy's pairwise sum). Recipe and checks: `docs/wmd.md`.
 */
import { MetricsInputError } from '../errors';
import { numpyMean } from '../internal/python-compat';
import type { MetricResult, TokenizedCands, TokenizedRefs } from '../types';
import { EmdScratch, pyemdDistance, type EmdProblem } from './emd';
import { WMD_STOP_WORDS } from './stop-words';
import type { WordVectors } from './word-vectors';

/** Options of {@link wmd}. */
export interface WmdOptions {
  /** The word vectors (coco-caption: GoogleNews word2vec 300-d; see `loadWordVectors`). */
  wordVectors: WordVectors;
  /** σ of `exp(−d / σ)` (coco-caption: 1). */
  sigma?: number;
}

/** Python's sort of strings (code point order; JavaScript's default compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The words of a tokenized caption that are not stop words (`[t for t in s.split(' ') if t not in stop]`). */
export function withoutStopWords(caption: string): string[] {
  return caption.split(' ').filter((token) => !WMD_STOP_WORDS.has(token));
}

/**
 * One document for `wmdistance`: its distinct in-vocabulary words in Python's sorted order (the order gensim's
 * Dictionary numbers a document's new words in), with their vector rows and counts.
 */
interface Document {
  words: string[];
  rows: Int32Array;
  counts: Float64Array;
  length: number;
}

function toDocument(tokens: readonly string[], vectors: WordVectors): Document {
  const counts = new Map<string, number>();
  let length = 0;
  for (const token of tokens) {
    if (!vectors.has(token)) continue; // OOV
    length += 1;
    counts.set(token, (counts.get(token) ?? 0) + 1);
  }
  const words = [...counts.keys()].sort(compareCodePoints);
  return {
    words,
    rows: Int32Array.from(words, (word) => vectors.rowOf(word)),
    counts: Float64Array.from(words, (word) => counts.get(word) as number),
    length,
  };
}

/**
 * gensim 4.2's `wmdistance(document1, document2)` (norm=True) on token lists: +∞ when either has no word with
 * a vector (or every distance is 0), 0 when both hold only one and the same word, else pyemd's EMD.
 */
export function wmdistance(
  document1: readonly string[],
  document2: readonly string[],
  vectors: WordVectors,
  scratch: EmdScratch = new EmdScratch(),
): number {
  return documentDistance(toDocument(document1, vectors), toDocument(document2, vectors), vectors, scratch);
}

function documentDistance(doc1: Document, doc2: Document, vectors: WordVectors, scratch: EmdScratch): number {
  if (doc1.length === 0 || doc2.length === 0) return Infinity;
  const m = doc1.words.length;
  const n = doc2.words.length;
  scratch.ensure(m, n);
  // gensim's Dictionary: document 1's words get ids 0..m-1 (sorted), then document 2's new words (sorted).
  // Both lists are sorted, so the shared words are found by merging.
  const shared = scratch.shared;
  shared.fill(-1, 0, m);
  const newInDoc2 = scratch.newInDoc2;
  let vocabularySize = m;
  for (let i = 0, j = 0; j < n;) {
    const order = i < m ? compareCodePoints(doc1.words[i] as string, doc2.words[j] as string) : 1;
    if (order === 0) {
      shared[i] = j;
      newInDoc2[j] = 0;
      i++;
      j++;
    } else if (order < 0) {
      i++;
    } else {
      newInDoc2[j] = 1;
      vocabularySize += 1;
      j++;
    }
  }
  if (vocabularySize === 1) return 0;

  const dim = vectors.dimension;
  const units = vectors.unitVectors;
  const cost = scratch.distance;
  let maxCost = 0;
  let costSum = 0;
  for (let i = 0; i < m; i++) {
    const a = (doc1.rows[i] as number) * dim;
    for (let j = 0; j < n; j++) {
      const b = (doc2.rows[j] as number) * dim;
      // scipy's cdist 'euclidean' on float32 rows: float64 differences, summed in order
      let sum = 0;
      for (let k = 0; k < dim; k++) {
        const d = (units[a + k] as number) - (units[b + k] as number);
        sum += d * d;
      }
      const distance = Math.sqrt(sum);
      cost[i * n + j] = distance;
      costSum += distance;
      if (distance > maxCost) maxCost = distance;
    }
  }
  if (Math.abs(costSum) < 1e-8) return Infinity;

  const supply = scratch.nbow1;
  const demand = scratch.nbow2;
  for (let i = 0; i < m; i++) supply[i] = (doc1.counts[i] as number) / doc1.length;
  for (let j = 0; j < n; j++) demand[j] = (doc2.counts[j] as number) / doc2.length;
  // FastEMD sums the masses over the dictionary's ids in order: document 1's words, then document 2's new
  // words; document 2's shared words sit at document 1's ids.
  let supplySum = 0;
  for (let i = 0; i < m; i++) supplySum += supply[i] as number;
  let demandSum = 0;
  for (let i = 0; i < m; i++) {
    const j = shared[i] as number;
    demandSum += j >= 0 ? (demand[j] as number) : 0;
  }
  for (let j = 0; j < n; j++) if (newInDoc2[j] === 1) demandSum += demand[j] as number;

  const problem: EmdProblem = {
    supply: supply.subarray(0, m),
    demand: demand.subarray(0, n),
    cost: cost.subarray(0, m * n),
    shared: shared.subarray(0, m),
    supplySum,
    demandSum,
    maxCost,
  };
  return pyemdDistance(problem, scratch);
}

/**
 * WMD of tokenized captions (coco-caption's `WMD().compute_score(gts, res)`): per image the best
 * `exp(−wmdistance / σ)` over its references, and their mean.
 *
 * @param refs tokenized references per image (as coco-caption's PTB tokenizer gives them)
 * @param cands one tokenized candidate per image (same ids)
 * @throws MetricsInputError when the id sets differ or a reference list is empty
 *
 * @example
 * ```ts
 * const wordVectors = parseWordVectors(new TextEncoder().encode('3 2\ndog 1 0\npuppy 0.9 0.1\ncat 0 1\n'), { format: 'text' });
 * wmd({ '1': ['a dog runs'] }, { '1': 'a puppy runs' }, { wordVectors }).score; // exp(−d(dog, puppy))
 * ```
 */
export function wmd(refs: TokenizedRefs, cands: TokenizedCands, options: WmdOptions): MetricResult {
  const sigma = options.sigma ?? 1;
  const ids = Object.keys(cands);
  const scores = wmdImageScores(refs, cands, ids, options.wordVectors, sigma);
  const perImage: Record<string, number> = {};
  ids.forEach((id, i) => {
    perImage[id] = scores[i] as number;
  });
  return { score: numpyMean(scores), perImage };
}

/** The per-image WMD scores of `ids`, in that order. */
export function wmdImageScores(
  refs: TokenizedRefs,
  cands: TokenizedCands,
  ids: readonly string[],
  vectors: WordVectors,
  sigma = 1,
): Float64Array {
  const scratch = new EmdScratch();
  const scores = new Float64Array(ids.length);
  ids.forEach((id, index) => {
    const cand = cands[id];
    const list = refs[id];
    if (typeof cand !== 'string' || !Array.isArray(list) || list.length === 0) {
      throw new MetricsInputError('WMD needs one candidate string and a non-empty reference list', {
        imageId: id,
        field: typeof cand !== 'string' ? 'candidate' : 'refs',
      });
    }
    const candidate = toDocument(withoutStopWords(cand), vectors);
    let best = -Infinity;
    for (const ref of list as readonly string[]) {
      const d = documentDistance(candidate, toDocument(withoutStopWords(ref), vectors), vectors, scratch);
      const score = Math.exp(-d / sigma);
      if (score > best) best = score;
    }
    scores[index] = best;
  });
  return scores;
}
