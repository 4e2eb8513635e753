/**
 * The whole of `prepro_labels.py` in one call: vocabulary, labels and `cocotalk.json` content from a
 * Karpathy data set, with the reference's defaults (`max_length` 16, `word_count_threshold` 5).
 */
import type { CocoTalk, CocoTalkImage } from './cocotalk.js';
import { DataFormatError } from './errors.js';
import { type KarpathyDataset, karpathyFilePath, karpathyImageId } from './karpathy.js';
import { type CaptionLabels, encodeCaptions } from './labels.js';
import type { PythonDictOrder } from './python-compat.js';
import type { TokenizerSpec } from './tokenizers.js';
import { type VocabularyStats, buildVocabulary } from './vocabulary.js';

/** Options of {@link prepareLabels}; defaults are the reference's. */
export interface PrepareLabelsOptions {
  /** Captions longer than this are clipped (`--max_length`, default 16). */
  maxLength?: number;
  /** Words seen at most this many times become UNK (`--word_count_threshold`, default 5). */
  countThreshold?: number;
  /** Whose dict order the vocabulary ids follow (see {@link buildVocabulary}); default 3. */
  pythonDictOrder?: PythonDictOrder;
  /** How the tokens were made, recorded in the vocabulary; default `{ kind: 'given' }`. */
  tokenizer?: TokenizerSpec;
  /** Image sizes by image id, written as `width`/`height` (what `--images_root` adds; needed by box features). */
  imageSizes?: ReadonlyMap<number, { width: number; height: number }>;
}

/** What {@link prepareLabels} produces: the content of `cocotalk.json` and `cocotalk_label.h5`. */
export interface PreparedLabels {
  /** Vocabulary and images, for {@link writeCocoTalk}. */
  cocotalk: CocoTalk;
  /** The four label datasets, for {@link writeLabelsH5}. */
  labels: CaptionLabels;
  /** Word counts (what the reference prints). */
  stats: VocabularyStats;
}

/**
 * Builds the vocabulary, encodes every caption and lists the images, as `prepro_labels.py` does. Images
 * keep file order and their split as written in the file (`restval` stays `restval`; the loader folds it).
 *
 * @example
 * ```ts
 * const ds = await readKarpathyDataset('dataset_coco.json', { keepRaw: false });
 * const { cocotalk, labels } = prepareLabels(ds);
 * await writeCocoTalk('data/cocotalk.json', cocotalk);
 * await writeLabelsH5('data/cocotalk_label.h5', labels);
 * ```
 * @throws DataFormatError naming the image when it has neither `cocoid` nor `imgid`, the id of an earlier image, no
 *   caption, or an empty caption
 */
export function prepareLabels(dataset: KarpathyDataset, options: PrepareLabelsOptions = {}): PreparedLabels {
  const captions = dataset.images.map((im) => im.sentences.map((s) => s.tokens));
  const { vocabulary, stats } = buildVocabulary(captions.flat(), {
    countThreshold: options.countThreshold ?? 5,
    pythonDictOrder: options.pythonDictOrder ?? 3,
    tokenizer: options.tokenizer ?? { kind: 'given' },
  });
  const ids = dataset.images.map((im) => karpathyImageId(im) ?? im.filename);
  const labels = encodeCaptions(captions, vocabulary, options.maxLength ?? 16, ids);
  const firstIndex = new Map<number, number>();
  const images = dataset.images.map((im, i): CocoTalkImage => {
    const id = karpathyImageId(im);
    if (id === undefined) {
      throw new DataFormatError('image has neither "cocoid" nor "imgid"', {
        imageId: im.filename,
        field: `images[${i}]`,
      });
    }
    const before = firstIndex.get(id);
    if (before !== undefined) {
      // feature files are named by id, and every later stage looks images up by it
      throw new DataFormatError(`duplicate id (also images[${before}]); every image needs its own id`, {
        imageId: id,
        field: `images[${i}].${im.cocoid !== undefined ? 'cocoid' : 'imgid'}`,
      });
    }
    firstIndex.set(id, i);
    const out: CocoTalkImage = { split: im.fileSplit, filePath: karpathyFilePath(im), id };
    const size = options.imageSizes?.get(id);
    if (size !== undefined) {
      out.width = size.width;
      out.height = size.height;
    }
    return out;
  });
  return { cocotalk: { vocabulary, images }, labels, stats };
}
