/**
 * CIDEr-D with document frequencies fixed in advance: the self-critical training reward of
 * ruotianluo/cider (`pyciderevalcap/ciderD`, used by ImageCaptioning.pytorch and AoANet), and the engine
 * behind coco-caption's "CIDEr" (which is the same CIDEr-D with the frequencies taken from the evaluated
 * references; see {@link cider}).
 *
 * Per candidate c and its references r_1..r_m, for n = 1..4: tf-idf vectors g(n-gram) = tf · (log N − log
 * max(1, df)), where N is the number of reference sets of the corpus and df the number of sets whose
 * captions contain the n-gram; sim_n = Σ min(g_c, g_r) · g_r / (‖g_c‖ ‖g_r‖) (the division only when both
 * norms are non-zero) · exp(−δ²/2σ²), δ = difference of the bigram counts of c and r, σ = 6. The score is
 * 10 · mean_n(Σ_r sim_n) / m. Every sum runs in the reference's order, so values differ from the reference only
 * where a library function rounds differently (`Math.log`, `**` against NumPy and C's `log`, `pow`): by at most
 * 6e-15 relative on the expected cases.
 */
import { tokenizeCaption, type ChineseSegmentation } from './chinese-tokenizer';
import { countReferenceSet } from './document-frequency';
import { DocumentFrequencyCounter } from './internal/document-frequency';
import { MetricsInputError } from './errors';
import { NgramVocabulary } from './internal/ngram-vocabulary';
import { numpyMean } from './internal/python-compat';
import { SentenceStore, orderStart } from './internal/sentence-store';
import { decodeCompactNgrams, encodeCompactNgrams } from './internal/cider-d-json';
import { SimilarityScratch, TfIdfStore, ciderDSimilarity } from './internal/tf-idf-store';
import { isPythonSpace } from './internal/token-table';
import { grown } from './internal/typed-arrays';
import { describeType, positiveIntegerOption, positiveNumberOption } from './validate';

/**
 * One caption for CIDEr-D: a space-separated token string, or a row of token ids. A row is cut after its
 * first end token (kept, as ImageCaptioning.pytorch's `array_to_str` does); a row without one is used whole.
 */
export type CaptionTokens = string | Int32Array | readonly number[];

/** Options of {@link CiderDScorer.fromCorpus}. */
export interface CiderDOptions {
  /** Largest n-gram order (ruotianluo/cider: 4). */
  n?: number;
  /** Standard deviation of the length penalty (ruotianluo/cider: 6). */
  sigma?: number;
  /** Token id that ends a row of ids (ImageCaptioning.pytorch: 0). */
  endToken?: number;
  /**
   * How string captions become tokens (rows of ids are used as they are): `'none'` (default: they are
   * space-separated tokens already), or as `evaluate` tokenizes: `'ptb'`, `'jieba'` (Chinese, the AI
   * Challenger 2017 evaluation: needs `await loadJieba()` first), `'char'` (Chinese, one token per
   * character). Saved in the JSON form.
   */
  tokenize?: CiderDTokenize;
}

/** Values of {@link CiderDOptions.tokenize}. */
export type CiderDTokenize = 'none' | 'ptb' | ChineseSegmentation;

const CIDER_D_TOKENIZE: readonly CiderDTokenize[] = ['none', 'ptb', 'jieba', 'char'];

/** The settings every JSON form of a {@link CiderDScorer} carries. */
interface CiderDScorerSettingsJson {
  /** Largest n-gram order. */
  n: number;
  /** Standard deviation of the length penalty. */
  sigma: number;
  /** Token id that ends a row of ids. */
  endToken: number;
  /** Number of reference sets (images) in the corpus: the pickle's `ref_len` (the scorer uses its log). */
  referenceSetCount: number;
  /** How string captions are tokenized (see {@link CiderDOptions.tokenize}); absent: `'none'`. */
  tokenize?: CiderDTokenize;
}

