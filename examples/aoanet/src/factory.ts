/** The `aoa` entry of the examples' model registry: `AoAModel` from the reference options. */
import { type CaptionerFactory, ExampleOptionsError } from '@caption/example-common';
import { AoAConfigError, type AoAFeatures, AoAModel } from '@caption/models-aoa';

/**
 * `captionModel: aoa`: region (att) features with their mask; XE through `AoAModel.forward`, self-critical
 * samples through `AoAModel.selfCriticalSample` (drawn with their differentiable log-probs in one pass).
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
    try {
      return AoAModel.fromReferenceOptions(
        {
          vocabSize: shape.vocabSize,
          inputEncodingSize: options.inputEncodingSize,
          rnnSize: options.rnnSize,
          attFeatSize: options.attFeatSize,
          fcFeatSize: options.fcFeatSize,
          attHidSize: options.attHidSize,
          dropProbLm: options.dropProbLm,
          refine: options.refine,
          refineAoa: options.refineAoa,
          useFf: options.useFf,
          dropoutAoa: options.dropoutAoa,
          decoderType: options.decoderType,
          useMultiHead: options.useMultiHead,
          numHeads: options.numHeads,
          multiHeadScale: options.multiHeadScale,
          meanFeats: options.meanFeats,
          ctxDrop: options.ctxDrop,
          useBox: options.useBox,
          normAttFeat: options.normAttFeat,
          normBoxFeat: options.normBoxFeat,
          maxLength: options.maxLength,
        },
        { rng },
      );
    } catch (e) {
      if (e instanceof AoAConfigError) throw new ExampleOptionsError(e.option, `train: ${e.message}`);
      throw e;
    }
  },
  features(batch) {
    if (batch.att === null) throw new Error('aoa: the batch has no att (region) features');
    return { att: batch.att, mask: batch.attMask };
  },
  teacherForced: (model, features, labels, scheduledSampling) =>
    (model as AoAModel).forward(features, labels, scheduledSampling === null ? {} : { scheduledSampling }),
  selfCriticalSample: (model, features, options) =>
    (model as AoAModel).selfCriticalSample(features, { ...options, method: 'sample' }),
};
