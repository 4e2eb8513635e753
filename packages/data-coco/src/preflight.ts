/**
 * `preflight(config)`: every check that can fail a training run, done before the first step, each
 * failure a {@link DataFormatError} naming the file, the image id and the field:
 *
 * - `cocotalk.json` reads, image ids are unique, the asked splits are not empty;
 * - the labels are consistent with themselves (ranges inside the labels array, lengths) and with the
 *   vocabulary (every word id ≤ vocabulary size) and with the images (one range per image);
 * - every image of the used splits has its feature files, of the expected shape;
 * - when self-critical training is asked, the CIDEr-D document-frequency cache exists, counts the
 *   training images, and uses this vocabulary.
 */
import { existsSync } from 'node:fs';
import { type CocoTalk, readCocoTalk } from './cocotalk.js';
import { DataFormatError } from './errors.js';
import { FeatureDirectory } from './feature-store.js';
import { readKarpathyDataset } from './karpathy.js';
import { type CaptionLabels, readLabelsH5 } from './labels.js';
import { type LoaderSplit, splitIndices } from './loader.js';
import { buildNgramCaches, readDocumentFrequencyCache } from './ngrams.js';
import type { ArrayHeader } from './npy.js';
import { mapConcurrent, progressTo } from './progress.js';

/** What to check; paths use the reference's option names where it has one. */
export interface PreflightConfig {
  /** `cocotalk.json` (`--input_json`). */
  inputJson: string;
  /** `cocotalk_label.h5` (`--input_label_h5`); omit for feature-only use. */
  inputLabelH5?: string;
  /** Directory of `<id>.npy` fc features (`--input_fc_dir`). */
  inputFcDir?: string;
  /** Directory of `<id>.npz` att features (`--input_att_dir`). */
  inputAttDir?: string;
  /** Directory of `<id>.npy` boxes (`--input_box_dir`), checked as [K, 4] with K of the att file. */
  inputBoxDir?: string;
  /** Expected fc size (`--fc_feat_size`, e.g. 2048). Default: that of the first file. */
  fcFeatSize?: number;
  /** Expected att feature size (`--att_feat_size`, last dimension). Default: that of the first file. */
  attFeatSize?: number;
  /** Expected label width (the `max_length` the model is built for). */
  seqLength?: number;
  /** Splits that will be used. Default train, val, test. */
  splits?: readonly LoaderSplit[];
  /** `--train_only`: restval is not part of train. Default false. */
  trainOnly?: boolean;
  /** Self-critical training is configured (`--self_critical_after` ≥ 0): the DF cache must exist and match. */
  selfCritical?: boolean;
  /**
   * The DF cache (`--cached_tokens`): its file, the file without `.p` (`data/coco-train-idxs`), or the prefix
   * `prepro-ngrams --output-pkl` was given (`data/coco-train`, read as `data/coco-train-idxs.p`).
   */
  cachedTokens?: string;
  /** The Karpathy file the labels came from: when given, the DF cache is recomputed and compared exactly. */
  datasetJson?: string;
  /** Feature files checked at once. Default 16. */
  concurrency?: number;
  /** Show progress of the feature pass and of the DF recount on stderr. Default false. */
  progress?: boolean | NodeJS.WritableStream;
  /** Stop listing problems of one kind after this many (the count is still reported). Default 20. */
  maxErrorsPerKind?: number;
}

/** The outcome of {@link preflight}. */
export interface PreflightReport {
  /** True when nothing failed. */
  ok: boolean;
  /** Every failure found (capped per kind; see `suppressed`). */
  errors: DataFormatError[];
  /** Failures not listed because of `maxErrorsPerKind`, by kind. */
  suppressed: Record<string, number>;
  /** What was checked. */
  checked: { images: number; labelRows: number; featureFiles: number; dfNgrams: number };
}

class ErrorList {
  readonly errors: DataFormatError[] = [];
  readonly suppressed: Record<string, number> = {};
  private readonly perKind = new Map<string, number>();
  constructor(private readonly cap: number) {}
  add(kind: string, error: DataFormatError): void {
    const n = (this.perKind.get(kind) ?? 0) + 1;
    this.perKind.set(kind, n);
    if (n <= this.cap) this.errors.push(error);
    else this.suppressed[kind] = (this.suppressed[kind] ?? 0) + 1;
  }
}

