/**
 * A tiny prepared data set for the tests, written to a temporary folder: a Karpathy split file whose
 * captions name the colour and shape encoded in each image's region features, the prepro outputs
 * (vocabulary, labels, DF caches), and att / fc / box feature folders.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@caption/core';
import { FeatureDirectory } from '@caption/data-coco';
import { preproOptionParser, runPrepro } from '@caption/example-common';

/** Paths of the tiny data set (the option names of `train`). */
export interface TinyData {
  root: string;
  inputJson: string;
  inputLabelH5: string;
  inputAttDir: string;
  inputFcDir: string;
  inputBoxDir: string;
  cachedTokens: string;
  referenceJson: string;
  /** Feature size. */
  featSize: number;
}

const COLORS = ['red', 'blue', 'green'];
const SHAPES = ['circle', 'square', 'star'];

/** Writes the data set: `counts` images per split, 3 regions of `featSize` features each. */
export async function writeTinyData(counts = { train: 24, val: 4, test: 4 }, featSize = 8): Promise<TinyData> {
  const root = mkdtempSync(join(tmpdir(), 'caption-aoanet-test-'));
  const rng = new Random(7);
  const images: unknown[] = [];
  const att = new FeatureDirectory(join(root, 'att'), { format: 'npz', compress: false });
  const fc = new FeatureDirectory(join(root, 'fc'), { format: 'npy' });
  const box = new FeatureDirectory(join(root, 'box'), { format: 'npy' });
  for (const dir of ['att', 'fc', 'box']) mkdirSync(join(root, dir), { recursive: true });
  let sentid = 0;
  let imgid = 0;
  for (const split of ['train', 'val', 'test'] as const) {
    for (let i = 0; i < counts[split]; i++, imgid++) {
      const color = rng.nextInt(COLORS.length);
      const shape = rng.nextInt(SHAPES.length);
      const c = COLORS[color] as string;
      const s = SHAPES[shape] as string;
      const captions = [
        `a ${c} ${s}`,
        `one ${c} ${s}`,
        `a ${s} that is ${c}`,
        `there is a ${c} ${s}`,
        `a single ${c} ${s}`,
      ];
      images.push({
        split,
        filepath: 'images',
        filename: `${imgid + 1}.png`,
        imgid,
        cocoid: imgid + 1,
        sentids: captions.map((_, k) => sentid + k),
        sentences: captions.map((raw, k) => ({ raw, tokens: raw.split(' '), imgid, sentid: sentid + k })),
      });
      sentid += captions.length;
      const regions = 3;
      const data = new Float32Array(regions * featSize);
      for (let k = 0; k < data.length; k++) data[k] = 0.1 * (rng.next() - 0.5);
      data[color] = 1; // region 0: colour one-hot
      data[featSize + 3 + shape] = 1; // region 1: shape one-hot
      await att.put(imgid + 1, { data, shape: [regions, featSize] });
      const mean = new Float32Array(featSize);
      for (let k = 0; k < data.length; k++)
        mean[k % featSize] = (mean[k % featSize] as number) + (data[k] as number) / regions;
      await fc.put(imgid + 1, { data: mean, shape: [featSize] });
      await box.put(imgid + 1, {
        data: Float32Array.from([0, 0, 32, 32, 32, 32, 64, 64, 0, 0, 64, 64]),
        shape: [regions, 4],
      });
    }
  }
  const datasetJson = join(root, 'dataset_tiny.json');
  await writeFile(datasetJson, JSON.stringify({ dataset: 'tiny', images }));
  const { values } = preproOptionParser.parse({
    defaults: {
      inputJson: datasetJson,
      outputJson: join(root, 'cocotalk.json'),
      outputH5: join(root, 'cocotalk'),
      outputPkl: join(root, 'tiny-train'),
      wordCountThreshold: 0,
      quiet: true,
    },
  });
  const sizes = new Map(Array.from({ length: imgid }, (_, i) => [i + 1, { width: 64, height: 64 }] as const));
  const out = await runPrepro(values, { imageSizes: sizes });
  return {
    root,
    inputJson: out.inputJson,
    inputLabelH5: out.inputLabelH5,
    inputAttDir: join(root, 'att'),
    inputFcDir: join(root, 'fc'),
    inputBoxDir: join(root, 'box'),
    cachedTokens: out.cachedTokens,
    referenceJson: datasetJson,
    featSize,
  };
}

/**
 * Options of a tiny AoANet run on {@link TinyData}: XE for two epochs (scheduled sampling in the second), then
 * self-critical.
 */
export function tinyTrainOptions(data: TinyData, runDir: string): Record<string, unknown> {
  return {
    captionModel: 'aoa',
    inputJson: data.inputJson,
    inputLabelH5: data.inputLabelH5,
    inputAttDir: data.inputAttDir,
    inputFcDir: data.inputFcDir,
    inputBoxDir: data.inputBoxDir,
    cachedTokens: data.cachedTokens,
    referenceJson: data.referenceJson,
    attFeatSize: data.featSize,
    fcFeatSize: data.featSize,
    useBox: 1,
    rnnSize: 16,
    inputEncodingSize: 16,
    numHeads: 2,
    useFf: 0,
    ctxDrop: 1,
    batchSize: 4,
    seqPerImg: 2,
    learningRate: 5e-3,
    labelSmoothing: 0.1,
    scheduledSamplingStart: 0,
    scheduledSamplingIncreaseEvery: 1,
    scheduledSamplingIncreaseProb: 0.25,
    selfCriticalAfter: 2,
    maxEpochs: 3,
    languageEval: 1,
    valImagesUse: -1,
    maxLength: 8,
    checkpointPath: runDir,
    backend: 'wasm',
    progress: 'lines',
    lossesLogEvery: 1,
    saveCheckpointEvery: 1000,
  };
}
