/**
 * `prepro`: what ImageCaptioning.pytorch's `scripts/prepro_labels.py` and `scripts/prepro_ngrams.py` make,
 * in one step, with `@caption/data-coco`: `cocotalk.json` (vocabulary, images and splits), the labels
 * (`cocotalk_label.h5`) and the CIDEr-D document frequencies of the training captions
 * (`<outputPkl>-idxs.p` and `-words.p`, for `cachedTokens`). With `imagesRoot`, image sizes are recorded
 * (needed by `useBox`; a caller that knows them passes `imageSizes` instead).
 */
import {
  buildNgramCaches,
  decodeImage,
  karpathyFilePath,
  karpathyImageId,
  karpathyPathField,
  pathUnderRoot,
  prepareLabels,
  readKarpathyDataset,
  writeCocoTalk,
  writeDocumentFrequencyCache,
  writeLabelsH5,
  writeOutputSet,
} from '@caption/data-coco';
import { ExampleOptionsError } from './errors';
import { booleanOption, intOption, OptionParser, type OptionValues, pathOption, withReference } from './option-parser';

/** Options of `prepro` (the reference scripts' names, camelCase). */
export const PREPRO_OPTIONS = {
  inputJson: pathOption(null, 'the Karpathy split file (dataset_coco.json, dataset_shapes.json, ...)'),
  outputJson: pathOption('data/cocotalk.json', 'cocotalk.json to write'),
  outputH5: pathOption('data/cocotalk', 'labels file prefix (writes <prefix>_label.h5)'),
  outputPkl: pathOption('data/coco-train', 'DF cache prefix (writes <prefix>-idxs.p and <prefix>-words.p)'),
  maxLength: intOption(16, 'captions longer than this are clipped', { min: 1 }),
  wordCountThreshold: intOption(5, 'words seen at most this often become UNK', { min: 0 }),
  imagesRoot: pathOption(null, 'folder of the images: records their width and height (needed by useBox)'),
  quiet: withReference(booleanOption(false, 'print nothing'), null),
} as const;

/** Parsed `prepro` options. */
export type PreproOptions = OptionValues<typeof PREPRO_OPTIONS>;

/** The parser of `prepro`'s options. */
export const preproOptionParser = new OptionParser('prepro', PREPRO_OPTIONS);

/** The files {@link runPrepro} wrote. */
export interface PreproOutputs {
  inputJson: string;
  inputLabelH5: string;
  cachedTokens: string;
  vocabSize: number;
  images: number;
  captions: number;
}

/**
 * Builds the vocabulary, labels and DF caches of a Karpathy split file.
 *
 * @throws DataFormatError (from data-coco) naming the file, image and field when the input is malformed
 */
export async function runPrepro(
  options: PreproOptions,
  extra: { log?: (line: string) => void; imageSizes?: ReadonlyMap<number, { width: number; height: number }> } = {},
): Promise<PreproOutputs> {
  const log = extra.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (options.inputJson === null)
    throw new ExampleOptionsError('inputJson', "prepro: option 'inputJson' is required (the Karpathy split file)");
  const dataset = await readKarpathyDataset(options.inputJson, { keepRaw: false });
  let imageSizes = extra.imageSizes;
  if (imageSizes === undefined && options.imagesRoot !== null) {
    const sizes = new Map<number, { width: number; height: number }>();
    const root = options.imagesRoot;
    for (const [i, image] of dataset.images.entries()) {
      const id = karpathyImageId(image);
      if (id === undefined) continue;
      const file = pathUnderRoot(root, karpathyFilePath(image), {
        file: options.inputJson,
        imageId: id,
        field: `images[${i}].${karpathyPathField(image)}`,
      });
      const { width, height } = await decodeImage(file);
      sizes.set(id, { width, height });
    }
    imageSizes = sizes;
  }
  const { cocotalk, labels, stats } = prepareLabels(dataset, {
    maxLength: options.maxLength,
    countThreshold: options.wordCountThreshold,
    imageSizes,
  });
  const outputJson = options.outputJson as string;
  const labelH5 = `${options.outputH5 as string}_label.h5`;
  const pkl = options.outputPkl as string;
  const caches = buildNgramCaches(dataset.images, cocotalk.vocabulary, 'train');
  // all four files, or none (each to a temporary file, renamed when every one was written)
  await writeOutputSet(async (files) => {
    await files.write(outputJson, (tmp) => writeCocoTalk(tmp, cocotalk));
    await files.write(labelH5, (tmp) => writeLabelsH5(tmp, labels));
    await files.write(`${pkl}-idxs.p`, (tmp) => writeDocumentFrequencyCache(tmp, caches.idxs));
    await files.write(`${pkl}-words.p`, (tmp) => writeDocumentFrequencyCache(tmp, caches.words));
  });
  if (!options.quiet) {
    log(
      `prepro: ${dataset.images.length} images, ${labels.count} captions, ` +
        `vocabulary ${cocotalk.vocabulary.size} words (${JSON.stringify(stats).slice(0, 120)})`,
    );
    log(
      `prepro: wrote ${outputJson}, ${labelH5}, ${pkl}-idxs.p (${caches.idxs.documentFrequency.size} n-grams ` +
        `over ${caches.idxs.refLen} train images), ${pkl}-words.p`,
    );
  }
  return {
    inputJson: outputJson,
    inputLabelH5: labelH5,
    cachedTokens: `${pkl}-idxs`,
    vocabSize: cocotalk.vocabulary.size,
    images: dataset.images.length,
    captions: labels.count,
  };
}
