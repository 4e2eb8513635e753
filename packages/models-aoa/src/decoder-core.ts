/** AoANet's decoder step (`AoA_Decoder_Core`): LSTM, attention with a LayerNorm'd query, AoA context gate. */
import * as tf from '@tensorflow/tfjs-core';
import {
  Activation,
  Dropout,
  Linear,
  LSTMCell,
  lstmGates,
  Module,
  type ModuleOptions,
  Sequential,
} from '@caption/core';
import { AdditiveAttention } from './additive-attention';
import { AttentionOnAttention } from './attention-on-attention';
import type { DecoderType } from './config';
import { AoAConfigError, AoAInputError } from './errors';
import { MultiHeadedDotAttention } from './multi-headed-dot-attention';
import { plainStepProduct, type StepProduct } from './step-product';
import { tidyKeep } from './tidy';

/** Configuration of {@link AoADecoderCore} (the reference's option names). */
export interface AoADecoderCoreConfig {
  /** Word embedding width (`input_encoding_size`). */
  inputEncodingSize: number;
  /** LSTM and context width `d` (`rnn_size`). */
  rnnSize: number;
  /** Attention heads (`num_heads`). */
  numHeads: number;
  /** `multi_head_scale`: attended width = scale · d. */
  multiHeadScale: number;
  /** 2 = multi-head dot attention; any other value = additive attention (`use_multi_head`). */
  useMultiHead: number;
  /** Hidden width of the additive attention (`att_hid_size`). */
  attHidSize: number;
  /** What maps `[v̂; h]` to the context (`decoder_type`). */
  decoderType: DecoderType;
  /** Dropout on the output and, with `ctxDrop`, on the fed-back context (`drop_prob_lm`). */
  dropProbLm: number;
  /** Dropout on the context fed back to the LSTM (`ctx_drop`). */
  ctxDrop: boolean;
  /** Add `h` to the output (`out_res`). */
  outRes: boolean;
}

/**
 * The image side the decoder attends to, computed once per image ({@link AoAModel.encode}). `meanFeats`
 * has one row per decoder row (caption, beam, sample); `keys`, `values` and `mask` have one row per
 * decoder row too, or one per group of g consecutive rows that share an image (N/g rows: the image's
 * captions when teacher forcing), which saves repeating them and summing their gradients per row.
 */
export interface DecoderMemory {
  /** `[N, d]`: masked mean of the refined regions (`mean_feats`), or the fc embedding. */
  meanFeats: tf.Tensor;
  /** `[N or N/g, K, scale·d]` keys (second half of `ctx2att`), or `[., K, attHidSize]` projected regions (additive). */
  keys: tf.Tensor;
  /** `[N or N/g, K, scale·d]` values (first half of `ctx2att`), or `[., K, d]` refined regions (additive). */
  values: tf.Tensor;
  /** `[N or N/g, K]` 1 = region, 0 = padding; null when every row has all K regions. */
  mask: tf.Tensor | null;
}

function checkMemoryRows(where: string, memory: DecoderMemory, rows: number): void {
  const groups = memory.keys.shape[0] as number;
  if (memory.meanFeats.shape[0] !== rows || memory.values.shape[0] !== groups || groups < 1 || rows % groups !== 0) {
    throw new AoAInputError(
      where,
      'memory',
      `has meanFeats for ${String(memory.meanFeats.shape[0])} rows and ` +
        `keys/values for ${groups}/${String(memory.values.shape[0])}; ` +
        `expected ${rows} and a divisor of ${rows}`,
    );
  }
}

/**
 * One decoder step: embedded words `[N, E]` and the previous state (null = zeros) give the output and the next state.
 */
export type DecoderStep = (
  words: tf.Tensor,
  state: AoADecoderState | null,
) => { output: tf.Tensor; state: AoADecoderState };

/**
 * The recurrent state: the reference's `h = [h_att, ctx]`, `c = [c_att, c_ctx]`, each `[N, d]`.
 * `contextCell` is the second LSTM's cell with `decoderType: 'LSTM'`; the other decoders never update
 * it (the reference carries zeros), so it is null there.
 */
