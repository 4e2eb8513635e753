/**
 * The metric families `evaluate` can run, in one small registry: each family names the coco-caption score
 * keys it produces, says whether it can run with the given options, and computes its scores on tokenized
 * captions. METEOR, SPICE and WMD join by adding one entry to {@link METRIC_FAMILIES}.
 */
import { bleu } from './bleu';
import { cider } from './cider';
import { METEOR_FAMILY } from './meteor/family';
import type { MeteorScorer } from './meteor/scorer';
import { rouge } from './rouge';
import type { CocoScoreName, MetricName, MetricResult, TokenizedCands, TokenizedRefs } from './types';

/** What a family receives besides the captions: the options given to `evaluate`. */
export interface MetricFamilyOptions {
  /**
   * METEOR's data: the path of `meteor-1.5.jar`, of a folder holding it or of its resource files (default:
   * `CAPTION_METEOR_DATA`, else a pycocoevalcap installation), or a `MeteorScorer` built beforehand.
   */
  meteorData?: string | MeteorScorer;
  /** METEOR's paraphrase table: a path, or `false` to score without one (see `MeteorDataOptions`). */
  meteorParaphrase?: string | false;
}

/** One metric family (e.g. `bleu`, which yields `Bleu_1`..`Bleu_4`). */
export interface MetricFamily {
  /** Name as `--metrics` and `evaluate({ metrics })` take it. */
  readonly name: MetricName;
  /** The score keys it produces, in coco-caption's order. */
  readonly keys: readonly CocoScoreName[];
  /** Why it cannot run with these options (missing data, Java, ...), or `null` when it can. */
  unavailableReason(options: MetricFamilyOptions): string | null;
  /**
   * Scores tokenized captions (same ids on both sides, already validated). Returns one {@link MetricResult}
   * per key in {@link keys}.
   */
  compute(
    refs: TokenizedRefs,
    cands: TokenizedCands,
    options: MetricFamilyOptions,
  ): Partial<Record<CocoScoreName, MetricResult>> | Promise<Partial<Record<CocoScoreName, MetricResult>>>;
}

const BLEU_KEYS = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4'] as const;

/** Every metric family, in the order COCOEvalCap runs its scorers. */
export const METRIC_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'bleu',
    keys: BLEU_KEYS,
    unavailableReason: () => null,
    compute(refs, cands) {
      const result = bleu(refs, cands);
      const out: Partial<Record<CocoScoreName, MetricResult>> = {};
      BLEU_KEYS.forEach((key, k) => {
        const perImage: Record<string, number> = {};
        for (const [id, scores] of Object.entries(result.perImage)) perImage[id] = scores[k] as number;
        out[key] = { score: result.score[k] as number, perImage };
      });
      return out;
    },
  },
  METEOR_FAMILY,
  {
    name: 'rouge',
    keys: ['ROUGE_L'],
    unavailableReason: () => null,
    compute: (refs, cands) => ({ ROUGE_L: rouge(refs, cands) }),
  },
  {
    name: 'cider',
    keys: ['CIDEr'],
    unavailableReason: () => null,
    compute: (refs, cands) => ({ CIDEr: cider(refs, cands) }),
  },
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

/** The family called `name`, or `undefined` when this build has none by that name. */
export function metricFamily(name: MetricName): MetricFamily | undefined {
  return METRIC_FAMILIES.find((family) => family.name === name);
}
