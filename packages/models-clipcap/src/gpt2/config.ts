/**
 * GPT-2 configuration: the fields of Hugging Face's `GPT2Config` that change the architecture or the
 * initialisation, in camelCase, with HF's defaults; and the reader of an HF `config.json`.
 */
import { GPT2ConfigError } from './errors';

/** The activations GPT-2 checkpoints use (`activation_function`): `gelu_new` (tanh form, GPT-2's), `gelu` (erf), `relu`. */
export type GPT2Activation = 'gelu_new' | 'gelu' | 'relu';

/** Configuration of a GPT-2 (Hugging Face `GPT2Config` fields, camelCase). */
export interface GPT2Config {
  /** Vocabulary size (`vocab_size`): rows of `wte` and columns of the logits. */
  vocabSize: number;
  /** Maximum sequence length (`n_positions`): rows of `wpe`; a ClipCap prefix counts. */
  nPositions: number;
  /** Hidden size (`n_embd`). */
  nEmbd: number;
  /** Number of blocks (`n_layer`). */
  nLayer: number;
  /** Attention heads (`n_head`); must divide `nEmbd`. */
  nHead: number;
  /** Inner size of the MLP (`n_inner`); default `4 · nEmbd`. */
  nInner?: number;
  /** Activation of the MLP (`activation_function`); default `'gelu_new'`. */
  activationFunction?: GPT2Activation;
  /** LayerNorm epsilon (`layer_norm_epsilon`); default 1e-5. */
  layerNormEpsilon?: number;
  /** Dropout after the embeddings (`embd_pdrop`); default 0.1 (training mode only). */
  embdPdrop?: number;
  /** Dropout on the attention probabilities (`attn_pdrop`); default 0.1. */
  attnPdrop?: number;
  /** Dropout on each residual branch (`resid_pdrop`); default 0.1. */
  residPdrop?: number;
  /** Standard deviation of the initial weights (`initializer_range`); default 0.02. */
  initializerRange?: number;
}

/** A {@link GPT2Config} with every default filled in. */
export type ResolvedGPT2Config = Required<GPT2Config>;

/** GPT-2 small (`gpt2` on the Hugging Face hub): 124,439,808 parameters with the tied output embedding. */
export const GPT2_SMALL_CONFIG: Readonly<GPT2Config> = Object.freeze({
  vocabSize: 50257,
  nPositions: 1024,
  nEmbd: 768,
  nLayer: 12,
  nHead: 12,
});

function positiveInteger(option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new GPT2ConfigError(option, `must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function rate(option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new GPT2ConfigError(option, `must be a number in [0, 1), got ${JSON.stringify(value)}`);
  }
  return value;
}

function positive(option: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new GPT2ConfigError(option, `must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Fills in the defaults and validates every field.
 *
 * @throws {GPT2ConfigError} naming the first bad option
 */
export function resolveGPT2Config(config: GPT2Config): ResolvedGPT2Config {
  const nEmbd = positiveInteger('nEmbd', config.nEmbd);
  const nHead = positiveInteger('nHead', config.nHead);
  if (nEmbd % nHead !== 0) throw new GPT2ConfigError('nHead', `${nHead} does not divide nEmbd ${nEmbd}`);
  const activationFunction = config.activationFunction ?? 'gelu_new';
  if (!['gelu_new', 'gelu', 'relu'].includes(activationFunction)) {
    throw new GPT2ConfigError(
      'activationFunction',
      `must be 'gelu_new', 'gelu' or 'relu', got '${activationFunction}'`,
    );
  }
  return {
    vocabSize: positiveInteger('vocabSize', config.vocabSize),
    nPositions: positiveInteger('nPositions', config.nPositions),
    nEmbd,
    nLayer: positiveInteger('nLayer', config.nLayer),
    nHead,
    nInner: positiveInteger('nInner', config.nInner ?? 4 * nEmbd),
    activationFunction,
    layerNormEpsilon: positive('layerNormEpsilon', config.layerNormEpsilon ?? 1e-5),
    embdPdrop: rate('embdPdrop', config.embdPdrop ?? 0.1),
    attnPdrop: rate('attnPdrop', config.attnPdrop ?? 0.1),
    residPdrop: rate('residPdrop', config.residPdrop ?? 0.1),
    initializerRange: positive('initializerRange', config.initializerRange ?? 0.02),
  };
}

/**
 * The {@link GPT2Config} of a Hugging Face GPT-2 `config.json` (snake_case fields; `n_inner: null` means
 * `4 · n_embd`; `dropout`, when present as in nanoGPT-style files, sets all three dropouts). Options that
 * change the computation in ways this port does not implement are refused rather than ignored.
 *
 * @param json the parsed `config.json`
 * @param source the file name, for error messages
 * @throws {GPT2ConfigError} for a missing size, or an unsupported option (untied embeddings, unscaled attention,
 *   scaling by layer index, reordered attention, another activation)
 * @example
 * ```ts
 * const config = gpt2ConfigFromHuggingFace(JSON.parse(readFileSync('gpt2/config.json', 'utf8')));
 * const gpt = new GPT2LMHeadModel(config);
 * ```
 */
export function gpt2ConfigFromHuggingFace(json: Record<string, unknown>, source = 'config.json'): GPT2Config {
  const refuse = (field: string, problem: string): never => {
    throw new GPT2ConfigError(field, `${problem} (in ${source})`);
  };
  if (json.tie_word_embeddings === false) refuse('tie_word_embeddings', 'false is not supported: GPT-2 ties lm_head');
  if (json.scale_attn_weights === false) refuse('scale_attn_weights', 'false is not supported');
  if (json.scale_attn_by_inverse_layer_idx === true) refuse('scale_attn_by_inverse_layer_idx', 'true is not supported');
  if (json.reorder_and_upcast_attn === true) refuse('reorder_and_upcast_attn', 'true is not supported');
  if (json.add_cross_attention === true) refuse('add_cross_attention', 'true is not supported');
  const activation = json.activation_function ?? 'gelu_new';
  if (activation !== 'gelu_new' && activation !== 'gelu' && activation !== 'relu') {
    refuse('activation_function', `'${String(activation)}' is not supported (gelu_new, gelu, relu are)`);
  }
  const dropout = typeof json.dropout === 'number' ? json.dropout : undefined;
  const num = (field: string): number | undefined => {
    const v = json[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number') refuse(field, `must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const required = (field: string): number => num(field) ?? refuse(field, 'is missing');
  const config: GPT2Config = {
    vocabSize: required('vocab_size'),
    nPositions: num('n_positions') ?? required('n_ctx'),
    nEmbd: required('n_embd'),
    nLayer: required('n_layer'),
    nHead: required('n_head'),
    activationFunction: activation as GPT2Activation,
  };
  const optional: Array<[keyof GPT2Config, number | undefined]> = [
    ['nInner', num('n_inner')],
    ['layerNormEpsilon', num('layer_norm_epsilon')],
    ['embdPdrop', num('embd_pdrop') ?? dropout],
    ['attnPdrop', num('attn_pdrop') ?? dropout],
    ['residPdrop', num('resid_pdrop') ?? dropout],
    ['initializerRange', num('initializer_range')],
  ];
  for (const [key, value] of optional) if (value !== undefined) Object.assign(config, { [key]: value });
  resolveGPT2Config(config);
  return config;
}