export interface AoADecoderState {
  /** Attention LSTM hidden state `h_att`. */
  hidden: tf.Tensor;
  /** Attention LSTM cell state `c_att`. */
  cell: tf.Tensor;
  /** The previous context vector `c_{t−1}` (fed back to the LSTM). */
  context: tf.Tensor;
  /** The context LSTM's cell (decoder type `'LSTM'`), else null. */
  contextCell: tf.Tensor | null;
}

/**
 * One decoder step, as `AoA_Decoder_Core.forward`:
 *
 * ```
 * h_t, m_t = LSTM([w_t ; ā + Dropout_ctx(c_{t−1})], (h_{t−1}, m_{t−1}))       (att_lstm, gates i f g o)
 * v̂_t     = MHA(LN(h_t), K, V, mask)   query projected, K/V as given, no output layer, attention dropout 0.1
 * c_t     = AoA(v̂_t, h_t) = i ⊙ σ(g), [i; g] = W [v̂_t; h_t] + b               (decoderType 'AoA'; raw h_t)
 *         | LSTM'([v̂_t; h_t], (c_{t−1}, c'_{t−1}))                            ('LSTM')
 *         | ReLU(W [v̂_t; h_t] + b)                                           ('base')
 * out_t   = Dropout(c_t (+ h_t with outRes))
 * ```
 *
 * With `useMultiHead` ≠ 2 the attention is {@link AdditiveAttention} over the refined regions.
 * Parameters (reference names): `att_lstm.*`, `att2ctx.*` (`att2ctx.0.*` for AoA and base), `attention.*`
 * (`attention.norm.a_2/b_2`, `attention.linears.0.*`; or `attention.h2att.*`, `attention.alpha_net.*`).
 *
 * @example
 * ```ts
 * const core = new AoADecoderCore({ inputEncodingSize: 1024, rnnSize: 1024, numHeads: 8, multiHeadScale: 1,
 *   useMultiHead: 2, attHidSize: 512, decoderType: 'AoA', dropProbLm: 0.5, ctxDrop: true, outRes: false });
 * let state = core.initialState(rows);
 * const { output, state: next } = tf.tidy(() => core.apply(words, memory, state));
 * ```
 */
export class AoADecoderCore extends Module<AoADecoderCoreConfig> {
  /** `'aoa.DecoderCore'`: the name core's `moduleFromJSON` finds this class under (registered by the package entry). */
  static override readonly className = 'aoa.DecoderCore';
  /** The attention LSTM (`att_lstm`), input `[w_t; ā + c_{t−1}]`. */
  readonly attLstm: LSTMCell;
  /** The context layer (`att2ctx`). */
  readonly att2ctx: AttentionOnAttention | LSTMCell | Sequential;
  /** The attention over the image memory (`attention`). */
  readonly attention: MultiHeadedDotAttention | AdditiveAttention;
  /** Dropout before the logits (`out_drop`). */
  readonly outDrop: Dropout;
  /** Dropout on the fed-back context (`ctx_drop`), or null. */
  readonly ctxDropout: Dropout | null;

