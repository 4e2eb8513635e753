/**
 * `MeteorScorer`: METEOR 1.5 as coco-caption runs it (`java -jar meteor-1.5.jar - - -stdio -l en -norm`), in
 * pure TypeScript. This module does no I/O: it is built from the resource files' contents (strings) and an
 * optional {@link ParaphraseTable}, so it runs in a browser too. `loadMeteorScorer` (Node) finds and reads the
 * files.
 */
import { MetricsInputError } from '../errors';
import type { MetricResult, TokenizedCands, TokenizedRefs } from '../types';
import { checkScoringInput } from '../validate';
import { MeteorAligner, STAGE_COUNT, type AlignmentCounts } from './aligner';
import { MeteorLexicon } from './lexicon';
import { javaSplitLiteral, javaTokenize, javaTrim } from './java-compat';
import { MeteorNormalizer, parseNonbreakingPrefixes } from './normalizer';
import type { ParaphraseTable } from './paraphrase-table';
import {
  METEOR_ENGLISH_PARAMETERS,
  meteorScoreFromStats,
  sumMeteorStats,
  type MeteorParameters,
  type MeteorStats,
} from './stats';
import { EnglishStemmer } from './stemmer';
import { SynonymDictionary, splitLines } from './synonyms';

/**
 * The contents of METEOR 1.5's English resource files (as found in `meteor-1.5.jar` or in the `resources/`
 * folder of cmu-mtlab/meteor). `synonym/english.relations` is not needed: the jar does not read it.
 */
export interface MeteorResourceFiles {
  /** `function/english.words`: one function word per line. */
  functionWords: string;
  /** `nonbreaking/english.prefixes`: the normaliser's non-breaking prefixes. */
  nonbreakingPrefixes: string;
  /** `synonym/english.synsets`: WordNet synset ids per word. */
  synsets: string;
  /** `synonym/english.exceptions`: WordNet irregular forms. */
  exceptions: string;
}

/** Paths of the resource files inside `meteor-1.5.jar` (and under cmu-mtlab/meteor's `resources/`). */
export const METEOR_RESOURCE_PATHS: Readonly<Record<keyof MeteorResourceFiles, string>> = Object.freeze({
  functionWords: 'function/english.words',
  nonbreakingPrefixes: 'nonbreaking/english.prefixes',
  synsets: 'synonym/english.synsets',
  exceptions: 'synonym/english.exceptions',
});

/** METEOR scores with the sufficient statistics they come from. */
export interface MeteorResult extends MetricResult {
  /** Per-image statistics against the best reference, in evaluation order (the jar's `SCORE` output). */
  stats: Record<string, MeteorStats>;
  /** The summed statistics the corpus score is computed from. */
  corpusStats: MeteorStats;
}

/** A candidate and its references after METEOR's normalisation: lower-cased words, as lexicon ids. */
interface NormalizedSegment {
  test: Int32Array;
  references: Int32Array[];
}

/**
 * METEOR 1.5 for English with coco-caption's settings: normalisation (`-norm`), lower-casing, the exact, stem,
 * synonym and paraphrase stages, beam search alignment, the `rank` task parameters, best reference per
 * candidate (first one on ties), corpus score from summed statistics.
 *
 * Build it once and reuse it: construction indexes the 3.7 MB synonym file (tens of milliseconds), and the
 * words met are analysed once (stem, synsets) for the scorer's lifetime.
 *
 * @example
 * ```ts
 * const scorer = await loadMeteorScorer({ meteorData: '/path/to/meteor-1.5.jar' });
 * const { score, perImage } = scorer.score({ '1': ['a dog on a boat'] }, { '1': 'a dog sitting on a boat' });
 * ```
 */
export class MeteorScorer {
  /** The parameters scores are computed with. */
  readonly parameters: MeteorParameters = METEOR_ENGLISH_PARAMETERS;
  /** Whether a paraphrase table is loaded (without one the paraphrase stage matches nothing). */
  readonly hasParaphrases: boolean;
  private readonly normalizer: MeteorNormalizer;
  private readonly lexicon: MeteorLexicon;
  private readonly aligner: MeteorAligner;

