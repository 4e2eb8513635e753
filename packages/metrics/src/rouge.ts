/**
 * ROUGE-L exactly as coco-caption computes it (`pycocoevalcap/rouge/rouge.py`): tokens from `split(" ")`,
 * the longest common subsequence with each reference, the maximum precision and the maximum recall over the
 * references taken separately, F-measure with beta = 1.2, and the corpus score as the mean over images.
 */
import { numpyMean } from './internal/python-compat';
import { TokenTable, scanTokens } from './internal/token-table';
import type { MetricResult, TokenizedCands, TokenizedRefs } from './types';
import { checkScoringInput } from './validate';

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
 * @throws MetricsInputError when ids differ, a caption is not a string or an image has no reference
 *
 * @example
 * ```ts
 * const { score, perImage } = rouge({ '1': ['a dog runs on the grass'] }, { '1': 'a dog on grass' });
 * ```
 */
export function rouge(refs: TokenizedRefs, cands: TokenizedCands, options: RougeOptions = {}): MetricResult {
  const beta = options.beta ?? 1.2;
  const betaSquared = beta ** 2;
  const ids = checkScoringInput(refs, cands, 'ROUGE_L');
  const tokens = new TokenTable();
  const intern = (text: string, start: number, end: number, hash: number): number => tokens.intern(text, start, end, hash);
  // Two reused buffers: the candidate's token ids, then each reference's in turn (no array per caption).
  let candidate: Int32Array = new Int32Array(64);
  let reference: Int32Array = new Int32Array(64);
  const lcs = new LcsTable();
  const scores = new Float64Array(ids.length);
  ids.forEach((id, index) => {
    const scannedCandidate = scanTokens(cands[id] as string, 'space', candidate, intern);
    candidate = scannedCandidate.ids;
    const candidateLength = scannedCandidate.count;
    let precisionMax = 0;
    let recallMax = 0;
    for (const ref of refs[id] as readonly string[]) {
      const scanned = scanTokens(ref, 'space', reference, intern);
      reference = scanned.ids;
      const common = lcs.length(reference, scanned.count, candidate, candidateLength);
      const precision = common / candidateLength;
      const recall = common / scanned.count;
      if (precision > precisionMax) precisionMax = precision;
      if (recall > recallMax) recallMax = recall;
    }
    scores[index] =
      precisionMax !== 0 && recallMax !== 0
        ? ((1 + betaSquared) * precisionMax * recallMax) / (recallMax + betaSquared * precisionMax)
        : 0;
  });
  const perImage: Record<string, number> = {};
  ids.forEach((id, i) => {
    perImage[id] = scores[i] as number;
  });
  return { score: numpyMean(scores), perImage };
}

/** Length of the longest common subsequence of two token-id sequences, with one reused row buffer. */
class LcsTable {
  private row = new Int32Array(64);

  /** LCS length of `a[0..aLength)` and `b[0..bLength)`. */
  length(a: Int32Array, aLength: number, b: Int32Array, bLength: number): number {
    const aLonger = aLength >= bLength;
    const long = aLonger ? a : b;
    const short = aLonger ? b : a;
    const longLength = aLonger ? aLength : bLength;
    const shortLength = aLonger ? bLength : aLength;
    if (this.row.length < shortLength + 1) this.row = new Int32Array((shortLength + 1) * 2);
    const row = this.row;
    row.fill(0, 0, shortLength + 1);
    for (let i = 0; i < longLength; i++) {
      const token = long[i] as number;
      let diagonal = 0; // row[j - 1] of the previous line
      for (let j = 1; j <= shortLength; j++) {
        const above = row[j] as number;
        if (token === short[j - 1]) {
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
