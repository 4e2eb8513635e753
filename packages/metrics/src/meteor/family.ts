/**
 * METEOR as a metric family of `evaluate` and `caption-eval` (see `metric-families.ts`): runnable when its
 * data can be found (or a scorer is given), loaded on first use.
 */
import { MetricsInputError } from '../errors';
import type { MetricFamily, MetricFamilyOptions } from '../metric-families';
import { loadMeteorScorer, locateMeteorData, type MeteorDataOptions } from './node-data';
import { MeteorScorer } from './scorer';

function dataOptions(options: MetricFamilyOptions): MeteorDataOptions {
  return {
    meteorData: typeof options.meteorData === 'string' ? options.meteorData : undefined,
    meteorParaphrase: options.meteorParaphrase,
  };
}

/** The METEOR family: key `METEOR`, coco-caption's corpus score (from summed statistics) and per-image scores. */
export const METEOR_FAMILY: MetricFamily = {
  name: 'meteor',
  keys: ['METEOR'],
  unavailableReason(options) {
    if (options.meteorData instanceof MeteorScorer) return null;
    try {
      locateMeteorData(dataOptions(options));
      return null;
    } catch (error) {
      if (MetricsInputError.isInstance(error)) return error.message;
      throw error;
    }
  },
  async compute(refs, cands, options) {
    const scorer =
      options.meteorData instanceof MeteorScorer ? options.meteorData : await loadMeteorScorer(dataOptions(options));
    const { score, perImage } = scorer.score(refs, cands);
    return { METEOR: { score, perImage } };
  },
};