/**
 * The JSON form {@link CiderDScorer.toJSON} writes (format v2): what ruotianluo/cider keeps in its `*.p`
 * document-frequency pickle, in a compact encoding (for the 40,504-image val2014 corpus, 5 captions per image
 * as token strings: 6.0 MB, where v1 takes 36 MB).
 *
 * `ngrams` lists the n-grams with a document frequency above 0 (and the prefixes they need, possibly with 0)
 * as unsigned integers in base-64 VLQ digits: the digit scheme of JavaScript source maps without the sign bit
 * (characters `A-Z a-z 0-9 + /` for 0-63; each holds 5 bits of the number, least significant first, and +32
 * when more digits follow). Order 1 comes first, then order 2, ...; `ngramCounts[k − 1]` n-grams of order k.
 * Within an order the n-grams are sorted by prefix position, then token position, where the prefix position
 * of a k-gram is the place of its (k − 1)-gram prefix in the list of order k − 1 and a token position is an
 * index into `tokens`. Each n-gram is, for order k ≥ 2, the prefix position minus the previous k-gram's (the
 * first one's minus 0); then its token position, or for an n-gram with the same prefix as the previous one
 * (every unigram but the first) its token position minus the previous one's; then its document frequency.
 */
export interface CiderDScorerJsonV2 extends CiderDScorerSettingsJson {
  /** Format tag. */
  format: 'caption-cider-d/v2';
  /** The tokens of the n-grams, each once (n-grams refer to them by position). */
  tokens: string[];
  /** Number of n-grams of each order 1..n in `ngrams`. */
  ngramCounts: number[];
  /** The n-grams and their document frequencies, encoded as described above. */
  ngrams: string;
}

/**
 * The first JSON form of a {@link CiderDScorer} (format v1), still read by {@link CiderDScorer.fromJSON}: the
 * document frequency of each n-gram keyed by its tokens joined with single spaces (what a converted
 * ruotianluo/cider pickle gives, see docs/library.md).
 */
export interface CiderDScorerJsonV1 extends CiderDScorerSettingsJson {
  /** Format tag. */
  format: 'caption-cider-d/v1';
  /** Document frequency of each n-gram, keyed by its tokens joined with single spaces. */
  documentFrequency: Record<string, number>;
}

/** A JSON form {@link CiderDScorer.fromJSON} reads. */
export type CiderDScorerJson = CiderDScorerJsonV2 | CiderDScorerJsonV1;

/** CIDEr-D of a batch: the mean and one value per candidate, in input order. */
export interface CiderDScores {
  /** Mean over candidates (numpy.mean of the per-candidate values). */
  score: number;
  /** Per-candidate CIDEr-D. */
  scores: Float64Array;
}

/** The tf-idf vectors of one image's reference captions: vectors `first .. first + count` of `vectors`. */
interface ReferenceVectors {
  readonly owner: CiderDScorer;
  readonly vectors: TfIdfStore;
  readonly first: number;
  readonly count: number;
}

/** The vectors behind each {@link PreparedReferences} (kept here so that its public type shows none of them). */
const preparedVectors = new WeakMap<PreparedReferences, ReferenceVectors>();

/**
 * The reference captions of one image with their tf-idf vectors computed, to be scored against many
 * candidates (make them with {@link CiderDScorer.prepareReferences}; they belong to that scorer).
 */
export class PreparedReferences {
  /** Number of reference captions. */
  readonly count: number;

  /** @internal Made by {@link CiderDScorer.prepareReferences}; `score` refuses one made otherwise. */
  constructor(count: number) {
    this.count = count;
  }
}

/**
 * CIDEr-D with document frequencies computed once from a reference corpus (the training captions), then
 * `score(candidates, refs)` per batch. Reference vectors are computed once per distinct reference list per
 * call (pass the same array object for the samples of one image), or once for good with
 * {@link prepareReferences}. Unseen n-grams of candidates do not grow the scorer's memory.
 *
 * @example
 * ```ts
 * const trainRefs = [['a dog runs on grass', 'a brown dog running'], ['two cats sleep on a bed']];
 * const scorer = CiderDScorer.fromCorpus(trainRefs);
 * const imageRefs = trainRefs[0];
 * const { scores } = scorer.score(['a dog runs', 'a cat sleeps'], [imageRefs, imageRefs]);
 * const saved = JSON.stringify(scorer.toJSON()); // CiderDScorer.fromJSON(JSON.parse(saved)) restores it
 * ```
 */