function checkLabels(
  cocotalk: CocoTalk,
  labels: CaptionLabels,
  file: string,
  config: PreflightConfig,
  errors: ErrorList,
): void {
  const { count, seqLength } = labels;
  const vocabSize = cocotalk.vocabulary.size;
  if (config.seqLength !== undefined && config.seqLength !== seqLength) {
    errors.add(
      'seq-length',
      new DataFormatError(`labels are ${seqLength} wide, the configuration expects ${config.seqLength}`, {
        file,
        field: 'labels',
      }),
    );
  }
  if (labels.labelStartIx.length !== cocotalk.images.length) {
    errors.add(
      'image-count',
      new DataFormatError(
        `has ${labels.labelStartIx.length} entries but ${config.inputJson} lists ${cocotalk.images.length} images`,
        {
          file,
          field: 'label_start_ix',
        },
      ),
    );
  }
  const n = Math.min(labels.labelStartIx.length, labels.labelEndIx.length, cocotalk.images.length);
  // the image each label row belongs to (-1: none), so that a bad row is reported with its image id
  const rowImage = new Int32Array(count).fill(-1);
  for (let i = 0; i < n; i += 1) {
    const id = cocotalk.images[i]?.id;
    const s = labels.labelStartIx[i] as number;
    const e = labels.labelEndIx[i] as number;
    if (s < 1 || s > count) {
      errors.add(
        'label-range',
        new DataFormatError(`${s} is outside the labels array (rows 1..${count})`, {
          file,
          imageId: id,
          field: 'label_start_ix',
        }),
      );
    } else if (e < s || e > count) {
      errors.add(
        'label-range',
        new DataFormatError(`${e} is outside the labels array (rows ${s}..${count})`, {
          file,
          imageId: id,
          field: 'label_end_ix',
        }),
      );
    } else {
      rowImage.fill(i, s - 1, e);
    }
  }
  const imageOfRow = (r: number): number | undefined => cocotalk.images[rowImage[r] as number]?.id;
  if (labels.labelLength.length !== count) {
    errors.add(
      'label-length',
      new DataFormatError(`has ${labels.labelLength.length} entries, labels has ${count} rows`, {
        file,
        field: 'label_length',
      }),
    );
  }
  for (let r = 0; r < count; r += 1) {
    let len = 0;
    const outside: number[] = [];
    for (let t = 0; t < seqLength; t += 1) {
      const v = labels.labels[r * seqLength + t] as number;
      if (v > vocabSize) outside.push(v);
      if (v !== 0 && len === t) len += 1;
    }
    if (outside.length > 0) {
      // one error per row, not one per position of the row
      const ids = [...new Set(outside)];
      errors.add(
        'vocabulary',
        new DataFormatError(
          `row ${r + 1} holds word id${ids.length > 1 ? 's' : ''} ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''} (at ${outside.length} of its ${seqLength} positions), but the vocabulary of ${config.inputJson} has ${vocabSize} words`,
          { file, imageId: imageOfRow(r), field: 'labels' },
        ),
      );
    }
    const stored = labels.labelLength[r];
    if (stored !== undefined && stored !== len) {
      errors.add(
        'label-length',
        new DataFormatError(`row ${r + 1} has ${len} words but label_length says ${stored}`, {
          file,
          imageId: imageOfRow(r),
          field: 'label_length',
        }),
      );
    }
  }
}

async function checkFeatures(
  cocotalk: CocoTalk,
  indices: readonly number[],
  config: PreflightConfig,
  errors: ErrorList,
): Promise<number> {
  const kinds: Array<{ field: 'fc' | 'att' | 'box'; store: FeatureDirectory }> = [];
  if (config.inputFcDir !== undefined)
    kinds.push({ field: 'fc', store: new FeatureDirectory(config.inputFcDir, { format: 'npy' }) });
  if (config.inputAttDir !== undefined)
    kinds.push({ field: 'att', store: new FeatureDirectory(config.inputAttDir, { format: 'npz' }) });
  if (config.inputBoxDir !== undefined)
    kinds.push({ field: 'box', store: new FeatureDirectory(config.inputBoxDir, { format: 'npy' }) });
  if (kinds.length === 0) return 0;
  const expected: { fc?: number; att?: number } = { fc: config.fcFeatSize, att: config.attFeatSize };
  const progress = progressTo('preflight features', indices.length, config.progress);
  let files = 0;
  await mapConcurrent(indices, config.concurrency ?? 16, async (ix) => {
    const id = cocotalk.images[ix]?.id as number;
    const headers: Partial<Record<'fc' | 'att' | 'box', ArrayHeader>> = {};
    for (const { field, store } of kinds) {
      const file = store.pathOf(id);
      if (!existsSync(file)) {
        errors.add(`${field}-missing`, new DataFormatError('feature file missing', { file, imageId: id, field }));
        continue;
      }
      files += 1;
      try {
        headers[field] = await store.header(id);
      } catch (cause) {
        errors.add(
          `${field}-unreadable`,
          DataFormatError.isInstance(cause) ? cause : new DataFormatError(String(cause), { file, imageId: id, field }),
        );
        continue;
      }
      const shape = (headers[field] as ArrayHeader).shape;
      const fail = (problem: string): void =>
        errors.add(`${field}-shape`, new DataFormatError(problem, { file, imageId: id, field }));
      if (field === 'fc') {
        expected.fc ??= shape[0];
        if (shape.length !== 1 || shape[0] !== expected.fc)
          fail(`expected shape [${expected.fc}], found [${shape.join(', ')}]`);
      } else if (field === 'att') {
        const dim = shape[shape.length - 1];
        expected.att ??= dim;
        if (shape.length < 2 || shape.length > 3 || dim !== expected.att || shape.includes(0)) {
          fail(`expected shape [K, ${expected.att}] (or [h, w, ${expected.att}]), found [${shape.join(', ')}]`);
        }
      } else {
        const att = headers.att?.shape;
        const regions = att === undefined ? undefined : att.slice(0, -1).reduce((a, b) => a * b, 1);
        if (shape.length !== 2 || shape[1] !== 4 || (regions !== undefined && shape[0] !== regions)) {
          fail(`expected shape [${regions ?? 'K'}, 4] (one box per region), found [${shape.join(', ')}]`);
        }
      }
    }
    progress.tick();
  });
  progress.stop();
  return files;
}

