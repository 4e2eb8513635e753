/** The `show_tell` entry of the examples' model registry: builds {@link ShowTellModel} from the options. */
import { type CaptionerFactory, type CaptionFeatures, ExampleOptionsError } from '@caption/example-common';
import { ShowTellModel } from './show-tell-model';

/** `captionModel: show_tell`: fc features only; teacher forcing and decoding through `prepare`/`step`. */
export const showTellFactory: CaptionerFactory<CaptionFeatures> = {
  name: 'show_tell',
  uses: { fc: true, att: false },
  create(options, shape, rng) {
    if (options.useBox === 1)
      throw new ExampleOptionsError('useBox', "train: option 'useBox' is 1, but show_tell reads only the fc feature");
    return new ShowTellModel(
      {
        vocabSize: shape.vocabSize,
        inputEncodingSize: options.inputEncodingSize,
        rnnSize: options.rnnSize,
        numLayers: options.numLayers,
        dropProbLm: options.dropProbLm,
        fcFeatSize: shape.fcFeatSize,
      },
      { rng },
    );
  },
  features: (batch) => batch,
};
