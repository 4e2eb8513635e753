/**
 * `prepro`: what ImageCaptioning.pytorch's `scripts/prepro_labels.py` and `scripts/prepro_ngrams.py` make,
 * in one step, with `@caption/data-coco`: `cocotalk.json` (vocabulary, images and splits), the labels
 * (`cocotalk_label.h5`) and the CIDEr-D document frequencies of the training captions
 * (`<outputPkl>-idxs.p` and `-words.p`, for `cachedTokens`). With `imagesRoot`, image sizes are recorded
 * (needed by `useBox`; a caller that knows them passes `imageSizes` instead).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  buildNgramCaches,
  decodeImage,
  karpathyFilePath,
  karpathyImageId,
  prepareLabels,
  readKarpathyDataset,
  writeCocoTalk,
  writeDocumentFrequencyCache,
  writeLabelsH5,
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
    for (const image of dataset.images) {
      const id = karpathyImageId(image);
      if (id === undefined) continue;
      const { width, height } = await decodeImage(join(options.imagesRoot, karpathyFilePath(image)));
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
  for (const file of [outputJson, labelH5, pkl]) mkdirSync(dirname(file), { recursive: true });
  await writeCocoTalk(outputJson, cocotalk);
  await writeLabelsH5(labelH5, labels);
  const caches = buildNgramCaches(dataset.images, cocotalk.vocabulary, 'train');
  await writeDocumentFrequencyCache(`${pkl}-idxs.p`, caches.idxs);
  await writeDocumentFrequencyCache(`${pkl}-words.p`, caches.words);
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