  /**
   * @param files the contents of METEOR's English resource files
   * @param paraphrases the paraphrase table, or `null` to run without the paraphrase stage (what the expected
   *   values in this repository's test data were computed with; real coco-caption uses `paraphrase-en.gz`)
   * @param source where the files came from (a jar or folder path), for error messages
   */
  constructor(files: MeteorResourceFiles, paraphrases: ParaphraseTable | null, source = 'METEOR resource files') {
    this.hasParaphrases = paraphrases !== null;
    this.normalizer = new MeteorNormalizer(parseNonbreakingPrefixes(files.nonbreakingPrefixes));
    this.lexicon = new MeteorLexicon({
      stemmer: new EnglishStemmer(),
      synonyms: new SynonymDictionary(files.synsets, files.exceptions, source),
      paraphrases,
      functionWords: new Set(splitLines(files.functionWords)),
    });
    this.aligner = new MeteorAligner(this.lexicon);
  }

  /**
   * Statistics of one candidate against its best reference (highest segment score; the first one on ties),
   * exactly what coco-caption's `SCORE ||| ref1 ||| ... ||| candidate` line returns, including its handling of
   * `|||` (removed from the candidate; a separator inside a reference splits it).
   */
  segmentStats(candidate: string, references: readonly string[]): MeteorStats {
    const segment = this.normalizeSegment(candidate, references);
    let best: MeteorStats | null = null;
    let bestScore = -1;
    for (const reference of segment.references) {
      const stats = statsOf(this.aligner.align(segment.test, reference));
      const score = meteorScoreFromStats(stats, this.parameters);
      if (score > bestScore) {
        best = stats;
        bestScore = score;
      }
    }
    return best as MeteorStats;
  }

  /** The METEOR score of one candidate against its references. */
  segmentScore(candidate: string, references: readonly string[]): number {
    return meteorScoreFromStats(this.segmentStats(candidate, references), this.parameters);
  }

  /**
   * Corpus and per-image METEOR over PTB-tokenized references and candidates, as coco-caption reports them:
   * per image the segment score, for the corpus the score of the summed statistics.
   *
   * @throws MetricsInputError when the two maps do not have the same ids, an image has no reference or a caption
   *   is not a string
   */
  score(refs: TokenizedRefs, cands: TokenizedCands): MeteorResult {
    const stats: Record<string, MeteorStats> = {};
    const perImage: Record<string, number> = {};
    for (const id of checkScoringInput(refs, cands, 'METEOR')) {
      const segment = this.segmentStats(cands[id] as string, refs[id] as readonly string[]);
      stats[id] = segment;
      perImage[id] = meteorScoreFromStats(segment, this.parameters);
    }
    const corpusStats = sumMeteorStats(Object.values(stats));
    return { score: meteorScoreFromStats(corpusStats, this.parameters), perImage, stats, corpusStats };
  }

  /** coco-caption's protocol line, split back as the jar splits it; then `-norm`, lower-casing and tokenizing. */
  private normalizeSegment(candidate: string, references: readonly string[]): NormalizedSegment {
    const hypothesis = candidate.replaceAll('|||', '').replaceAll('  ', ' ');
    const parts = javaSplitLiteral(['SCORE', references.join(' ||| '), hypothesis].join(' ||| '), '|||');
    if (parts.length < 3) {
      throw new MetricsInputError('METEOR needs a candidate and at least one reference', { field: 'refs' });
    }
    const words = (text: string): Int32Array =>
      this.lexicon.encode(javaTokenize(this.normalizer.normalize(javaTrim(text)).toLowerCase()));
    return {
      test: words(parts[parts.length - 1] as string),
      references: parts.slice(1, -1).map(words),
    };
  }
}

/** `MeteorScorer.getMeteorStats(Alignment)`: the statistics of one alignment. */
function statsOf(counts: AlignmentCounts): MeteorStats {
  let testWordMatches = 0;
  let referenceWordMatches = 0;
  for (let i = 0; i < STAGE_COUNT; i++) {
    testWordMatches += (counts.testContentMatches[i] as number) + (counts.testFunctionMatches[i] as number);
    referenceWordMatches +=
      (counts.referenceContentMatches[i] as number) + (counts.referenceFunctionMatches[i] as number);
  }
  return {
    testLength: counts.testLength,
    referenceLength: counts.referenceLength,
    testFunctionWords: counts.testFunctionWords,
    referenceFunctionWords: counts.referenceFunctionWords,
    testContentMatches: counts.testContentMatches,
    referenceContentMatches: counts.referenceContentMatches,
    testFunctionMatches: counts.testFunctionMatches,
    referenceFunctionMatches: counts.referenceFunctionMatches,
    chunks: counts.chunks,
    testWordMatches,
    referenceWordMatches,
  };
}
