/**
 * The metric families `evaluate` can run, in one small registry: each family names the coco-caption score
 * keys it produces, says whether it can run with the given options, and computes its scores on tokenized
 * captions. METEOR, SPICE and WMD join by adding one entry to {@link METRIC_FAMILIES}.
 */
import { bleuScoresOfEncoded } from './bleu';
import { ciderScoresOfEncoded } from './cider';
import { encodeCorpus, type EncodedCorpus } from './internal/encoded-corpus';
import { METEOR_FAMILY } from './meteor/family';
import type { MeteorScorer } from './meteor/scorer';
import { rougeScoresOfEncoded } from './rouge';
import { SPICE_FAMILY } from './spice/family';
import type { SpiceCategoryScores } from './spice/spice-output';
import type { SpiceOptions } from './spice/spice-runner';
import type { CocoScoreName, MetricName, MetricResult, TokenizedCands, TokenizedRefs } from './types';
import { WMD_FAMILY } from './wmd/family';
import type { WordVectors } from './wmd/word-vectors';

/** What a family receives besides the captions: the options given to `evaluate`. */
export interface MetricFamilyOptions extends SpiceOptions {
  /**
   * METEOR's data: the path of `meteor-1.5.jar`, of a folder holding it or of its resource files (default:
   * `CAPTION_METEOR_DATA`, else a pycocoevalcap installation), or a `MeteorScorer` built beforehand.
   */
  meteorData?: string | MeteorScorer;
  /** METEOR's paraphrase table: a path, or `false` to score without one (see `MeteorDataOptions`). */
  meteorParaphrase?: string | false;
  /**
   * WMD's word vectors: the path of a word2vec (text or binary, `.bin`) or GloVe text file, `.gz` accepted
   * (read keeping only the captions' words), or vectors loaded beforehand (`loadWordVectors`,
   * `parseWordVectors`). WMD runs only when they are given.
   */
  wordVectors?: string | WordVectors;
}

/** Work shared by the families of one evaluation, computed on first use. */
export interface MetricContext {
  /** The image ids scored, in evaluation order. */
  readonly imageIds: readonly string[];
  /** The captions as token ids and n-gram ids up to order 4 (BLEU, ROUGE-L and CIDEr use them). */
  ngrams(): EncodedCorpus;
  /** What families report besides their keys' scores (returned by `evaluate` as they are). */
  details: EvaluationDetails;
}

/** Scores a family reports besides its keys'. */
export interface EvaluationDetails {
  /** SPICE's F score of each tuple category per image (set when SPICE ran). */
  spiceCategories?: Record<string, SpiceCategoryScores>;
}

/**
 * A {@link MetricContext} over validated tokenized captions, scored in the order of `imageIds` (the candidates' ids).
 */
export function metricContext(
  refs: TokenizedRefs,
  cands: TokenizedCands,
  imageIds: readonly string[] = Object.keys(cands),
): MetricContext {
  let corpus: EncodedCorpus | undefined;
  return {
    imageIds,
    ngrams: () => (corpus ??= encodeCorpus(refs, cands, imageIds, 4)),
    details: {},
  };
}

/**
 * One key's scores from a family: a {@link MetricResult}, or the corpus score with the per-image scores as a
 * list in the order of {@link MetricContext.imageIds} (what the built-in families return: no 40,000-key
 * object per key for `evaluate` to build and read back).
 */
export type FamilyScores = MetricResult | { score: number; imageScores: ArrayLike<number> };

/** One metric family (e.g. `bleu`, which yields `Bleu_1`..`Bleu_4`). */
export interface MetricFamily {
  /** Name as `--metrics` and `evaluate({ metrics })` take it. */
  readonly name: MetricName;
  /** The score keys it produces, in coco-caption's order. */
  readonly keys: readonly CocoScoreName[];
  /** Why it cannot run with these options (missing data, Java, ...), or `null` when it can. */
  unavailableReason(options: MetricFamilyOptions): string | null;
  /**
   * Scores tokenized captions (same ids on both sides, already validated). Returns the scores of each key in
   * {@link keys}.
   */
  compute(
    refs: TokenizedRefs,
    cands: TokenizedCands,
    options: MetricFamilyOptions,
    context: MetricContext,
  ): Partial<Record<CocoScoreName, FamilyScores>> | Promise<Partial<Record<CocoScoreName, FamilyScores>>>;
}

const BLEU_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4'] as const;

/** Every metric family, in the order COCOEvalCap runs its scorers (internal registry: add METEOR, SPICE, WMD here). */
export const METRIC_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'bleu',
    keys: BLEU_KEYS,
    unavailableReason: () => null,
    compute(_refs, _cands, _options, context) {
      const result = bleuScoresOfEncoded(context.ngrams(), 4);
      const out: Partial<Record<CocoScoreName, FamilyScores>> = {};
      BLEU_KEYS.forEach((key, k) => {
        out[key] = { score: result.score[k] as number, imageScores: result.byOrder[k] as Float64Array };
      });
      return out;
    },
  },
  METEOR_FAMILY,
  {
    name: 'rouge',
    keys: ['ROUGE_L'],
    unavailableReason: () => null,
    compute: (_refs, _cands, _options, context) => {
      const { score, scores } = rougeScoresOfEncoded(context.ngrams());
      return { ROUGE_L: { score, imageScores: scores } };
    },
  },
  {
    name: 'cider',
    keys: ['CIDEr'],
    unavailableReason: () => null,
    compute: (_refs, _cands, _options, context) => {
      const { score, scores } = ciderScoresOfEncoded(context.ngrams());
      return { CIDEr: { score, imageScores: scores } };
    },
  },
  SPICE_FAMILY,
  WMD_FAMILY,
];

/** The order in which score keys are reported (COCOEvalCap's). */
export const SCORE_KEY_ORDER: readonly CocoScoreName[] = [
  'Bleu_1',
  'Bleu_2',
  'Bleu_3',
  'Bleu_4',
  'METEOR',
  'ROUGE_L',
  'CIDEr',
  'SPICE',
  'WMD',
];

/** Every metric name the API knows, runnable here or not. */
export const METRIC_NAMES: readonly MetricName[] = ['bleu', 'meteor', 'rouge', 'cider', 'spice', 'wmd'];

/** Families whose resources are English only (METEOR's stemmer, synonyms and paraphrases; SPICE's parser). */
const ENGLISH_ONLY: readonly MetricName[] = ['meteor', 'spice'];

/**
 * Why `family` cannot run with these options, or `null`: its own reason (missing data, Java, ...), or, for
 * METEOR and SPICE under a Chinese tokenizer (`tokenize: 'jieba' | 'char'`), that their resources are English.
 */
export function familyUnavailableReason(
  family: MetricFamily,
  options: MetricFamilyOptions & { tokenize?: unknown },
): string | null {
  if ((options.tokenize === 'jieba' || options.tokenize === 'char') && ENGLISH_ONLY.includes(family.name)) {
    return `${family.name} has English resources only (no Chinese ${family.name === 'meteor' ? 'stemmer, synonyms or paraphrases' : 'parser'}), so it does not score tokenize '${options.tokenize}' captions`;
  }
  return family.unavailableReason(options);
}

/**
 * The metrics that can run with these options, in coco-caption's order: what `evaluate` and `caption-eval`
 * run when no metric is named.
 */
export function availableMetrics(options: MetricFamilyOptions & { tokenize?: unknown } = {}): MetricName[] {
  return METRIC_FAMILIES.filter((family) => familyUnavailableReason(family, options) === null).map(
    (family) => family.name,
  );
}
