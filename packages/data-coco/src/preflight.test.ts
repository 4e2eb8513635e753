import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCocoTalk } from './cocotalk.js';
import { FeatureDirectory } from './feature-store.js';
import { type KarpathyDataset, parseKarpathyDataset } from './karpathy.js';
import { writeLabelsH5 } from './labels.js';
import { buildNgramCaches, writeDocumentFrequencyCache } from './ngrams.js';
import { type PreflightConfig, preflight } from './preflight.js';
import { type PreparedLabels, prepareLabels } from './prepro.js';
import { Vocabulary } from './vocabulary.js';

const root = mkdtempSync(join(tmpdir(), 'data-coco-preflight-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const words = ['a', 'dog', 'cat', 'runs', 'on', 'grass', 'the', 'sits', 'mat', 'red', 'ball'];
const dataset: KarpathyDataset = parseKarpathyDataset({
  images: Array.from({ length: 12 }, (_, i) => ({
    split: i < 7 ? 'train' : i < 8 ? 'restval' : i < 10 ? 'val' : 'test',
    filename: `${i}.jpg`,
    cocoid: 500 + i,
    sentences: Array.from({ length: 3 + (i % 3) }, (_, j) => ({
      tokens: Array.from({ length: 2 + ((i + j) % 5) }, (_, t) => words[(i * 3 + j * 2 + t) % words.length] as string),
    })),
  })),
});

let prepared: PreparedLabels;
let config: PreflightConfig;

/** A complete, consistent data folder (with fc [6], att [K, 4], boxes [K, 4], both DF caches). */
async function makeFolder(name: string): Promise<PreflightConfig> {
  const dir = join(root, name);
  const fc = new FeatureDirectory(join(dir, 'fc'), { format: 'npy' });
  const att = new FeatureDirectory(join(dir, 'att'), { format: 'npz' });
  const box = new FeatureDirectory(join(dir, 'box'), { format: 'npy' });
  for (const image of prepared.cocotalk.images) {
    const k = 2 + (image.id % 3);
    await fc.put(image.id, { data: new Float32Array(6).fill(1), shape: [6] });
    await att.put(image.id, { data: new Float32Array(k * 4).fill(0.5), shape: [k, 4] });
    await box.put(image.id, { data: new Float32Array(k * 4), shape: [k, 4] });
  }
  await writeCocoTalk(join(dir, 'cocotalk.json'), prepared.cocotalk);
  await writeLabelsH5(join(dir, 'cocotalk_label.h5'), prepared.labels);
  const caches = buildNgramCaches(dataset.images, prepared.cocotalk.vocabulary, 'train');
  await writeDocumentFrequencyCache(join(dir, 'coco-train-idxs.p'), caches.idxs);
  await writeDocumentFrequencyCache(join(dir, 'coco-train-words.p'), caches.words);
  return {
    inputJson: join(dir, 'cocotalk.json'),
    inputLabelH5: join(dir, 'cocotalk_label.h5'),
    inputFcDir: join(dir, 'fc'),
    inputAttDir: join(dir, 'att'),
    inputBoxDir: join(dir, 'box'),
    fcFeatSize: 6,
    attFeatSize: 4,
    seqLength: 16,
    selfCritical: true,
    cachedTokens: join(dir, 'coco-train-idxs'),
  };
}

describe('preflight', () => {
  beforeAll(async () => {
    prepared = prepareLabels(dataset, { countThreshold: 1 });
    config = await makeFolder('good');
  });

  it('passes on consistent data, checking every feature file and the DF cache', async () => {
    const report = await preflight({ ...config, datasetJson: undefined });
    expect(report.errors.map((e) => e.message)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checked.featureFiles).toBe(36);
    expect(report.checked.images).toBe(12);
    expect(report.checked.dfNgrams).toBeGreaterThan(0);
  });

  it('catches a label index beyond the labels array, naming the image id and the dataset', async () => {
    const cfg = await makeFolder('bad-range');
    const labels = { ...prepared.labels, labelEndIx: prepared.labels.labelEndIx.slice() };
    labels.labelEndIx[3] = prepared.labels.count + 4;
    // written with h5wasm directly, as a foreign tool could (our writer refuses inconsistent labels)
    const h5wasm = (await import('h5wasm/node')).default;
    await h5wasm.ready;
    const f = new h5wasm.File(cfg.inputLabelH5 as string, 'w');
    f.create_dataset({ name: 'labels', data: labels.labels, shape: [labels.count, labels.seqLength], dtype: '<I' });
    f.create_dataset({ name: 'label_start_ix', data: labels.labelStartIx, shape: [12], dtype: '<I' });
    f.create_dataset({ name: 'label_end_ix', data: labels.labelEndIx, shape: [12], dtype: '<I' });
    f.create_dataset({ name: 'label_length', data: labels.labelLength, shape: [labels.count], dtype: '<I' });
    f.close();
    const report = await preflight(cfg);
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => [e.file, e.imageId, e.field])).toEqual([[cfg.inputLabelH5, '503', 'label_end_ix']]);
    expect(report.errors[0]?.message).toMatch(/is outside the labels array/);
  });

  it('catches feature files of the wrong shape and missing ones', async () => {
    const cfg = await makeFolder('bad-shape');
    await new FeatureDirectory(cfg.inputAttDir as string, { format: 'npz' }).put(507, {
      data: new Float32Array(21),
      shape: [3, 7],
    });
    await new FeatureDirectory(cfg.inputFcDir as string, { format: 'npy' }).put(501, {
      data: new Float32Array(12),
      shape: [2, 6],
    });
    unlinkSync(join(cfg.inputBoxDir as string, '510.npy'));
    const report = await preflight(cfg);
    const found = report.errors.map((e) => [e.imageId, e.field, e.problem]);
    expect(found).toContainEqual(['507', 'att', 'expected shape [K, 4] (or [h, w, 4]), found [3, 7]']);
    expect(found).toContainEqual(['501', 'fc', 'expected shape [6], found [2, 6]']);
    expect(found).toContainEqual(['510', 'box', 'feature file missing']);
    expect(report.errors.find((e) => e.imageId === '507')?.file).toBe(join(cfg.inputAttDir as string, '507.npz'));
  });

  it('catches labels made with another vocabulary (word ids beyond the vocabulary)', async () => {
    const cfg = await makeFolder('bad-vocab');
    const smaller = new Vocabulary(prepared.cocotalk.vocabulary.words.slice(0, 5));
    await writeCocoTalk(cfg.inputJson, { ...prepared.cocotalk, vocabulary: smaller });
    const report = await preflight({ ...cfg, selfCritical: false });
    const vocabErrors = report.errors.filter((e) => e.field === 'labels');
    expect(vocabErrors.length).toBeGreaterThan(0);
    expect(vocabErrors[0]?.message).toMatch(
      /holds word ids? [\d, …]+ \(at \d+ of its 16 positions\), but the vocabulary of .*cocotalk\.json has 5 words/,
    );
    // each bad row is reported with the image it belongs to (label_start_ix/label_end_ix), found here independently
    const rowOf = (e: { message: string }): number => Number(/row (\d+)/.exec(e.message)?.[1]);
    for (const error of vocabErrors) {
      const row = rowOf(error);
      const owner = prepared.cocotalk.images.findIndex(
        (_, i) =>
          (prepared.labels.labelStartIx[i] as number) <= row && row <= (prepared.labels.labelEndIx[i] as number),
      );
      expect(error.imageId, error.message).toBe(String(prepared.cocotalk.images[owner]?.id));
    }
    // one error per bad row (with the number of its bad positions), not one per position
    const rows = vocabErrors.map(rowOf);
    expect(new Set(rows).size).toBe(rows.length);
  });

  it('finds an .npy feature file shorter than its header says (headers only would pass it)', async () => {
    const cfg = await makeFolder('cut-npy');
    const file = join(cfg.inputFcDir as string, '504.npy');
    const whole = readFileSync(file);
    writeFileSync(file, whole.subarray(0, whole.length - 8)); // 6 float32 values: 24 bytes of data, 16 left
    const report = await preflight(cfg);
    expect(report.errors.map((e) => [e.file, e.imageId, e.field])).toEqual([[file, '504', 'data']]);
    expect(report.errors[0]?.problem).toMatch(
      /^data has 16 bytes, expected 24 for shape \[6\] float32 \(truncated\?\)$/,
    );
  });

  it("accepts for cachedTokens the prefix prepro-ngrams was given (<prefix>-idxs.p), as well as the reference's form", async () => {
    const cfg = await makeFolder('df-prefix');
    const prefix = join(root, 'df-prefix', 'coco-train');
    const report = await preflight({ ...cfg, cachedTokens: prefix });
    expect(report.errors.map((e) => e.message)).toEqual([]);
    expect(report.checked.dfNgrams).toBeGreaterThan(0);
    expect((await preflight({ ...cfg, cachedTokens: `${prefix}-idxs` })).ok).toBe(true);
    expect((await preflight({ ...cfg, cachedTokens: `${prefix}-idxs.p` })).ok).toBe(true);
  });

  it('catches a missing DF cache when self-critical training is configured, and not otherwise', async () => {
    const cfg = await makeFolder('no-df');
    unlinkSync(`${cfg.cachedTokens as string}.p`);
    const report = await preflight(cfg);
    expect(report.errors.map((e) => [e.file, e.field])).toEqual([[`${cfg.cachedTokens as string}.p`, 'cached_tokens']]);
    expect(report.errors[0]?.message).toMatch(/document-frequency cache is missing/);
    expect((await preflight({ ...cfg, selfCritical: false })).ok).toBe(true);
  });

  it('catches a DF cache made with another vocabulary order, and one recomputed differently from the dataset', async () => {
    const cfg = await makeFolder('df-other-vocab');
    const reordered = new Vocabulary([...prepared.cocotalk.vocabulary.words].reverse());
    const caches = buildNgramCaches(dataset.images, reordered, 'train');
    await writeDocumentFrequencyCache(`${cfg.cachedTokens as string}.p`, caches.idxs);
    const report = await preflight(cfg);
    expect(
      report.errors.some((e) => e.field === 'document_frequency' && /made with another vocabulary/.test(e.message)),
    ).toBe(true);
    const datasetJson = join(root, 'dataset.json');
    writeFileSync(
      datasetJson,
      JSON.stringify({ images: dataset.images.map((im) => ({ ...im, split: im.fileSplit })) }),
    );
    const recomputed = await preflight({ ...cfg, datasetJson });
    expect(recomputed.errors.some((e) => /gives/.test(e.message))).toBe(true);
    expect((await preflight({ ...config, datasetJson })).ok).toBe(true);
  });

  it('reports an unreadable -words cache and an unreadable dataset file instead of throwing', async () => {
    const cfg = await makeFolder('df-unreadable');
    writeFileSync(join(root, 'df-unreadable', 'coco-train-words.p'), 'not a pickle');
    const report = await preflight({ ...cfg, datasetJson: join(root, 'df-unreadable', 'absent.json') });
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.file)).toEqual([
      join(root, 'df-unreadable', 'coco-train-words.p'),
      join(root, 'df-unreadable', 'absent.json'),
    ]);
    expect(report.errors[1]?.message).toMatch(/cannot read the file/);
  });
});
