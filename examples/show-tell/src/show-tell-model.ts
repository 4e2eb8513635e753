/**
 * ImageCaptioning.pytorch's `ShowTellModel` (Vinyals et al., "Show and Tell") built from `@caption/core`
 * layers: the fc feature, projected by `img_embed`, is the LSTM's first input; the LSTM's output at that
 * step is discarded; then BOS and the words follow, each `embed`ded, and every output goes through
 * dropout and `logit` to a `log_softmax` over the vocabulary + 1 (index 0 = BOS = EOS = pad).
 *
 * As the reference: `img_embed` is a plain Linear (no activation, no dropout), the LSTM has no biases
 * (`bias=False`) and, with several layers, dropout `drop_prob_lm` between them; `embed.weight` and
 * `logit.weight` are drawn uniform in ±0.1 and `logit.bias` is 0. The reference's `nn.LSTM` names its
 * weights `core.weight_ih_l0`; here each layer is an `LSTMCell`, named `core.0.weight_ih` (same layout).
 */
import {
  type DecoderState,
  type DecoderStepOutput,
  Dropout,
  Embedding,
  Linear,
  LSTMCell,
  Module,
  type ModuleOptions,
  ModuleList,
  registerModuleClass,
  uniformInit,
} from '@caption/core';
import type { CaptionFeatures } from '@caption/example-common';
import * as tf from '@tensorflow/tfjs-core';

/** Configuration of {@link ShowTellModel} (the reference's option names in camelCase). */
export interface ShowTellConfig {
  /** Words in the vocabulary; the model predicts `vocabSize + 1` classes. */
  vocabSize: number;
  /** Size of the image and word embeddings (`input_encoding_size`). */
  inputEncodingSize: number;
  /** LSTM size (`rnn_size`). */
  rnnSize: number;
  /** LSTM layers (`num_layers`). */
  numLayers: number;
  /** Dropout before `logit` and between LSTM layers (`drop_prob_lm`). */
  dropProbLm: number;
  /** fc feature size (`fc_feat_size`). */
  fcFeatSize: number;
}

/** ShowTellModel: the image as the first word of an LSTM language model. */
export class ShowTellModel extends Module<ShowTellConfig> {
  static override readonly className = 'ShowTellModel';
  /** `vocabSize + 1` (the width of the log-probabilities), as the `CaptionModel` contract counts it. */
  readonly vocabSize: number;
  readonly imgEmbed: Linear;
  readonly core: ModuleList<LSTMCell>;
  readonly embed: Embedding;
  readonly logit: Linear;
  readonly dropout: Dropout;

  constructor(config: ShowTellConfig, options: ModuleOptions = {}) {
    super(config, options);
    const { vocabSize, inputEncodingSize, rnnSize, numLayers, dropProbLm, fcFeatSize } = config;
    const rng = this.rng;
    this.vocabSize = vocabSize + 1;
    this.imgEmbed = this.addModule(
      'img_embed',
      new Linear({ inFeatures: fcFeatSize, outFeatures: inputEncodingSize }, { rng }),
    );
    const cells = Array.from(
      { length: numLayers },
      (_, l) =>
        new LSTMCell({ inputSize: l === 0 ? inputEncodingSize : rnnSize, hiddenSize: rnnSize, bias: false }, { rng }),
    );
    this.core = this.addModule('core', new ModuleList(cells, { rng }));
    this.embed = this.addModule(
      'embed',
      new Embedding({ numEmbeddings: vocabSize + 1, embeddingDim: inputEncodingSize }, { rng }),
    );
    this.logit = this.addModule('logit', new Linear({ inFeatures: rnnSize, outFeatures: vocabSize + 1 }, { rng }));
    this.dropout = this.addModule('dropout', new Dropout({ rate: dropProbLm }, { rng }));
    // init_weights(): embed and logit weights uniform in ±0.1, logit bias 0
    const uniform = uniformInit(0.1);
    this.embed.weight.assign(tf.tensor(uniform(this.embed.weight.shape, rng), this.embed.weight.shape));
    this.logit.weight.assign(tf.tensor(uniform(this.logit.weight.shape, rng), this.logit.weight.shape));
    this.logit.bias?.assign(tf.zerosLike(this.logit.bias));
  }

  /** One step of the stacked LSTM: `[rows, E]` input, recurrent `[h0, c0, h1, c1, ...]` → output and new state. */
  private lstm(x: tf.Tensor, recurrent: readonly tf.Tensor[]): { output: tf.Tensor; recurrent: tf.Tensor[] } {
    const next: tf.Tensor[] = [];
    let input = x;
    for (let l = 0; l < this.config.numLayers; l++) {
      if (l > 0) input = this.dropout.apply(input);
      const s = this.core
        .get(l)
        .apply(input, { h: recurrent[2 * l] as tf.Tensor, c: recurrent[2 * l + 1] as tf.Tensor });
      next.push(s.h, s.c);
      input = s.h;
    }
    return { output: input, recurrent: next };
  }

  /** The image step: zero state, `img_embed(fc)` through the LSTM; its output is discarded, as the reference does. */
  prepare(features: CaptionFeatures): DecoderState {
    if (features.fc === null)
      throw new Error('ShowTellModel.prepare: the model needs fc features (features.fc is null)');
    const rows = features.fc.shape[0];
    const zero = tf.zeros([rows, this.config.rnnSize]);
    const initial = Array.from({ length: 2 * this.config.numLayers }, () => zero);
    const { recurrent } = this.lstm(this.imgEmbed.apply(features.fc), initial);
    return { context: [], recurrent };
  }

  /** One word: `embed(tokens)` through the LSTM, dropout, `logit`, `log_softmax`. */
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    const { output, recurrent } = this.lstm(this.embed.apply(tokens), state.recurrent);
    const logprobs = tf.logSoftmax(this.logit.apply(this.dropout.apply(output))) as tf.Tensor2D;
    return { logprobs, recurrent };
  }
}

registerModuleClass(ShowTellModel);
