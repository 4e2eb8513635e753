/** The `aoa` entry of the examples' model registry: `AoAModel` from the reference options. */
import { type CaptionerFactory, ExampleOptionsError } from '@caption/example-common';
import { AOA_MODEL_OPTIONS, AoAConfigError, type AoAFeatures, AoAModel } from '@caption/models-aoa';

/**
 * `captionModel: aoa`: region (att) features with their mask; XE through `AoAModel.forward` (logits for the
 * fused label-smoothed loss); self-critical samples through core, which uses `AoAModel.samplingSteps`.
 */
export const aoaFactory: CaptionerFactory<AoAFeatures> = {
  name: 'aoa',
  uses: { fc: false, att: true },
  create(options, shape, rng) {
    if (options.meanFeats !== 1) {
      throw new ExampleOptionsError(
        'meanFeats',
        "train: option 'meanFeats' 0 (an fc embedding as the LSTM's image input) is not wired in this example; use 1",
      );
    }
    // every option of the model's schema, by name (the table of train options holds them all)
    const given = options as unknown as Record<string, unknown>;
    const config = Object.fromEntries(Object.keys(AOA_MODEL_OPTIONS.shape).map((key) => [key, given[key]]));
    try {
      return AoAModel.fromReferenceOptions({ ...config, vocabSize: shape.vocabSize }, { rng });
    } catch (e) {
      if (e instanceof AoAConfigError) throw new ExampleOptionsError(e.option, `train: ${e.message}`);
      throw e;
    }
  },
  features(batch) {
    if (batch.att === null) throw new Error('aoa: the batch has no att (region) features');
    return { att: batch.att, mask: batch.attMask };
  },
  teacherForced: (model, features, labels, scheduledSampling, output) =>
    (model as AoAModel).forward(features, labels, {
      output,
      ...(scheduledSampling === null ? {} : { scheduledSampling }),
    }),
};
