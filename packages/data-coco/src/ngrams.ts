/**
 * The CIDEr-D document-frequency cache that self-critical training reads (`--cached_tokens
 * coco-train-idxs`), computed as `scripts/prepro_ngrams.py` does and stored as the same pickle:
 * `{document_frequency: defaultdict(float, {(tok, ...): #images}), ref_len: #images}`.
 */
import { documentFrequencies } from '@caption/metrics';
import { DataFormatError } from './errors.js';
import { writeFileChecked } from './output-files.js';
import { readFileBytes } from './files.js';
import type { KarpathyImage } from './karpathy.js';
import { PyDict, PyFloat, PyGlobal, PyTuple, dumpPickle, loadPickle } from './pickle.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import { UNK_TOKEN, type Vocabulary } from './vocabulary.js';

/** The end-of-sentence token `prepro_ngrams.py` appends to every reference (id 0). */
export const EOS_TOKEN = '<eos>';

/** A document-frequency cache: for each n-gram (n = 1..4), the number of images whose references contain it. */
export interface DocumentFrequencyCache {
  /** N-gram → number of images; an n-gram's key is its tokens joined by one space. */
  documentFrequency: Map<string, number>;
  /** Number of images (the reference length used for IDF: `log(ref_len)`). */
  refLen: number;
}

/**
 * Document frequencies of 1- to 4-grams over images, each image given as its reference strings (as
 * `CiderScorer.compute_doc_freq`): a reference is split on whitespace (Python's `str.split()`), and each
 * image counts once per distinct n-gram over all its references. Counted by `@caption/metrics` (the one
 * counter, which CIDEr-D's training reward uses too); n-grams in first-occurrence order.
 */
export function computeDocumentFrequency(refsPerImage: Iterable<readonly string[]>, maxN = 4): DocumentFrequencyCache {
  const { documentFrequency, referenceSetCount } = documentFrequencies(refsPerImage, { n: maxN });
  return { documentFrequency, refLen: referenceSetCount };
}

/** Which images `prepro_ngrams.py --split` takes: the split itself, plus `restval` for `train`, or `all`. */
export type NgramSplit = 'train' | 'val' | 'test' | 'all';

/**
 * Both caches of `prepro_ngrams.py` for the images of `split`: `words` (tokens, out-of-vocabulary → `UNK`,
 * `<eos>` appended) and `idxs` (the same as vocabulary ids, `<eos>` → `0`). References are the full token
 * lists (not clipped at `max_length`), as in the reference.
 */
export function buildNgramCaches(
  images: readonly KarpathyImage[],
  vocabulary: Vocabulary,
  split: NgramSplit = 'train',
  options: {
    /** Progress of the counting (two passes over the selected images), given their number; default none. */
    progress?: (total: number) => ProgressReporter;
  } = {},
): { words: DocumentFrequencyCache; idxs: DocumentFrequencyCache } {
  const selected = images.filter(
    (im) => split === 'all' || im.fileSplit === split || (split === 'train' && im.fileSplit === 'restval'),
  );
  const refsWords: string[][] = [];
  const refsIdxs: string[][] = [];
  for (const image of selected) {
    const words: string[] = [];
    const idxs: string[] = [];
    for (const sentence of image.sentences) {
      const tokens = [...sentence.tokens, EOS_TOKEN].map((t) =>
        t === EOS_TOKEN || vocabulary.idOf(t) !== undefined ? t : UNK_TOKEN,
      );
      words.push(tokens.join(' '));
      idxs.push(
        tokens
          .map((t) => {
            if (t === EOS_TOKEN) return '0';
            const id = vocabulary.idOf(t);
            if (id === undefined) {
              throw new DataFormatError('the vocabulary has no UNK for an out-of-vocabulary word', {
                imageId: image.cocoid ?? image.imgid ?? image.filename,
                field: 'tokens',
              });
            }
            return String(id);
          })
          .join(' '),
      );
    }
    refsWords.push(words);
    refsIdxs.push(idxs);
  }
  const progress = options.progress?.(refsWords.length + refsIdxs.length) ?? silentProgress;
  function* ticking(refs: readonly string[][]): Generator<string[]> {
    for (const r of refs) {
      yield r;
      progress.tick();
    }
  }
  const words = computeDocumentFrequency(ticking(refsWords));
  const idxs = computeDocumentFrequency(ticking(refsIdxs));
  progress.stop();
  return { words, idxs };
}

/**
 * Parses a document-frequency pickle (`coco-train-idxs.p` / `-words.p`, any protocol 0–4).
 *
 * @throws DataFormatError naming the file and the field when the structure is not the reference's
 */
export function parseDocumentFrequencyPickle(bytes: Uint8Array, file?: string): DocumentFrequencyCache {
  const root = loadPickle(bytes, file);
  if (!(root instanceof PyDict)) throw new DataFormatError('expected a pickled dict', { file });
  const refLen = root.get('ref_len');
  if (typeof refLen !== 'number' || !Number.isInteger(refLen) || refLen < 0) {
    throw new DataFormatError('expected a non-negative integer', { file, field: 'ref_len' });
  }
  const dfValue = root.get('document_frequency');
  if (!(dfValue instanceof PyDict)) throw new DataFormatError('expected a dict', { file, field: 'document_frequency' });
  const documentFrequency = new Map<string, number>();
  for (const [key, value] of dfValue.entries) {
    if (!(key instanceof PyTuple) || key.items.length === 0 || key.items.some((t) => typeof t !== 'string')) {
      throw new DataFormatError('expected tuple-of-strings keys', { file, field: 'document_frequency' });
    }
    if (typeof value !== 'number') {
      throw new DataFormatError(`n-gram (${key.items.join(', ')}) has a non-numeric count`, {
        file,
        field: 'document_frequency',
      });
    }
    documentFrequency.set((key.items as string[]).join(' '), value);
  }
  return { documentFrequency, refLen };
}

/** Reads a document-frequency pickle file. See {@link parseDocumentFrequencyPickle}. */
export async function readDocumentFrequencyCache(path: string): Promise<DocumentFrequencyCache> {
  return parseDocumentFrequencyPickle(await readFileBytes(path), path);
}

/**
 * The pickle `prepro_ngrams.py` writes (protocol 2): `{'document_frequency': defaultdict(float, {tuple:
 * float}), 'ref_len': int}`, loadable by Python 2 and 3 (`misc.utils.pickle_load`).
 */
export function formatDocumentFrequencyPickle(cache: DocumentFrequencyCache): Uint8Array {
  const df = new PyDict([], new PyGlobal('__builtin__', 'float'));
  for (const [gram, count] of cache.documentFrequency) {
    df.entries.push([new PyTuple(gram.split(' ')), new PyFloat(count)]);
  }
  return dumpPickle(
    new PyDict([
      ['document_frequency', df],
      ['ref_len', cache.refLen],
    ]),
  );
}

/** Writes a document-frequency pickle file. See {@link formatDocumentFrequencyPickle}. */
export async function writeDocumentFrequencyCache(path: string, cache: DocumentFrequencyCache): Promise<void> {
  await writeFileChecked(path, formatDocumentFrequencyPickle(cache));
}