export class CiderDScorer {
  /** Largest n-gram order. */
  readonly n: number;
  /** Standard deviation of the length penalty. */
  readonly sigma: number;
  /** Token id that ends a row of ids. */
  readonly endToken: number;
  /** Number of reference sets the document frequencies were counted over. */
  readonly referenceSetCount: number;
  /** How string captions are tokenized. */
  readonly tokenize: CiderDTokenize;
  private readonly vocab: NgramVocabulary;
  /** Document frequency per n-gram id (ids past the end: 0). */
  private readonly documentFrequency: Int32Array;
  /**
   * log(referenceSetCount) − log(max(1, df)) per n-gram id; the ids past the document frequencies (transient
   * n-grams of candidates) get log(referenceSetCount). Grown with the transient ids (see ensureScratch).
   */
  private idf: Float64Array;
  private readonly logReferenceSetCount: number;
  private readonly penaltyDenominator: number;
  /** Scratch: slot of each n-gram id while a vector is built (zero between uses). */
  private slotOf: Int32Array = new Int32Array(1024);
  private readonly similarity: SimilarityScratch;
  /** Scratch stores reused by every {@link score} call. */
  private readonly batchSentences = new SentenceStore();
  private readonly batchVectors: TfIdfStore;

  private constructor(
    vocab: NgramVocabulary,
    documentFrequency: Int32Array,
    referenceSetCount: number,
    options: Required<CiderDOptions>,
  ) {
    this.n = options.n;
    this.sigma = options.sigma;
    this.endToken = options.endToken;
    this.tokenize = options.tokenize;
    this.vocab = vocab;
    this.documentFrequency = documentFrequency;
    this.referenceSetCount = referenceSetCount;
    this.logReferenceSetCount = Math.log(referenceSetCount);
    this.penaltyDenominator = 2 * this.sigma ** 2;
    this.idf = new Float64Array(documentFrequency.length);
    for (let id = 0; id < documentFrequency.length; id++) {
      this.idf[id] = this.logReferenceSetCount - Math.log(Math.max(1, documentFrequency[id] as number));
    }
    this.similarity = new SimilarityScratch(this.n);
    this.batchVectors = new TfIdfStore(this.n);
  }

  /**
   * Counts document frequencies over a corpus: one entry per image, holding that image's reference captions.
   *
   * @throws MetricsInputError when the corpus is empty, an entry is not a non-empty list of captions or an
   *   option is out of range (`n` a positive integer, `sigma` a positive number, `endToken` an integer)
   */
  static fromCorpus(corpus: Iterable<readonly CaptionTokens[]>, options: CiderDOptions = {}): CiderDScorer {
    const settings = withDefaults(options);
    const entries = Array.isArray(corpus) ? (corpus as readonly (readonly CaptionTokens[])[]) : [...corpus];
    let sentences = 0;
    for (const refs of entries) sentences += Array.isArray(refs) ? refs.length : 0;
    const vocab = new NgramVocabulary(settings.n, expectedNgrams(sentences));
    // One reference set at a time: its sentences are counted, then forgotten.
    const store = new SentenceStore(16, 1024);
    const counter = new DocumentFrequencyCounter();
    entries.forEach((refs, index) => {
      if (!Array.isArray(refs) || refs.length === 0) {
        throw new MetricsInputError(`CIDEr-D: corpus entry ${index} is not a non-empty list of captions`, {
          field: `corpus[${index}]`,
        });
      }
      const previousEndId = vocab.endId;
      store.clear();
      refs.forEach((ref: CaptionTokens, i: number) => {
        vocab.encode(captionText(ref, settings, `corpus[${index}][${i}]`), store);
      });
      countReferenceSet(counter, index, store, 0, store.count, previousEndId, vocab.endId);
    });
    if (entries.length === 0)
      throw new MetricsInputError('CIDEr-D: the corpus has no reference sets', { field: 'corpus' });
    return new CiderDScorer(vocab, counter.frequencies(vocab.endId), entries.length, settings);
  }