  /**
   * Creates `att_lstm` (input `inputEncodingSize + rnnSize`), the context layer `att2ctx` chosen by
   * `decoderType` (`'AoA'`: {@link AttentionOnAttention}; `'LSTM'`: an LSTM cell; `'base'`: Linear + ReLU),
   * the `attention` (`useMultiHead` 2: {@link MultiHeadedDotAttention} with an annotated query norm, no key /
   * value projection and no output layer; otherwise {@link AdditiveAttention} of width `attHidSize`),
   * `out_drop` and, with `ctxDrop`, `ctx_drop` (both at `dropProbLm`). The config is taken as given (no
   * defaults here; `AoAModel` resolves them).
   *
   * @throws {AoAConfigError} for an unknown `decoderType`, or a `multiHeadScale` other than 1 with the
   *   additive attention
   */
  constructor(config: AoADecoderCoreConfig, options: ModuleOptions = {}) {
    super({ ...config }, options);
    const c = this.config;
    const rng = { rng: this.rng };
    const d = c.rnnSize;
    const attendedSize = c.useMultiHead === 2 ? c.multiHeadScale * d : d;
    if (c.useMultiHead !== 2 && c.multiHeadScale !== 1) {
      throw new AoAConfigError('multiHeadScale', 'must be 1 with the additive attention (useMultiHead ≠ 2)');
    }
    this.attLstm = this.addModule('att_lstm', new LSTMCell({ inputSize: c.inputEncodingSize + d, hiddenSize: d }, rng));
    this.outDrop = this.addModule('out_drop', new Dropout({ rate: c.dropProbLm }, rng));
    if (c.decoderType === 'AoA') {
      this.att2ctx = new AttentionOnAttention({ attendedSize, querySize: d, outputSize: d }, rng);
    } else if (c.decoderType === 'LSTM') {
      this.att2ctx = new LSTMCell({ inputSize: attendedSize + d, hiddenSize: d }, rng);
    } else if (c.decoderType === 'base') {
      this.att2ctx = new Sequential(
        [new Linear({ inFeatures: attendedSize + d, outFeatures: d }, rng), new Activation({ fn: 'relu' }, rng)],
        rng,
      );
    } else {
      throw new AoAConfigError('decoderType', `must be 'AoA', 'LSTM' or 'base', got ${JSON.stringify(c.decoderType)}`);
    }
    this.addModule('att2ctx', this.att2ctx);
    this.attention =
      c.useMultiHead === 2
        ? new MultiHeadedDotAttention(
            {
              modelDim: d,
              numHeads: c.numHeads,
              scale: c.multiHeadScale,
              projectKeyValue: false,
              outputLayer: false,
              doAoa: false,
              queryNorm: 'annotated',
            },
            rng,
          )
        : new AdditiveAttention({ querySize: d, hiddenSize: c.attHidSize }, rng);
    this.addModule('attention', this.attention);
    this.ctxDropout = c.ctxDrop ? this.addModule('ctx_drop', new Dropout({ rate: c.dropProbLm }, rng)) : null;
  }

  /**
   * The attended memory `[N, width]` for the LSTM states `hidden` `[N, d]`. When the memory holds one row
   * per group of g consecutive rows (an image's captions), each image's g states are its g queries
   * (`[N/g, g, d]`), so the image's keys and values are neither repeated nor their gradients summed per row.
   */
  private attend(hidden: tf.Tensor, memory: DecoderMemory): tf.Tensor {
    const rows = hidden.shape[0] as number;
    const groups = memory.keys.shape[0] as number;
    const mask = memory.mask ?? undefined;
    const query = groups === rows ? hidden : tf.reshape(hidden, [groups, rows / groups, this.config.rnnSize]);
    const attended =
      this.attention instanceof MultiHeadedDotAttention
        ? this.attention.apply(query, memory.keys, memory.values, mask)
        : this.attention.apply(query, memory.keys, memory.values, mask);
    return groups === rows ? attended : tf.reshape(attended, [rows, attended.shape[2] as number]);
  }

  /** Zeros for `rows` rows (the reference's `init_hidden`). */
  initialState(rows: number): AoADecoderState {
    const shape = [rows, this.config.rnnSize];
    return {
      hidden: tf.zeros(shape),
      cell: tf.zeros(shape),
      context: tf.zeros(shape),
      contextCell: this.config.decoderType === 'LSTM' ? tf.zeros(shape) : null,
    };
  }

