/**
 * `evaluate`: the COCOEvalCap equivalent. Validates the captions, tokenizes references and candidates (two
 * separate tokenizer calls, as COCOEvalCap does), runs the asked metric families and returns corpus and
 * per-image scores under coco-caption's key names.
 */
import { charTokenize, jiebaTokenize, loadJieba } from './chinese-tokenizer';
import { MetricsInputError } from './errors';
import { mapToRecord, recordInKeyOrder } from './internal/records';
import { hasPythonToken } from './internal/token-table';
import {
  METRIC_FAMILIES,
  METRIC_NAMES,
  SCORE_KEY_ORDER,
  familyUnavailableReason,
  metricContext,
  type FamilyScores,
  type MetricFamily,
  type MetricFamilyOptions,
} from './metric-families';
import { ptbTokenize } from './tokenizer';
import type { SpiceCategoryScores } from './spice/spice-output';
import type { CocoScoreName, MetricName, RawCands, RawRefs, TokenizedCands, TokenizedRefs } from './types';
import { checkImageIdKey, describeType } from './validate';

/**
 * A tokenizer over all captions at once: image id → captions in, image id → space-joined token strings out
 * (same ids, same number of captions each), or a promise of them. `ptbTokenize` has this shape. A function
 * that computes what a named tokenizer computes (the PTB tokenizer on several threads, as `caption-eval`
 * runs it) says so in `tokenizerName`, and messages name that tokenizer.
 */
export type CaptionTokenizer = ((
  captions: Record<string, readonly string[]>,
) => Record<string, string[]> | Promise<Record<string, string[]>>) & { tokenizerName?: string };

/**
 * Tokenizers by name: `ptb` (coco-caption's PTBTokenizer + punctuation removal), `none` (pre-tokenized), and
 * for Chinese `jieba` (the AI Challenger 2017 evaluation: strip, remove `。`, jieba precise mode, then the PTB
 * pass; needs `await loadJieba()` first, which `evaluate` does) and `char` (the same with one token per
 * character). See `docs/chinese.md`.
 */
export const TOKENIZERS = {
  ptb: ptbTokenize,
  jieba: jiebaTokenize,
  char: charTokenize,
  none: (captions: Record<string, readonly string[]>): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const [id, list] of Object.entries(captions)) out[id] = [...list];
    return out;
  },
} satisfies Record<string, CaptionTokenizer>;

/** A tokenizer name from {@link TOKENIZERS}. */
export type TokenizerName = keyof typeof TOKENIZERS;

/** What to do with reference images that have no candidate. */
export type MissingCandidatePolicy = 'skip' | 'error';

/**
 * What to do with a candidate that has no token: empty, only spaces, or a caption that tokenizes to nothing
 * (`"..."`, `"-"`: the PTB tokenizer keeps only punctuation, which coco-caption then removes).
 *
 * - `'error'` (default): a {@link MetricsInputError} naming the file, the image id, the field and the text.
 *   Such a caption is most often a bug upstream (a decoder that stops at once, a broken id → word table).
 * - `'score-zero'`: scored as coco-caption scores it (every metric gives what it gives an empty candidate:
 *   BLEU, METEOR, ROUGE-L and CIDEr 0) and listed in {@link EvaluationResult.emptyCandidateIds}, as a
 *   training-time evaluation of model samples needs.
 */
export type EmptyCandidatePolicy = 'error' | 'score-zero';

/** Values of {@link EvaluateOptions.emptyCandidates}. */
const EMPTY_CANDIDATE_POLICIES: readonly EmptyCandidatePolicy[] = ['error', 'score-zero'];

/** Values of {@link EvaluateOptions.missingCandidates}. */
const MISSING_CANDIDATE_POLICIES: readonly MissingCandidatePolicy[] = ['skip', 'error'];

/**
 * A reference caption with no token after tokenization (e.g. `"..."`), kept as an empty reference as
 * coco-caption keeps it.
 */
export interface EmptyReference {
  /** The image id. */
  imageId: string;
  /** The caption's index in the image's reference list. */
  index: number;
}