/** The value `read` gives, or `null` after adding its failure to `errors` (preflight reports, it does not throw). */
async function readOrReport<T>(
  read: () => Promise<T>,
  file: string,
  kind: string,
  errors: ErrorList,
): Promise<T | null> {
  try {
    return await read();
  } catch (cause) {
    errors.add(
      kind,
      DataFormatError.isInstance(cause) ? cause : new DataFormatError(String(cause), { file }, { cause }),
    );
    return null;
  }
}

/**
 * The DF cache file `cachedTokens` names: the file itself, `<path>.p` (the reference's `--cached_tokens
 * coco-train-idxs`), or `<path>-idxs.p` (the `--output-pkl` prefix `prepro-ngrams` was given).
 */
function resolveCache(path: string): string {
  if (existsSync(path) || path.endsWith('.p')) return path;
  const idxs = `${path}-idxs.p`;
  return !existsSync(`${path}.p`) && existsSync(idxs) ? idxs : `${path}.p`;
}

async function checkDfCache(cocotalk: CocoTalk, config: PreflightConfig, errors: ErrorList): Promise<number> {
  if (config.cachedTokens === undefined) {
    errors.add(
      'df',
      new DataFormatError('self-critical training needs the CIDEr-D document-frequency cache; none is configured', {
        field: 'cached_tokens',
      }),
    );
    return 0;
  }
  const file = resolveCache(config.cachedTokens);
  if (!existsSync(file)) {
    errors.add(
      'df',
      new DataFormatError(
        'the CIDEr-D document-frequency cache is missing (make it with `caption-data prepro-ngrams`)',
        { file, field: 'cached_tokens' },
      ),
    );
    return 0;
  }
  const cache = await readOrReport(() => readDocumentFrequencyCache(file), file, 'df', errors);
  if (cache === null) return 0;
  // prepro_ngrams.py --split train always counts restval, whatever --train_only says
  const trainImages = splitIndices(cocotalk, 'train', false).length;
  if (cache.refLen !== trainImages) {
    errors.add(
      'df',
      new DataFormatError(`ref_len is ${cache.refLen} but ${config.inputJson} has ${trainImages} training images`, {
        file,
        field: 'ref_len',
      }),
    );
  }
  const vocabSize = cocotalk.vocabulary.size;
  for (const gram of cache.documentFrequency.keys()) {
    for (const token of gram.split(' ')) {
      const id = Number(token);
      if (!/^\d+$/.test(token) || id > vocabSize) {
        errors.add(
          'df-vocabulary',
          new DataFormatError(
            `n-gram "${gram}" has token "${token}", not a word id of ` +
              `the vocabulary (0..${vocabSize}); cached_tokens must be the -idxs ` +
              `cache made with this cocotalk.json`,
            {
              file,
              field: 'document_frequency',
            },
          ),
        );
        break;
      }
    }
  }
  const eos = cache.documentFrequency.get('0');
  if (eos !== cache.refLen) {
    errors.add(
      'df',
      new DataFormatError(`the end token "0" occurs in ${eos ?? 0} images, expected every one (${cache.refLen})`, {
        file,
        field: 'document_frequency',
      }),
    );
  }
  // The -words cache beside it names each id's word: its unigram counts must agree with this vocabulary.
  const wordsFile = file.replace(/-idxs(\.p)?$/, '-words.p');
  const words =
    wordsFile !== file && existsSync(wordsFile)
      ? await readOrReport(() => readDocumentFrequencyCache(wordsFile), wordsFile, 'df', errors)
      : null;
  if (words !== null) {
    for (const [gram, n] of words.documentFrequency) {
      if (gram.includes(' ') || gram === '<eos>') continue;
      const id = cocotalk.vocabulary.idOf(gram);
      const byId = id === undefined ? undefined : cache.documentFrequency.get(String(id));
      if (byId !== n) {
        errors.add(
          'df-vocabulary',
          new DataFormatError(
            `word "${gram}" is in ${n} images by ${wordsFile} but id ${id ?? '(none)'} is in ${byId ?? 0} by the -idxs ` +
              `cache: the caches ` +
              `were made with another vocabulary`,
            {
              file,
              field: 'document_frequency',
            },
          ),
        );
      }
    }
  }
  const dataset =
    config.datasetJson === undefined
      ? null
      : await readOrReport(
          () => readKarpathyDataset(config.datasetJson as string, { keepRaw: false }),
          config.datasetJson,
          'df-recomputed',
          errors,
        );
  if (dataset !== null) {
    const ours = buildNgramCaches(dataset.images, cocotalk.vocabulary, 'train', {
      progress: (total) => progressTo('preflight DF (recount)', total, config.progress),
    }).idxs;
    for (const [gram, n] of ours.documentFrequency) {
      if (cache.documentFrequency.get(gram) !== n) {
        errors.add(
          'df-recomputed',
          new DataFormatError(
            `n-gram "${gram}": the cache ` +
              `says ${cache.documentFrequency.get(gram) ?? 0}, ${config.datasetJson} gives ${n}`,
            { file, field: 'document_frequency' },
          ),
        );
      }
    }
    if (ours.documentFrequency.size !== cache.documentFrequency.size) {
      errors.add(
        'df-recomputed',
        new DataFormatError(
          `the cache has ${cache.documentFrequency.size} n-grams, ${config.datasetJson} gives ${ours.documentFrequency.size}`,
          { file, field: 'document_frequency' },
        ),
      );
    }
  }
  return cache.documentFrequency.size;
}

