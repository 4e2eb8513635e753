/**
 * SPICE as a metric family of `evaluate` and `caption-eval` (key `SPICE`, the per-category F scores in the
 * result's `spiceCategories`): runnable when Java and the official jar are found (see `spice-runner.ts`).
 */
import { MetricsInputError } from '../errors';
import type { MetricFamily } from '../metric-families';
import { locateSpice, spice } from './spice-runner';

/** The SPICE family. */
export const SPICE_FAMILY: MetricFamily = {
  name: 'spice',
  keys: ['SPICE'],
  unavailableReason(options) {
    try {
      locateSpice(options);
      return null;
    } catch (error) {
      if (MetricsInputError.isInstance(error)) return error.message;
      throw error;
    }
  },
  async compute(refs, cands, options, context) {
    const { score, perImage, categories } = await spice(refs, cands, options, context.imageIds);
    context.details.spiceCategories = categories;
    return { SPICE: { score, perImage } };
  },
};