  /**
   * Restores a scorer from {@link toJSON}'s output (format v2), or from format v1 (e.g. a converted
   * ruotianluo/cider pickle: its `document_frequency` tuples joined with spaces, its `ref_len` as
   * `referenceSetCount`).
   *
   * @throws MetricsInputError when the object is not a valid scorer JSON
   */
  static fromJSON(json: unknown): CiderDScorer {
    const data = parseScorerJson(json);
    if (data.format === 'caption-cider-d/v2') {
      const { vocab, documentFrequency } = decodeCompactNgrams(data, data.n);
      return new CiderDScorer(vocab, documentFrequency, data.referenceSetCount, {
        ...data,
        tokenize: data.tokenize ?? 'none',
      });
    }
    const entries = Object.entries(data.documentFrequency);
    const vocab = new NgramVocabulary(data.n, entries.length);
    const ids = new Int32Array(entries.length);
    entries.forEach(([ngram, df], i) => {
      if (!isSpaceJoined(ngram)) {
        throw new MetricsInputError(`n-gram "${ngram}" is not tokens joined by single spaces`, {
          field: 'documentFrequency',
        });
      }
      if (!Number.isInteger(df) || df < 0) {
        throw new MetricsInputError(`document frequency of "${ngram}" is not a non-negative integer`, {
          field: 'documentFrequency',
        });
      }
      const { id, order } = vocab.internNgram(ngram);
      if (order > data.n) {
        throw new MetricsInputError(`n-gram "${ngram}" has more than ${data.n} tokens`, { field: 'documentFrequency' });
      }
      ids[i] = id;
    });
    const documentFrequency = new Int32Array(vocab.endId);
    entries.forEach(([, df], i) => {
      documentFrequency[ids[i] as number] = df;
    });
    return new CiderDScorer(vocab, documentFrequency, data.referenceSetCount, {
      ...data,
      tokenize: data.tokenize ?? 'none',
    });
  }

  /**
   * The document frequencies and settings as JSON (format v2, see {@link CiderDScorerJsonV2}): n-grams with a
   * frequency of 0 are left out, except as prefixes of others.
   */
  toJSON(): CiderDScorerJsonV2 {
    return {
      format: 'caption-cider-d/v2',
      n: this.n,
      sigma: this.sigma,
      endToken: this.endToken,
      referenceSetCount: this.referenceSetCount,
      ...(this.tokenize === 'none' ? {} : { tokenize: this.tokenize }),
      ...encodeCompactNgrams(this.vocab, this.documentFrequency, this.n),
    };
  }

  /** Document frequency of an n-gram given as space-separated tokens (0 when unseen). */
  documentFrequencyOf(ngram: string): number {
    const store = new SentenceStore(1, 16);
    this.vocab.beginTransient();
    try {
      const s = this.vocab.encodeTransient(ngram, store);
      const length = store.lengths[s] as number;
      if (length === 0 || length > this.n) return 0;
      const id = store.ngrams[(store.starts[s] as number) + orderStart(length, length)] as number;
      return id < this.documentFrequency.length ? (this.documentFrequency[id] as number) : 0;
    } finally {
      this.vocab.endTransient();
    }
  }

  /**
   * Computes the tf-idf vectors of one image's references once, for reuse in many {@link score} calls.
   *
   * @throws MetricsInputError when `refs` is empty or holds something other than captions
   */
  prepareReferences(refs: readonly CaptionTokens[]): PreparedReferences {
    const sentences = new SentenceStore(refs.length, 64);
    const vectors = new TfIdfStore(this.n, refs.length, 64);
    const prepared = new PreparedReferences(refs.length);
    preparedVectors.set(prepared, this.prepareInto(refs, 'refs', sentences, vectors));
    return prepared;
  }