/** Progress of an evaluation, reported before each stage and once at the end. */
export interface EvaluationProgress {
  /** `tokenize`, a metric family name, or `done`. */
  stage: 'tokenize' | MetricName | 'done';
  /** Stages finished so far. */
  completed: number;
  /** Number of stages in all. */
  total: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions extends MetricFamilyOptions {
  /** Metric families to run (default: every family that can run with these options). */
  metrics?: readonly MetricName[];
  /**
   * How captions become tokens: `'ptb'` (default, as coco-caption), `'none'` (captions are already
   * space-separated tokens), `'jieba'` (Chinese, as the AI Challenger 2017 caption evaluation: jieba words,
   * then the PTB pass), `'char'` (Chinese, one token per character, then the PTB pass), or a tokenizer
   * function. The same tokenization applies to references and candidates.
   */
  tokenize?: TokenizerName | CaptionTokenizer;
  /**
   * Reference images without a candidate: `'skip'` (default) leaves them out, as COCOEvalCap does when, as in
   * its demo, AoANet and ImageCaptioning.pytorch, `params['image_id'] = cocoRes.getImgIds()`; `'error'` raises
   * (COCOEvalCap with its default `params`, all annotation images, crashes with a KeyError there).
   */
  missingCandidates?: MissingCandidatePolicy;
  /**
   * A candidate with no token (empty, only spaces, or tokenizing to nothing like `"..."`): `'error'` (default)
   * raises a {@link MetricsInputError}; `'score-zero'` scores it as coco-caption does (0) and lists it in
   * `emptyCandidateIds`. See {@link EmptyCandidatePolicy}.
   */
  emptyCandidates?: EmptyCandidatePolicy;
  /** Called before each stage and once at the end. */
  onProgress?: (progress: EvaluationProgress) => void;
  /** Name of the candidates' file, used in error messages. */
  candidatesFile?: string;
  /** Name of the references' file, used in error messages. */
  referencesFile?: string;
}

/** Scores of one image, by coco-caption key. */
export type ImageScores = Partial<Record<CocoScoreName, number>>;

/** The result of {@link evaluate}. */
export interface EvaluationResult {
  /** Corpus scores (COCOEvalCap's `eval`), keys in coco-caption's order. */
  corpus: Partial<Record<CocoScoreName, number>>;
  /** Per-image scores (COCOEvalCap's `imgToEval`), in evaluation order. */
  perImage: Record<string, ImageScores>;
  /** The image ids scored, in evaluation order (ascending for integer ids). */
  imageIds: string[];
  /** Reference images left out because they have no candidate (see {@link EvaluateOptions.missingCandidates}). */
  skippedReferenceIds: string[];
  /**
   * Images whose candidate has no token after tokenization (e.g. `"..."`), scored as by the reference (BLEU,
   * METEOR, ROUGE-L and CIDEr give 0). Always empty unless `emptyCandidates: 'score-zero'`: by default such a
   * candidate is an error.
   */
  emptyCandidateIds: string[];
  /**
   * Reference captions that are not empty but have no token after tokenization (e.g. `"..."`), in
   * evaluation order. They are kept as empty references, as by the reference: they count in the image's
   * reference list (CIDEr's mean over references, BLEU's closest length), so they can lower its scores.
   */
  emptyReferences: EmptyReference[];
  /** SPICE's F score of each tuple category (`All`, `Object`, ...) per image, when SPICE ran. */
  spiceCategories?: Record<string, SpiceCategoryScores>;
}

/**
 * Evaluates candidate captions against reference captions, as COCOEvalCap does.
 *
 * Validation (each a {@link MetricsInputError} naming the file, image id and field): a candidate that is not
 * a string; a candidate with no token (empty, only spaces, or tokenizing to nothing like `"..."`; the
 * message quotes it), unless `emptyCandidates: 'score-zero'`; a candidate id without references; a reference
 * list that is not a non-empty array of strings, or holds an empty or only-spaces caption when a tokenizer
 * runs; an unknown or unavailable metric, tokenizer or option value; a tokenizer function that does not return
 * one string per caption it was given. A reference caption that is not empty but tokenizes to nothing is kept
 * as an empty reference, as by the reference, and listed in `emptyReferences`.
 *
 * @param refs raw reference captions per image
 * @param cands one raw candidate caption per image
 *
 * @example
 * ```ts
 * const { corpus } = await evaluate(
 *   { '1': ['A dog runs on the grass.', 'A brown dog running.'] },
 *   { '1': 'a dog running on grass' },
 *   { metrics: ['bleu', 'rouge', 'cider'] },
 * );
 * console.log(corpus.Bleu_4, corpus.CIDEr);
 * ```
 */
export async function evaluate(
  refs: RawRefs,
  cands: RawCands,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const families = selectFamilies(options);
  const tokenizer = resolveTokenizer(options.tokenize ?? 'ptb');
  if (options.tokenize === 'jieba') await loadJieba();
  const emptyCandidates = optionChoice(options.emptyCandidates, EMPTY_CANDIDATE_POLICIES, 'emptyCandidates');
  optionChoice(options.missingCandidates, MISSING_CANDIDATE_POLICIES, 'missingCandidates');
  const raw = options.tokenize !== 'none';
  const { imageIds, referenceIds, skippedReferenceIds } = checkEvaluationInput(
    refs,
    cands,
    raw,
    emptyCandidates,
    options,
  );

  const total = families.length + 1;
  options.onProgress?.({ stage: 'tokenize', completed: 0, total });
  // The references of the scored images in the candidates' order, tokenized in one call (the order matters:
  // the reference tokenizes all captions as one text, where a caption's end can depend on the next one). The
  // references object itself when it already holds just those, in that order.
  const refsToTokenize = sameKeys(referenceIds, imageIds)
    ? refs
    : mapToRecord(imageIds, (id) => refs[id] as readonly string[]);
  const tokenizedRefs: TokenizedRefs = await tokenizer(refsToTokenize);
  const tokenizedCandLists = await tokenizer(mapToRecord(imageIds, (id) => [cands[id] as string]));
  const emptyCandidateIds: string[] = [];
  // The built-in tokenizers keep ids, counts and types by construction; a tokenizer function given as an
  // option is checked, since a wrong count would shift captions between images without any error.
  const checkOutput = typeof options.tokenize === 'function';
  const tokenizedCands: TokenizedCands = mapToRecord(imageIds, (id) => {
    const list = tokenizedCandLists[id];
    const refList = tokenizedRefs[id];
    if (checkOutput) checkTokenizerOutput(id, list, refList, (refs[id] as readonly string[]).length);
    const cand = (list as string[])[0] as string;
    if (!hasPythonToken(cand)) emptyCandidateIds.push(id);
    return cand;
  });
  if (emptyCandidateIds.length > 0 && emptyCandidates === 'error') {
    throw emptyCandidateError(emptyCandidateIds, cands, options);
  }
  const emptyReferences = findEmptyReferences(imageIds, tokenizedRefs);

  const corpus: Partial<Record<CocoScoreName, number>> = {};
  const byKey = new Map<CocoScoreName, FamilyScores>();
  const context = metricContext(tokenizedRefs, tokenizedCands, imageIds);
  for (const [index, family] of families.entries()) {
    options.onProgress?.({ stage: family.name, completed: index + 1, total });
    const results = await family.compute(tokenizedRefs, tokenizedCands, options, context);
    for (const key of family.keys) {
      const result = results[key];
      if (result === undefined) throw new Error(`metric family ${family.name} returned no ${key}`);
      byKey.set(key, result);
    }
  }
  // Each key's per-image scores: a list in the order of the context's ids (`imageIds`), or a record.
  const columns: { key: CocoScoreName; list: ArrayLike<number> | null; record: Record<string, number> | null }[] = [];
  for (const key of SCORE_KEY_ORDER) {
    const result = byKey.get(key);
    if (result === undefined) continue;
    corpus[key] = finite(result.score, key, 'corpus');
    columns.push({
      key,
      list: 'imageScores' in result ? result.imageScores : null,
      record: 'perImage' in result ? result.perImage : null,
    });
  }
  // One scores object per image, keys added in the same order to all (so they share one shape).
  const imageScores = imageIds.map((id, i) => {
    const scores: ImageScores = {};
    for (let c = 0; c < columns.length; c++) {
      const { key, list, record } = columns[c] as (typeof columns)[number];
      scores[key] = finite(list !== null ? list[i] : record?.[id], key, id);
    }
    return scores;
  });
  options.onProgress?.({ stage: 'done', completed: total, total });
  return {
    corpus,
    perImage: recordInKeyOrder(imageIds, imageScores),
    imageIds,
    skippedReferenceIds,
    emptyCandidateIds,
    emptyReferences,
    ...(context.details.spiceCategories === undefined ? {} : { spiceCategories: context.details.spiceCategories }),
  };
}

/** The families to run: those asked for (each must exist and be able to run), else every one that can run. */
function selectFamilies(options: EvaluateOptions): MetricFamily[] {
  if (options.metrics === undefined) {
    return METRIC_FAMILIES.filter((family) => familyUnavailableReason(family, options) === null);
  }
  if (options.metrics.length === 0) throw new MetricsInputError('no metric asked for', { field: 'metrics' });
  const asked = new Set(options.metrics);
  for (const name of asked) {
    if (!METRIC_NAMES.includes(name)) {
      throw new MetricsInputError(`unknown metric "${String(name)}" (known: ${METRIC_NAMES.join(', ')})`, {
        field: 'metrics',
      });
    }
    const family = METRIC_FAMILIES.find((f) => f.name === name);
    if (family === undefined) {
      throw new MetricsInputError(`metric "${name}" is not available in this version of @caption/metrics`, {
        field: 'metrics',
      });
    }
    const reason = familyUnavailableReason(family, options);
    // the reason names its own file and field (e.g. meteorData); a second location prefix would only repeat
    if (reason !== null) throw new MetricsInputError(`metric "${name}" cannot run: ${reason}`);
  }
  return METRIC_FAMILIES.filter((family) => asked.has(family.name));
}

/** `value` when it is one of `choices` (`undefined`: the first), else a {@link MetricsInputError} naming the option. */
function optionChoice<T extends string>(value: T | undefined, choices: readonly T[], option: string): T {
  if (value === undefined) return choices[0] as T;
  if (choices.includes(value)) return value;
  throw new MetricsInputError(
    `unknown value ${JSON.stringify(value) ?? String(value)} of option ${option} (known: ${choices.join(', ')})`,
    {
      field: option,
    },
  );
}

/** How to keep a candidate without token, for messages. */
const SCORE_ZERO_HINT =
  'to score such captions 0 as coco-caption does, pass emptyCandidates: ' +
  "'score-zero' (caption-eval: --empty-captions score-zero)";

/** The error for candidates that tokenize to nothing: names the first (file, id, field, text) and the count. */
function emptyCandidateError(ids: readonly string[], cands: RawCands, options: EvaluateOptions): MetricsInputError {
  const id = ids[0] as string;
  const name = typeof options.tokenize === 'function' ? options.tokenize.tokenizerName : (options.tokenize ?? 'ptb');
  const tokenizer = name === undefined ? 'the tokenize function' : `tokenize: '${name}'`;
  const others = ids.length > 1 ? ` (${ids.length} candidates in all have no token; this is the first)` : '';
  return new MetricsInputError(
    `caption ${quoteCaption(cands[id] as string)} tokenizes to nothing (${tokenizer})${others}; ${SCORE_ZERO_HINT}`,
    { file: options.candidatesFile, imageId: id, field: 'caption' },
  );
}

/** A caption as a JSON string for messages, cut after 80 characters. */
function quoteCaption(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** The reference captions that have no token after tokenization, in evaluation order. */
function findEmptyReferences(imageIds: readonly string[], tokenizedRefs: TokenizedRefs): EmptyReference[] {
  const found: EmptyReference[] = [];
  for (const imageId of imageIds) {
    const list = tokenizedRefs[imageId] as readonly string[];
    for (let index = 0; index < list.length; index++) {
      if (!hasPythonToken(list[index] as string)) found.push({ imageId, index });
    }
  }
  return found;
}

function resolveTokenizer(tokenize: TokenizerName | CaptionTokenizer): CaptionTokenizer {
  if (typeof tokenize === 'function') return tokenize;
  if (Object.hasOwn(TOKENIZERS, tokenize)) return TOKENIZERS[tokenize];
  throw new MetricsInputError(
    `unknown tokenizer "${String(tokenize)}" (known: ${Object.keys(TOKENIZERS).join(', ')}, or a function)`,
    { field: 'tokenize' },
  );
}

/** Checks captions and ids; returns the ids to score and the reference ids left out. */
function checkEvaluationInput(
  refs: RawRefs,
  cands: RawCands,
  raw: boolean,
  emptyCandidates: EmptyCandidatePolicy,
  options: EvaluateOptions,
): { imageIds: string[]; referenceIds: string[]; skippedReferenceIds: string[] } {
  const candFile = options.candidatesFile;
  const refFile = options.referencesFile;
  if (typeof cands !== 'object' || cands === null || Array.isArray(cands)) {
    throw new MetricsInputError(`candidates must be an object of image id → caption, got a ${describeType(cands)}`, {
      file: candFile,
    });
  }
  if (typeof refs !== 'object' || refs === null || Array.isArray(refs)) {
    throw new MetricsInputError(`references must be an object of image id → captions, got a ${describeType(refs)}`, {
      file: refFile,
    });
  }
  const imageIds = Object.keys(cands);
  if (imageIds.length === 0) throw new MetricsInputError('there is no candidate caption to score', { file: candFile });
  for (let c = 0; c < imageIds.length; c++) {
    const id = imageIds[c] as string;
    checkImageIdKey(id, { file: candFile, imageId: id, field: 'image_id' });
    const cand = cands[id];
    if (typeof cand !== 'string') {
      throw new MetricsInputError(`caption is a ${describeType(cand)}, not a string`, {
        file: candFile,
        imageId: id,
        field: 'caption',
      });
    }
    if (raw && emptyCandidates === 'error' && !hasPythonToken(cand)) {
      throw new MetricsInputError(
        `caption is empty${cand === '' ? '' : ` (${quoteCaption(cand)})`}; ${SCORE_ZERO_HINT}`,
        {
          file: candFile,
          imageId: id,
          field: 'caption',
        },
      );
    }
    if (!Object.hasOwn(refs, id)) {
      throw new MetricsInputError('image id has no reference captions', {
        file: candFile,
        imageId: id,
        field: 'image_id',
      });
    }
    const list = refs[id];
    if (!Array.isArray(list) || list.length === 0) {
      throw new MetricsInputError(
        Array.isArray(list)
          ? 'reference list is empty'
          : `references are a ${describeType(list)}, not an array of captions`,
        { file: refFile, imageId: id, field: 'caption' },
      );
    }
    for (let i = 0; i < list.length; i++) {
      const ref: unknown = list[i];
      if (typeof ref !== 'string') {
        throw new MetricsInputError(`reference caption ${i} is a ${describeType(ref)}, not a string`, {
          file: refFile,
          imageId: id,
          field: 'caption',
        });
      }
      if (raw && !hasPythonToken(ref)) {
        throw new MetricsInputError(`reference caption ${i} is empty`, {
          file: refFile,
          imageId: id,
          field: 'caption',
        });
      }
    }
  }
  // Every candidate id has references (checked above), so references have other ids only if they have more.
  const referenceIds = Object.keys(refs);
  const skippedReferenceIds =
    referenceIds.length === imageIds.length ? [] : referenceIds.filter((id) => !Object.hasOwn(cands, id));
  if (skippedReferenceIds.length > 0 && options.missingCandidates === 'error') {
    throw new MetricsInputError(
      `${skippedReferenceIds.length} reference image(s) have no candidate caption (first: ${skippedReferenceIds[0]})`,
      { file: candFile, imageId: skippedReferenceIds[0], field: 'image_id' },
    );
  }
  return { imageIds, referenceIds, skippedReferenceIds };
}

/** Checks what a tokenizer function returned for one image: one candidate string, as many reference strings. */
function checkTokenizerOutput(id: string, cand: unknown, refList: unknown, referenceCount: number): void {
  const strings = (list: unknown, count: number): boolean =>
    Array.isArray(list) && list.length === count && list.every((caption) => typeof caption === 'string');
  if (!strings(cand, 1) || !strings(refList, referenceCount)) {
    throw new MetricsInputError(
      `the tokenizer function must return, for each image id, one ` +
        `string per caption it was given (here 1 candidate and ${referenceCount} reference(s))`,
      { imageId: id, field: 'tokenize' },
    );
  }
}

/** Whether two key lists are equal, in order. */
function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function finite(value: number | undefined, key: string, where: string): number {
  if (value === undefined || !Number.isFinite(value)) {
    throw new Error(`internal error: ${key} of ${where} is ${String(value)}; please report this input`);
  }
  return value;
}
