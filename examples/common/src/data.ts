/**
 * Opening the prepared data of a run (`cocotalk.json`, `cocotalk_label.h5`, feature folders, the CIDEr-D
 * document frequencies) after checking all of it with `@caption/data-coco`'s `preflight`, so that a
 * missing file, a vocabulary/label mismatch, features of the wrong size or a missing DF cache stop the
 * run before its first step, with every problem listed.
 */
import { existsSync } from 'node:fs';
import {
  CaptionLoader,
  type CaptionLabels,
  type CocoTalk,
  type DocumentFrequencyCache,
  FeatureDirectory,
  type FeatureStore,
  type LoaderSplit,
  type LoaderState,
  MemoryFeatureStore,
  preflight,
  readCocoTalk,
  readDocumentFrequencyCache,
  readLabelsH5,
  splitIndices,
} from '@caption/data-coco';
import { CiderDScorer } from '@caption/metrics';
import type { DataShape } from './captioner';
import { ExampleDataError } from './errors';

/** The data options a run reads (a subset of the train / eval options). */
export interface DataOptions {
  inputJson: string | null;
  inputLabelH5: string | null;
  inputFcDir: string | null;
  inputAttDir: string | null;
  inputBoxDir: string | null;
  useBox: 0 | 1;
  normAttFeat: 0 | 1;
  normBoxFeat: 0 | 1;
  trainOnly: 0 | 1;
  fcFeatSize: number;
  attFeatSize: number;
}

/** Opened data: vocabulary, labels, feature stores and the sizes the model is built for. */
export interface RunData {
  cocotalk: CocoTalk;
  labels: CaptionLabels;
  fc: FeatureStore | undefined;
  att: FeatureStore | undefined;
  box: FeatureStore | undefined;
  shape: DataShape;
  options: DataOptions;
}

/** The `.p` file of a `cachedTokens` option (`data/coco-train-idxs` → `data/coco-train-idxs.p`). */
export function documentFrequencyFile(cachedTokens: string): string {
  return existsSync(cachedTokens) || cachedTokens.endsWith('.p') ? cachedTokens : `${cachedTokens}.p`;
}

/** A CIDEr-D reward scorer (σ 6, n 4, end token 0) with the document frequencies of a `prepro-ngrams` cache. */
export function ciderDScorerFromCache(cache: DocumentFrequencyCache): CiderDScorer {
  return CiderDScorer.fromJSON({
    format: 'caption-cider-d/v1',
    n: 4,
    sigma: 6,
    endToken: 0,
    referenceSetCount: cache.refLen,
    documentFrequency: Object.fromEntries(cache.documentFrequency),
  });
}

/**
 * Checks and opens the data of a run.
 *
 * @param uses which features the model reads
 * @param check splits used, and the DF cache when self-critical training is configured
 * @throws ExampleDataError listing every problem (file, image id, field) when anything is inconsistent
 */