/**
 * Runs every check and reports all failures (it throws only for programming errors).
 *
 * @example
 * ```ts
 * const report = await preflight({
 *   inputJson: 'data/cocotalk.json', inputLabelH5: 'data/cocotalk_label.h5',
 *   inputFcDir: 'data/cocobu_fc', inputAttDir: 'data/cocobu_att', attFeatSize: 2048,
 *   selfCritical: true, cachedTokens: 'data/coco-train-idxs',
 * });
 * if (!report.ok) for (const e of report.errors) console.error(e.message);
 * ```
 */
export async function preflight(config: PreflightConfig): Promise<PreflightReport> {
  const errors = new ErrorList(config.maxErrorsPerKind ?? 20);
  const checked = { images: 0, labelRows: 0, featureFiles: 0, dfNgrams: 0 };
  const finish = (): PreflightReport => ({
    ok: errors.errors.length === 0,
    errors: errors.errors,
    suppressed: errors.suppressed,
    checked,
  });
  const cocotalk = await readOrReport(() => readCocoTalk(config.inputJson), config.inputJson, 'cocotalk', errors);
  if (cocotalk === null) return finish();
  checked.images = cocotalk.images.length;
  const seen = new Map<number, number>();
  cocotalk.images.forEach((im, i) => {
    const before = seen.get(im.id);
    if (before !== undefined) {
      errors.add(
        'ids',
        new DataFormatError(`duplicate id (also images[${before}]); feature files are named by id`, {
          file: config.inputJson,
          imageId: im.id,
          field: `images[${i}].id`,
        }),
      );
    }
    seen.set(im.id, i);
  });
  const splits = config.splits ?? ['train', 'val', 'test'];
  const used = new Set<number>();
  for (const split of splits) {
    const indices = splitIndices(cocotalk, split, config.trainOnly ?? false);
    if (indices.length === 0)
      errors.add(
        'splits',
        new DataFormatError(`split "${split}" has no images`, { file: config.inputJson, field: 'images[].split' }),
      );
    for (const ix of indices) used.add(ix);
  }
  const labelFile = config.inputLabelH5;
  const labels =
    labelFile === undefined
      ? null
      : await readOrReport(() => readLabelsH5(labelFile, { validate: false }), labelFile, 'labels', errors);
  if (labels !== null && labelFile !== undefined) {
    checked.labelRows = labels.count;
    checkLabels(cocotalk, labels, labelFile, config, errors);
  }
  checked.featureFiles = await checkFeatures(
    cocotalk,
    [...used].sort((a, b) => a - b),
    config,
    errors,
  );
  if (config.selfCritical === true) checked.dfNgrams = await checkDfCache(cocotalk, config, errors);
  return finish();
}
