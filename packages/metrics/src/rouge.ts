/**
 * ROUGE-L exactly as coco-caption computes it (`pycocoevalcap/rouge/rouge.py`): tokens from `split(" ")`,
 * the longest common subsequence with each reference, the maximum precision and the maximum recall over the
 * references taken separately, F-measure with beta = 1.2, and the corpus score as the mean over images.
 */
import { encodeTokens, type TokenCorpus } from './internal/encoded-corpus';
import { numpyMean } from './internal/python-compat';
import { recordInKeyOrder } from './internal/records';
import { scanTokens } from './internal/token-table';
import { grown } from './internal/typed-arrays';
import type { MetricResult, TokenizedCands, TokenizedRefs } from './types';
import { checkScoringInput, positiveNumberOption } from './validate';

/** Options of {@link rouge}. */
export interface RougeOptions {
  /** Weight of recall against precision (coco-caption: 1.2). */
  beta?: number;
}

/**
 * Computes ROUGE-L as coco-caption's `Rouge().compute_score(gts, res)`.
 *
 * Because tokens come from `split(" ")`, an empty candidate is the one empty token: its score is 0 unless a
 * reference is empty too (then 1), as in the reference.
 *
 * @throws MetricsInputError when ids differ, a caption is not a string, an image has no reference or `beta` is not
 *   a positive number
 *
 * @example
 * ```ts
 * const { score, perImage } = rouge({ '1': ['a dog runs on the grass'] }, { '1': 'a dog on grass' });
 * ```
 */
export function rouge(refs: TokenizedRefs, cands: TokenizedCands, options: RougeOptions = {}): MetricResult {
  const beta = positiveNumberOption(options.beta, 1.2, 'beta', 'ROUGE_L');
  const ids = checkScoringInput(refs, cands, 'ROUGE_L');
  return rougeOfEncoded(encodeTokens(refs, cands, ids), { beta });
}

/**
 * {@link rouge} on captions already encoded. They are token ids of Python's `split()`, which equal
 * rouge.py's `split(" ")` except for captions flagged `irregular` (empty, or odd spacing): an image with such
 * a caption is split again from its text, on single spaces.
 */
function rougeOfEncoded(corpus: TokenCorpus, options: RougeOptions = {}): MetricResult {
  const { score, scores } = rougeScoresOfEncoded(corpus, options);
  return { score, perImage: recordInKeyOrder(corpus.ids, scores) };
}

/** @internal {@link rougeOfEncoded} with the per-image scores as a list in `corpus.ids` order. */
export function rougeScoresOfEncoded(
  corpus: TokenCorpus,
  options: RougeOptions = {},
): { score: number; scores: Float64Array } {
  const beta = options.beta ?? 1.2;
  const betaSquared = beta ** 2;
  const { ids, captions, imageStarts } = corpus;
  const { tokens, starts, irregular } = captions;
  const lcs = new LcsLength(captions.vocabulary.size);
  const vocabulary = captions.vocabulary;
  const intern = (text: string, start: number, end: number, hash: number): number =>
    vocabulary.intern(text, start, end, hash);
  let spaceSplit: Int32Array = new Int32Array(64);
  let maxReferences = 0;
  for (let j = 0; j < ids.length; j++) {
    maxReferences = Math.max(maxReferences, (imageStarts[j + 1] as number) - (imageStarts[j] as number) - 1);
  }
  const common = new Int32Array(maxReferences);
  const refLengths = new Int32Array(maxReferences);
  const scores = new Float64Array(ids.length);
  for (let j = 0; j < ids.length; j++) {
    const first = imageStarts[j] as number;
    const candidate = (imageStarts[j + 1] as number) - 1;
    let regular = true;
    for (let c = first; c <= candidate; c++) if (irregular[c] === 1) regular = false;
    // LCS length with each reference, with the reference's length, then the maxima of precision and recall.
    let candidateLength = 0;
    if (regular) {
      const candidateStart = starts[candidate] as number;
      candidateLength = (starts[candidate + 1] as number) - candidateStart;
      lcs.setCandidate(tokens, candidateStart, candidateLength);
      for (let r = first; r < candidate; r++) {
        const refLength = (starts[r + 1] as number) - (starts[r] as number);
        common[r - first] = lcs.with(tokens, starts[r] as number, refLength);
        refLengths[r - first] = refLength;
      }
    } else {
      const id = ids[j] as string;
      const scanned = scanTokens(corpus.cands[id] as string, 'space', spaceSplit, intern);
      spaceSplit = scanned.ids;
      candidateLength = scanned.count;
      lcs.setCandidate(spaceSplit, 0, candidateLength);
      const refList = corpus.refs[id] as readonly string[];
      for (let r = 0; r < refList.length; r++) {
        const refScanned = scanTokens(refList[r] as string, 'space', spaceSplit, intern);
        spaceSplit = refScanned.ids;
        common[r] = lcs.with(spaceSplit, 0, refScanned.count);
        refLengths[r] = refScanned.count;
      }
    }
    let precisionMax = 0;
    let recallMax = 0;
    for (let r = 0; r < candidate - first; r++) {
      const precision = (common[r] as number) / candidateLength;
      const recall = (common[r] as number) / (refLengths[r] as number);
      if (precision > precisionMax) precisionMax = precision;
      if (recall > recallMax) recallMax = recall;
    }
    lcs.clearCandidate();
    scores[j] =
      precisionMax !== 0 && recallMax !== 0
        ? ((1 + betaSquared) * precisionMax * recallMax) / (recallMax + betaSquared * precisionMax)
        : 0;
  }
  return { score: numpyMean(scores), scores };
}