  /**
   * CIDEr-D of each candidate against its references.
   *
   * @param candidates captions to score (token strings or rows of token ids)
   * @param refs for each candidate, its references: a list of captions or {@link PreparedReferences}; pass the
   *   same list object for candidates of the same image and it is prepared once
   * @throws MetricsInputError when the lengths differ or an entry is malformed
   */
  score(
    candidates: readonly CaptionTokens[],
    refs: readonly (readonly CaptionTokens[] | PreparedReferences)[],
  ): CiderDScores {
    if (candidates.length !== refs.length) {
      throw new MetricsInputError(
        `CIDEr-D: ${candidates.length} candidates but ${refs.length} reference lists (one per candidate)`,
        { field: 'refs' },
      );
    }
    if (candidates.length === 0)
      throw new MetricsInputError('CIDEr-D: no candidates to score', { field: 'candidates' });
    const { batchSentences, batchVectors } = this;
    batchSentences.clear();
    batchVectors.clear();
    const prepared = new Map<object, ReferenceVectors>();
    const references = refs.map((entry, i) => {
      if (entry instanceof PreparedReferences) {
        const vectors = preparedVectors.get(entry);
        if (vectors?.owner !== this) {
          throw new MetricsInputError('CIDEr-D: prepared references were not made by this scorer', {
            field: `refs[${i}]`,
          });
        }
        return vectors;
      }
      let done = prepared.get(entry);
      if (done === undefined) {
        done = this.prepareInto(entry, `refs[${i}]`, batchSentences, batchVectors);
        prepared.set(entry, done);
      }
      return done;
    });
    const candidateStart = batchSentences.count;
    this.vocab.beginTransient();
    try {
      candidates.forEach((candidate, i) => {
        this.vocab.encodeTransient(captionText(candidate, this, `candidates[${i}]`), batchSentences);
      });
      return this.scoreSentences(batchSentences, candidateStart, references);
    } finally {
      this.vocab.endTransient();
    }
  }

  /**
   * Scores sentences `first .. first + references.length` of `sentences` (encoded with this scorer's
   * vocabulary, transient ids allowed) against `references[i]` each.
   */
  private scoreSentences(
    sentences: SentenceStore,
    first: number,
    references: readonly ReferenceVectors[],
  ): CiderDScores {
    const vectors = new TfIdfStore(this.n, references.length, references.length * 24);
    this.ensureScratch();
    const scores = new Float64Array(references.length);
    for (let i = 0; i < references.length; i++) {
      const v = vectors.add(sentences, first + i, this.idf, this.slotOf);
      const prepared = references[i] as ReferenceVectors;
      scores[i] = ciderDSimilarity(
        vectors,
        v,
        prepared.vectors,
        prepared.first,
        prepared.count,
        this.penaltyDenominator,
        this.similarity,
      );
    }
    return { score: numpyMean(scores), scores };
  }

  /** Encodes `refs` (permanently) into `sentences` and their vectors into `vectors`. */
  private prepareInto(
    refs: readonly CaptionTokens[],
    field: string,
    sentences: SentenceStore,
    vectors: TfIdfStore,
  ): ReferenceVectors {
    if (!Array.isArray(refs) || refs.length === 0) {
      throw new MetricsInputError('CIDEr-D: a reference list must be a non-empty array of captions', { field });
    }
    const firstSentence = sentences.count;
    refs.forEach((ref, i) => {
      this.vocab.encode(captionText(ref, this, `${field}[${i}]`), sentences);
    });
    this.ensureScratch();
    const first = vectors.count;
    for (let s = firstSentence; s < sentences.count; s++) {
      vectors.add(sentences, s, this.idf, this.slotOf);
    }
    return { owner: this, vectors, first, count: refs.length };
  }

  /** Grows the id-indexed scratch arrays to the vocabulary's size (they hold zeros between uses). */
  private ensureScratch(): void {
    const needed = this.vocab.endIdWithTransient;
    if (this.slotOf.length < needed) this.slotOf = grown(this.slotOf, needed);
    if (this.idf.length < needed) {
      const known = this.idf.length;
      this.idf = grown(this.idf, needed);
      this.idf.fill(this.logReferenceSetCount, known);
    }
    this.similarity.ensure(needed);
  }
}

/**
 * One caption as text: a string tokenized as `settings.tokenize` says (as is by default), or a row of ids cut
 * after the end token and joined with spaces.
 */
function captionText(
  caption: CaptionTokens,
  settings: { endToken: number; tokenize: CiderDTokenize },
  field: string,
): string {
  const { endToken } = settings;
  if (typeof caption === 'string') return tokenizeCaption(caption, settings.tokenize);
  if (caption instanceof Int32Array || Array.isArray(caption)) {
    const tokens: number[] = [];
    for (let i = 0; i < caption.length; i++) {
      const token = caption[i] as number;
      if (!Number.isInteger(token)) {
        throw new MetricsInputError(`CIDEr-D: token ${i} is ${String(token)}, not an integer id`, { field });
      }
      tokens.push(token);
      if (token === endToken) break;
    }
    return tokens.join(' ');
  }
  throw new MetricsInputError(`CIDEr-D: a caption is a ${describeType(caption)}, not a string or a row of token ids`, {
    field,
  });
}