  /**
   * The decoder step for one sequence of steps over `memory`: the products with the LSTM's and the AoA
   * gate's weights are created once through `product` (e.g. {@link tallGradientProduct}: one weight
   * gradient over all steps instead of one per step), then each call runs one step. `state` null is the
   * zero state (the products with its zeros are skipped). Differentiable; call inside `tf.tidy`.
   */
  stepper(memory: DecoderMemory, product: StepProduct = plainStepProduct): DecoderStep {
    this.assertUsable();
    const c = this.config;
    const lstm = this.attLstm;
    const inputProduct = product(lstm.weightIH);
    const hiddenProduct = product(lstm.weightHH);
    const aoaProduct = this.att2ctx instanceof AttentionOnAttention ? product(this.att2ctx.linear.weight) : undefined;
    let bias: tf.Tensor | null = null;
    for (const b of [lstm.biasIH, lstm.biasHH]) if (b !== null) bias = bias === null ? b : tf.add(bias, b);
    return (words, state) => {
      const rows = words.shape[0] as number;
      const where = 'AoADecoderCore step';
      if (words.rank !== 2 || words.shape[1] !== c.inputEncodingSize) {
        throw new AoAInputError(
          where,
          'words',
          `has shape [${words.shape.join(', ')}], expected [N, ${c.inputEncodingSize}]`,
        );
      }
      checkMemoryRows(where, memory, rows);
      if (state !== null && state.hidden.shape[0] !== rows) {
        throw new AoAInputError(where, 'state', `has ${String(state.hidden.shape[0])} rows for ${rows} words`);
      }
      // LSTM over [w_t; ā + Dropout(c_{t−1})], PyTorch gate order i, f, g, o
      const fedBack =
        state === null
          ? memory.meanFeats
          : tf.add(memory.meanFeats, this.ctxDropout === null ? state.context : this.ctxDropout.apply(state.context));
      let gates = inputProduct(tf.concat([words, fedBack], 1));
      if (state !== null) gates = tf.add(gates, hiddenProduct(state.hidden));
      if (bias !== null) gates = tf.add(gates, bias);
      const { h: hidden, c: cell } = lstmGates(gates, state === null ? null : state.cell);
      // attention with the LayerNorm'd state as query, then the context layer on [v̂_t; h_t] (raw h_t)
      const attended = this.attend(hidden, memory);
      let context: tf.Tensor;
      let contextCell: tf.Tensor | null = null;
      if (this.att2ctx instanceof AttentionOnAttention) {
        context = this.att2ctx.apply(attended, hidden, aoaProduct);
      } else if (this.att2ctx instanceof LSTMCell) {
        const d = c.rnnSize;
        const previous = state ?? { context: tf.zeros([rows, d]), contextCell: tf.zeros([rows, d]) };
        const next = this.att2ctx.apply(tf.concat([attended, hidden], 1), {
          h: previous.context,
          c: previous.contextCell ?? tf.zeros([rows, d]),
        });
        context = next.h;
        contextCell = next.c;
      } else {
        context = this.att2ctx.apply(tf.concat([attended, hidden], 1));
      }
      const output = this.outDrop.apply(c.outRes ? tf.add(context, hidden) : context);
      return { output, state: { hidden, cell, context, contextCell } };
    };
  }

  /**
   * All steps of teacher forcing from the zero state: `words` `[N, T, inputEncodingSize]` (the embedded
   * inputs) give the outputs `[N, T, d]` (after `out_drop`), the values {@link AoADecoderCore.apply} gives
   * step by step, with the products through `product` (see {@link AoADecoderCore.stepper}).
   */
  unroll(words: tf.Tensor, memory: DecoderMemory, product: StepProduct = plainStepProduct): tf.Tensor {
    this.assertUsable();
    if (words.rank !== 3 || words.shape[2] !== this.config.inputEncodingSize) {
      throw new AoAInputError(
        'AoADecoderCore.unroll',
        'words',
        `has shape [${words.shape.join(', ')}], expected [N, T, ${this.config.inputEncodingSize}]`,
      );
    }
    return tf.tidy(() => {
      const step = this.stepper(memory, product);
      let state: AoADecoderState | null = null;
      const outputs: tf.Tensor[] = [];
      for (const words_t of tf.unstack(words, 1)) {
        const next = step(words_t, state);
        outputs.push(next.output);
        state = next.state;
      }
      return tf.stack(outputs, 1);
    });
  }

  /**
   * One step for `words` `[N, inputEncodingSize]` (the embedded previous tokens): the output `[N, d]`
   * that goes to the logit layer (after `out_drop`) and the next state. Inputs are not disposed.
   */
  apply(
    words: tf.Tensor,
    memory: DecoderMemory,
    state: AoADecoderState,
  ): {
    /** `[N, rnnSize]`: `out_drop(c_t)` (`out_drop(c_t + h_att)` with `outRes`), the logit layer's input. */
    output: tf.Tensor;
    /** The state for the next step (new tensors; the input state is not disposed). */
    state: AoADecoderState;
  } {
    this.assertUsable();
    return tidyKeep(() => {
      const next = this.stepper(memory)(words, state);
      // the reference carries c_ctx along unchanged when the context layer is not an LSTM
      return this.att2ctx instanceof LSTMCell
        ? next
        : { output: next.output, state: { ...next.state, contextCell: state.contextCell } };
    });
  }
}