/** Number of 1 bits of a 32-bit integer (SWAR: sums of bit pairs, then nibbles, then bytes). */
function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * Length of the longest common subsequence of one candidate with each of its references, on token ids.
 *
 * A candidate of at most 32 tokens (nearly all captions) takes the bit-parallel algorithm of H. Hyyrö,
 * "Bit-parallel LCS-length computation revisited" (2004): bit i of `matchMask[t]` says whether candidate token i
 * is t; a word V starts all ones and, for each reference token t, becomes (V + U) | (V − U) with U = V & M[t];
 * the LCS length is the number of zero bits among V's low m bits. JavaScript's `|` wraps both sums to 32 bits,
 * which is the arithmetic the algorithm needs (bits above m stay 1: U has none there, V − U never borrows).
 * Longer candidates take the dynamic programme with one reused row.
 */
class LcsLength {
  /** Per token id: the candidate positions holding it, as bits (zero for tokens not in the candidate). */
  private matchMask: Int32Array;
  private candidate: Int32Array = new Int32Array(64);
  private candidateLength = 0;
  private row: Int32Array = new Int32Array(64);

  constructor(vocabularySize: number) {
    this.matchMask = new Int32Array(Math.max(16, vocabularySize));
  }

  /** Sets the candidate: `tokens[start .. start + length)` (copied). */
  setCandidate(tokens: Int32Array, start: number, length: number): void {
    if (this.candidate.length < length) this.candidate = new Int32Array(length * 2);
    for (let i = 0; i < length; i++) this.candidate[i] = tokens[start + i] as number;
    this.candidateLength = length;
    if (length > 32) return;
    for (let i = 0; i < length; i++) {
      const token = tokens[start + i] as number;
      if (token >= this.matchMask.length) this.matchMask = grown(this.matchMask, token + 1);
      this.matchMask[token] = (this.matchMask[token] as number) | (1 << i);
    }
  }

  /** Clears the candidate's bits (the mask array is zero between candidates). */
  clearCandidate(): void {
    if (this.candidateLength > 32) return;
    for (let i = 0; i < this.candidateLength; i++) this.matchMask[this.candidate[i] as number] = 0;
  }

  /** LCS length of the candidate and `tokens[start .. start + length)`. */
  with(tokens: Int32Array, start: number, length: number): number {
    const m = this.candidateLength;
    if (m > 32) return this.dynamicProgramme(tokens, start, length);
    const masks = this.matchMask;
    let v = -1;
    for (let i = start; i < start + length; i++) {
      const token = tokens[i] as number;
      const u = v & (token < masks.length ? (masks[token] as number) : 0);
      v = (v + u) | (v - u);
    }
    const low = m === 32 ? -1 : (1 << m) - 1;
    return m - popcount32(v & low);
  }

  /** The textbook dynamic programme over the shorter sequence, one row reused. */
  private dynamicProgramme(tokens: Int32Array, start: number, length: number): number {
    const candidate = this.candidate;
    const m = this.candidateLength;
    const aLonger = m >= length;
    const shortLength = aLonger ? length : m;
    const longLength = aLonger ? m : length;
    const longAt = (i: number): number => (aLonger ? (candidate[i] as number) : (tokens[start + i] as number));
    const shortAt = (j: number): number => (aLonger ? (tokens[start + j] as number) : (candidate[j] as number));
    if (this.row.length < shortLength + 1) this.row = new Int32Array((shortLength + 1) * 2);
    const row = this.row;
    row.fill(0, 0, shortLength + 1);
    for (let i = 0; i < longLength; i++) {
      const token = longAt(i);
      let diagonal = 0; // row[j - 1] of the previous line
      for (let j = 1; j <= shortLength; j++) {
        const above = row[j] as number;
        if (token === shortAt(j - 1)) {
          row[j] = diagonal + 1;
        } else {
          const left = row[j - 1] as number;
          row[j] = above > left ? above : left;
        }
        diagonal = above;
      }
    }
    return row[shortLength] as number;
  }
}