/** Whether `text` is tokens joined by single spaces: no other whitespace, no empty token. */
function isSpaceJoined(text: string): boolean {
  if (text.length === 0) return false;
  let previousSpace = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const space = isPythonSpace(code);
    if (space && (code !== 0x20 || previousSpace)) return false;
    previousSpace = space;
  }
  return !previousSpace;
}

/**
 * A guess of the number of distinct n-grams (orders 1..4) of a corpus, to size the table once: measured 7.85
 * per caption on the 202,654 captions of the val2014 leave-one-out case, 10.7 on the 29,902 of the MAGIC
 * Karpathy-test case.
 */
function expectedNgrams(sentences: number): number {
  return Math.max(4096, sentences * 8);
}

/** The options with their defaults, checked (a zero n or sigma would make every score NaN). */
function withDefaults(options: CiderDOptions): Required<CiderDOptions> {
  const endToken = options.endToken ?? 0;
  if (!Number.isInteger(endToken)) {
    throw new MetricsInputError(`CIDEr-D: option endToken must be an integer, got ${String(endToken)}`, {
      field: 'endToken',
    });
  }
  return {
    n: positiveIntegerOption(options.n, 4, 'n', 'CIDEr-D'),
    sigma: positiveNumberOption(options.sigma, 6, 'sigma', 'CIDEr-D'),
    endToken,
    tokenize: tokenizeOption(options.tokenize, 'tokenize'),
  };
}

/** A valid {@link CiderDOptions.tokenize} (`undefined`: `'none'`). */
function tokenizeOption(value: unknown, field: string): CiderDTokenize {
  if (value === undefined) return 'none';
  if (CIDER_D_TOKENIZE.includes(value as CiderDTokenize)) return value as CiderDTokenize;
  throw new MetricsInputError(
    `CIDEr-D: option tokenize must be one of ${CIDER_D_TOKENIZE.join(', ')}, got ${JSON.stringify(value) ?? String(value)}`,
    { field },
  );
}

/** Checks the shape of a scorer JSON object. */
function parseScorerJson(json: unknown): CiderDScorerJson {
  const fail = (problem: string, field?: string): never => {
    throw new MetricsInputError(`CIDEr-D scorer JSON: ${problem}`, field === undefined ? {} : { field });
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail(`expected an object, got a ${describeType(json)}`);
  const data = json as Partial<Record<keyof CiderDScorerJsonV1 | keyof CiderDScorerJsonV2, unknown>>;
  const format = data.format;
  if (format !== 'caption-cider-d/v2' && format !== 'caption-cider-d/v1')
    return fail(`unknown format ${JSON.stringify(format)}`, 'format');
  const n = data.n;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return fail('n must be a positive integer', 'n');
  const sigma = data.sigma;
  if (typeof sigma !== 'number' || !(sigma > 0)) return fail('sigma must be a positive number', 'sigma');
  const endToken = data.endToken ?? 0;
  if (typeof endToken !== 'number' || !Number.isInteger(endToken))
    return fail('endToken must be an integer', 'endToken');
  const count = data.referenceSetCount;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    return fail('referenceSetCount must be a positive integer', 'referenceSetCount');
  }
  const settings = {
    n,
    sigma,
    endToken,
    referenceSetCount: count,
    tokenize: tokenizeOption(data.tokenize, 'tokenize'),
  };
  if (format === 'caption-cider-d/v2') {
    // The n-gram fields are checked while decoding (decodeCompactNgrams).
    return {
      format,
      ...settings,
      tokens: data.tokens as string[],
      ngramCounts: data.ngramCounts as number[],
      ngrams: data.ngrams as string,
    };
  }
  const df = data.documentFrequency;
  if (typeof df !== 'object' || df === null || Array.isArray(df))
    return fail('documentFrequency must be an object', 'documentFrequency');
  return { format, ...settings, documentFrequency: df as Record<string, number> };
}
