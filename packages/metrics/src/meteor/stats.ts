/**
 * METEOR's sufficient statistics (`MeteorStats` in the jar), the score computed from them
 * (`MeteorScorer.computeMetrics`) and their aggregation over a corpus (`MeteorStats.addStats`), with every
 * floating-point operation in the jar's order so that scores come out with the same bits.
 */
import { MetricsInputError } from '../errors';
import { javaDoubleToString } from './java-compat';

/**
 * The sufficient statistics of one segment (a candidate against its best reference) or of a corpus (summed).
 * Arrays have one entry per matcher stage: exact, stem, synonym, paraphrase.
 */
export interface MeteorStats {
  /** Words in the candidate. */
  testLength: number;
  /** Words in the reference. */
  referenceLength: number;
  /** Candidate words in METEOR's function-word list. */
  testFunctionWords: number;
  /** Reference words in the function-word list. */
  referenceFunctionWords: number;
  /** Matched candidate content words, per stage. */
  testContentMatches: readonly number[];
  /** Matched reference content words, per stage. */
  referenceContentMatches: readonly number[];
  /** Matched candidate function words, per stage. */
  testFunctionMatches: readonly number[];
  /** Matched reference function words, per stage. */
  referenceFunctionMatches: readonly number[];
  /** Number of chunks (for a corpus: summed over segments that are not perfect matches). */
  chunks: number;
  /** Matched candidate words, all stages. */
  testWordMatches: number;
  /** Matched reference words, all stages. */
  referenceWordMatches: number;
}

/** METEOR's parameters: α, β, γ, δ and the weight of each matcher stage. */
export interface MeteorParameters {
  /** Weight of recall against precision in the F-mean. */
  readonly alpha: number;
  /** Exponent of the fragmentation penalty. */
  readonly beta: number;
  /** Maximum fragmentation penalty. */
  readonly gamma: number;
  /** Weight of content words against function words. */
  readonly delta: number;
  /** Weight of a match made by each stage: exact, stem, synonym, paraphrase. */
  readonly stageWeights: readonly number[];
}

/**
 * The parameters `-l en` gets by default in METEOR 1.5 (task `rank`), which coco-caption uses:
 * α 0.85, β 0.2, γ 0.6, δ 0.75, stage weights 1.0 0.6 0.8 0.6.
 */
export const METEOR_ENGLISH_PARAMETERS: MeteorParameters = Object.freeze({
  alpha: 0.85,
  beta: 0.2,
  gamma: 0.6,
  delta: 0.75,
  stageWeights: Object.freeze([1.0, 0.6, 0.8, 0.6]),
});

/** Number of matcher stages in the statistics line (the jar's `MAX_MODULES`). */
const STAGES = 4;

/** Matched words of all stages, content and function, on the candidate side and on the reference side. */
function totalMatches(stats: MeteorStats): { test: number; reference: number } {
  let test = 0;
  let reference = 0;
  for (let i = 0; i < STAGES; i++) {
    test += (stats.testContentMatches[i] ?? 0) + (stats.testFunctionMatches[i] ?? 0);
    reference += (stats.referenceContentMatches[i] ?? 0) + (stats.referenceFunctionMatches[i] ?? 0);
  }
  return { test, reference };
}

/** True when every word of both sides is matched in a single chunk: no fragmentation penalty. */
function isPerfect(stats: MeteorStats): boolean {
  const total = totalMatches(stats);
  return total.test === stats.testLength && total.reference === stats.referenceLength && stats.chunks === 1;
}

/**
 * The METEOR score of statistics (`computeMetrics`): weighted precision and recall (content words weighted δ,
 * function words 1-δ), their F-mean with weight α on recall, times 1 - γ·frag^β where frag = chunks / mean
 * matched words. A division by zero gives 0, as in the jar.
 */