export async function openRunData(
  options: DataOptions,
  uses: { fc: boolean; att: boolean },
  check: { splits: readonly LoaderSplit[]; cachedTokens: string | null; preload: boolean },
): Promise<RunData> {
  const missing: string[] = [];
  if (options.inputJson === null) missing.push("option 'inputJson' is not set (the cocotalk.json of prepro)");
  if (options.inputLabelH5 === null) missing.push("option 'inputLabelH5' is not set (the cocotalk_label.h5 of prepro)");
  if (uses.att && options.inputAttDir === null)
    missing.push("option 'inputAttDir' is not set: this model reads att (region) features");
  if (uses.fc && options.inputFcDir === null && options.inputAttDir === null) {
    missing.push(
      "options 'inputFcDir' and 'inputAttDir' are not set: this " +
        'model reads fc features (or their mean over att regions)',
    );
  }
  if (options.useBox === 1 && options.inputBoxDir === null)
    missing.push("option 'useBox' is 1 but 'inputBoxDir' is not set");
  if (missing.length > 0) throw new ExampleDataError('cannot start: options are missing', missing);

  const inputJson = options.inputJson as string;
  const inputLabelH5 = options.inputLabelH5 as string;
  const fcDir = uses.fc ? options.inputFcDir : null;
  const attDir = uses.att || fcDir === null ? options.inputAttDir : null;
  const report = await preflight({
    inputJson,
    inputLabelH5,
    inputFcDir: fcDir ?? undefined,
    inputAttDir: attDir ?? undefined,
    inputBoxDir: options.useBox === 1 ? (options.inputBoxDir ?? undefined) : undefined,
    fcFeatSize: fcDir !== null ? options.fcFeatSize : undefined,
    attFeatSize: attDir !== null ? options.attFeatSize : undefined,
    splits: check.splits,
    trainOnly: options.trainOnly === 1,
    selfCritical: check.cachedTokens !== null,
    cachedTokens: check.cachedTokens ?? undefined,
  });
  if (!report.ok) {
    const problems = report.errors.map((e) => e.message);
    for (const [kind, n] of Object.entries(report.suppressed)) problems.push(`... and ${n} more of kind ${kind}`);
    throw new ExampleDataError('the data is not ready for this run (nothing was trained)', problems);
  }

  const cocotalk = await readCocoTalk(inputJson);
  const labels = await readLabelsH5(inputLabelH5);
  let fc: FeatureStore | undefined = fcDir === null ? undefined : new FeatureDirectory(fcDir, { format: 'npy' });
  let att: FeatureStore | undefined = attDir === null ? undefined : new FeatureDirectory(attDir, { format: 'npz' });
  let box: FeatureStore | undefined =
    options.useBox === 1 && options.inputBoxDir !== null
      ? new FeatureDirectory(options.inputBoxDir, { format: 'npy' })
      : undefined;
  if (check.preload) {
    const ids = new Set<number>();
    for (const split of check.splits)
      for (const ix of splitIndices(cocotalk, split, options.trainOnly === 1))
        ids.add(cocotalk.images[ix]?.id as number);
    [fc, att, box] = await Promise.all(
      [fc, att, box].map((store) => (store === undefined ? undefined : preloadStore(store, [...ids]))),
    );
  }
  const attFeatSize = attDir === null || !uses.att ? 0 : options.attFeatSize + (options.useBox === 1 ? 5 : 0);
  const fcFeatSize = !uses.fc
    ? 0
    : fcDir !== null
      ? options.fcFeatSize
      : options.attFeatSize + (options.useBox === 1 ? 5 : 0);
  return {
    cocotalk,
    labels,
    fc,
    att,
    box,
    options,
    shape: { vocabSize: cocotalk.vocabulary.size, seqLength: labels.seqLength, fcFeatSize, attFeatSize },
  };
}

/** Reads every image's features of a store into memory (small data sets: no disk reads per batch). */
async function preloadStore(store: FeatureStore, ids: readonly number[]): Promise<FeatureStore> {
  const memory = new MemoryFeatureStore();
  const chunk = 64;
  for (let i = 0; i < ids.length; i += chunk) {
    const part = ids.slice(i, i + chunk);
    const arrays = await Promise.all(part.map((id) => store.get(id)));
    part.forEach((id, k) => memory.set(id, arrays[k] as NonNullable<(typeof arrays)[number]>));
  }
  return memory;
}

/** Reads the CIDEr-D document-frequency cache of `cachedTokens` (checked by {@link openRunData} before). */
export async function readRewardScorer(cachedTokens: string): Promise<CiderDScorer> {
  return ciderDScorerFromCache(await readDocumentFrequencyCache(documentFrequencyFile(cachedTokens)));
}

/** A loader over one split of the run's data. */
export function makeLoader(
  data: RunData,
  split: LoaderSplit,
  options: { batchSize: number; seqPerImg: number; seed: number; resume?: LoaderState; prefetch?: number },
): CaptionLoader {
  return new CaptionLoader({
    cocotalk: data.cocotalk,
    labels: data.labels,
    fc: data.fc,
    att: data.att,
    box: data.box,
    useBox: data.options.useBox === 1,
    normAttFeat: data.options.normAttFeat === 1,
    normBoxFeat: data.options.normBoxFeat === 1,
    trainOnly: data.options.trainOnly === 1,
    split,
    batchSize: options.batchSize,
    seqPerImg: options.seqPerImg,
    seed: options.seed,
    resume: options.resume,
    prefetch: options.prefetch,
  });
}