export function meteorScoreFromStats(
  stats: MeteorStats,
  parameters: MeteorParameters = METEOR_ENGLISH_PARAMETERS,
): number {
  const { alpha, beta, gamma, delta, stageWeights } = parameters;
  const testWeightedLength =
    delta * (stats.testLength - stats.testFunctionWords) + (1.0 - delta) * stats.testFunctionWords;
  const referenceWeightedLength =
    delta * (stats.referenceLength - stats.referenceFunctionWords) + (1.0 - delta) * stats.referenceFunctionWords;
  let testWeightedMatches = 0;
  let referenceWeightedMatches = 0;
  const stages = stageWeights.length;
  for (let i = 0; i < stages; i++)
    testWeightedMatches += (stats.testContentMatches[i] ?? 0) * (stageWeights[i] as number) * delta;
  for (let i = 0; i < stages; i++) {
    referenceWeightedMatches += (stats.referenceContentMatches[i] ?? 0) * (stageWeights[i] as number) * delta;
  }
  for (let i = 0; i < stages; i++) {
    testWeightedMatches += (stats.testFunctionMatches[i] ?? 0) * (stageWeights[i] as number) * (1.0 - delta);
  }
  for (let i = 0; i < stages; i++) {
    referenceWeightedMatches += (stats.referenceFunctionMatches[i] ?? 0) * (stageWeights[i] as number) * (1.0 - delta);
  }
  const precision = testWeightedMatches / testWeightedLength;
  const recall = referenceWeightedMatches / referenceWeightedLength;
  const fMean = 1.0 / ((1.0 - alpha) / precision + alpha / recall);
  const fragmentation = isPerfect(stats)
    ? 0
    : stats.chunks / ((stats.testWordMatches + stats.referenceWordMatches) / 2);
  const penalty = gamma * Math.pow(fragmentation, beta);
  const score = fMean * (1.0 - penalty);
  return Number.isNaN(score) ? 0 : Math.max(score, 0.0);
}

/**
 * Sums segment statistics into corpus statistics as the jar's `addStats` does: every count is added, and
 * chunks too except for segments that match perfectly in one chunk. coco-caption's corpus METEOR is
 * {@link meteorScoreFromStats} of this sum (not the mean of the segment scores).
 */
export function sumMeteorStats(segments: Iterable<MeteorStats>): MeteorStats {
  const total = {
    testLength: 0,
    referenceLength: 0,
    testFunctionWords: 0,
    referenceFunctionWords: 0,
    testContentMatches: new Array<number>(STAGES).fill(0),
    referenceContentMatches: new Array<number>(STAGES).fill(0),
    testFunctionMatches: new Array<number>(STAGES).fill(0),
    referenceFunctionMatches: new Array<number>(STAGES).fill(0),
    chunks: 0,
    testWordMatches: 0,
    referenceWordMatches: 0,
  };
  for (const s of segments) {
    total.testLength += s.testLength;
    total.referenceLength += s.referenceLength;
    total.testFunctionWords += s.testFunctionWords;
    total.referenceFunctionWords += s.referenceFunctionWords;
    for (let i = 0; i < STAGES; i++) {
      total.testContentMatches[i]! += s.testContentMatches[i] ?? 0;
      total.referenceContentMatches[i]! += s.referenceContentMatches[i] ?? 0;
      total.testFunctionMatches[i]! += s.testFunctionMatches[i] ?? 0;
      total.referenceFunctionMatches[i]! += s.referenceFunctionMatches[i] ?? 0;
    }
    if (!isPerfect(s)) total.chunks += s.chunks;
    total.testWordMatches += s.testWordMatches;
    total.referenceWordMatches += s.referenceWordMatches;
  }
  return total;
}

/**
 * The statistics as the jar's `SCORE` command prints them (23 numbers: lengths, function words, per stage
 * test/reference content/function matches, chunks, matched words), e.g. `10.0 9.0 3.0 1.0 3.0 ...`.
 */
export function formatMeteorStats(stats: MeteorStats): string {
  const values = [stats.testLength, stats.referenceLength, stats.testFunctionWords, stats.referenceFunctionWords];
  for (let i = 0; i < STAGES; i++) {
    values.push(
      stats.testContentMatches[i] ?? 0,
      stats.referenceContentMatches[i] ?? 0,
      stats.testFunctionMatches[i] ?? 0,
      stats.referenceFunctionMatches[i] ?? 0,
    );
  }
  values.push(stats.chunks, stats.testWordMatches, stats.referenceWordMatches);
  return values.map(javaDoubleToString).join(' ');
}

/** Reads a statistics line in the format of {@link formatMeteorStats} (what the jar's `EVAL` command takes). */
export function parseMeteorStats(line: string): MeteorStats {
  const values = line.trim().split(/\s+/).map(Number);
  if (values.length !== 23 || values.some((v) => !Number.isFinite(v))) {
    throw new MetricsInputError(`expected 23 numbers in a METEOR statistics line, got "${line}"`, {
      field: 'meteorStats',
    });
  }
  const at = (i: number): number => values[i] as number;
  const stage = (offset: number): number[] => [0, 1, 2, 3].map((s) => at(4 + 4 * s + offset));
  return {
    testLength: at(0),
    referenceLength: at(1),
    testFunctionWords: at(2),
    referenceFunctionWords: at(3),
    testContentMatches: stage(0),
    referenceContentMatches: stage(1),
    testFunctionMatches: stage(2),
    referenceFunctionMatches: stage(3),
    chunks: at(20),
    testWordMatches: at(21),
    referenceWordMatches: at(22),
  };
}
