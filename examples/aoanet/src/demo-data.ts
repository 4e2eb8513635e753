/**
 * The demo's folders and its data stage (shapes images and captions, region CNN features, prepro), shared
 * by `demo.ts` and `threads-identity.ts`. Every step is cached under `out/`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResolvedBackendKind } from '@caption/core';
import { createProgress, type ProgressReporter } from '@caption/data-coco';
import { preproOptionParser, runPrepro } from '@caption/example-common';
import { extractRegionFeatures, FEATURE_FOLDERS, generateShapes } from '@caption/example-shapes';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');

/** The demo's folders. */
export const DEMO_DIRS = {
  repoRoot,
  /** `examples/aoanet/configs` */
  configs: resolve(here, '..', 'configs'),
  /** `out/demo`: results, report, logs */
  out: join(repoRoot, 'out', 'demo'),
  /** `out/shapes`: the generated data set and its features */
  shapes: join(repoRoot, 'out', 'shapes'),
  /** `out/demo/data`: prepro outputs */
  data: join(repoRoot, 'out', 'demo', 'data'),
  /** `out/demo/runs`: one checkpoint folder per training run */
  runs: join(repoRoot, 'out', 'demo', 'runs'),
};

/** Demo data sizes (images per split), the CNN's training epochs and the seed of everything. */
export const DEMO_DATA = { train: 3000, val: 250, test: 500, seed: 1, cnnEpochs: 2 };

/** Progress of a staged long job: one bar (or line series) per stage. */
function stagedProgress(): { update(stage: string, done: number, total: number): void; stop(): void } {
  let current: { stage: string; bar: ProgressReporter; done: number } | null = null;
  return {
    update(stage, done, total) {
      if (current?.stage !== stage) {
        current?.bar.stop();
        current = { stage, bar: createProgress(stage, total), done: 0 };
      }
      while (current.done < done) {
        current.bar.tick();
        current.done += 1;
      }
    },
    stop() {
      current?.bar.stop();
      current = null;
    },
  };
}

/** Options of {@link prepareDemoData}. */
export interface DemoDataOptions {
  /** the backend that trains the region CNN and extracts the features */
  backend: ResolvedBackendKind;
  log: (line: string) => void;
  /** the time since the caller started, for the stage headers */
  elapsed: () => string;
  /** called once the images and both languages' captions are there, before the region CNN (work that needs only them can start) */
  onShapesReady?: () => void;
}

/**
 * Generates (or finds cached) the shapes data set, its region features and the prepro outputs, and
 * returns them with the data paths of a `train` run on them.
 */
export async function prepareDemoData(options: DemoDataOptions) {
  const { log, elapsed } = options;
  log(`\n== shapes data set (${DEMO_DATA.train} / ${DEMO_DATA.val} / ${DEMO_DATA.test} images) [${elapsed()}]`);
  const progress = stagedProgress();
  const shapes = await generateShapes({
    outDir: DEMO_DIRS.shapes,
    train: DEMO_DATA.train,
    val: DEMO_DATA.val,
    test: DEMO_DATA.test,
    seed: DEMO_DATA.seed,
    onProgress: (p) => progress.update(p.stage, p.done, p.total),
  });
  // the Chinese captions of the same images (the CLIP + GPT rows), made here so that manifest.json is stable
  const shapesZh = await generateShapes({
    outDir: DEMO_DIRS.shapes,
    train: DEMO_DATA.train,
    val: DEMO_DATA.val,
    test: DEMO_DATA.test,
    seed: DEMO_DATA.seed,
    language: 'zh',
    onProgress: (p) => progress.update(`${p.stage} (zh)`, p.done, p.total),
  });
  progress.stop();
  log(
    `shapes: ${shapes.cached.images ? 'cached' : 'generated'} in ${shapes.outDir} ` +
      `(Chinese captions ${shapesZh.cached.captions ? 'cached' : 'generated'})`,
  );
  options.onShapesReady?.();
  const features = await extractRegionFeatures({
    dataDir: shapes.outDir,
    backend: options.backend,
    epochs: DEMO_DATA.cnnEpochs,
    seed: DEMO_DATA.seed,
    onProgress: (p) => progress.update(p.stage, p.done, p.total),
  });
  progress.stop();
  const acc = features.accuracy;
  log(
    `region CNN (held-out crops: shape ${(100 * acc.shape).toFixed(1)} %, colour ${(100 * acc.color).toFixed(1)} %, size ${(100 * acc.size).toFixed(1)} %); features ${features.cached ? 'cached' : 'extracted'}, ${features.featureDim}-d`,
  );

  log(`\n== prepro [${elapsed()}]`);
  const dataDir = DEMO_DIRS.data;
  const cocotalk = join(dataDir, 'cocotalk.json');
  const datasetStamp = `${shapes.datasetPath}:${readFileSync(join(shapes.outDir, 'manifest.json'), 'utf8').length}:${JSON.stringify(shapes.counts)}`;
  const stampFile = join(dataDir, 'prepro-source.txt');
  if (!existsSync(cocotalk) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== datasetStamp) {
    const size = JSON.parse(readFileSync(join(shapes.outDir, 'scenes.json'), 'utf8')) as {
      imageSize: number;
      images: Array<{ id: number }>;
    };
    const imageSizes = new Map(
      size.images.map((im) => [im.id, { width: size.imageSize, height: size.imageSize }] as const),
    );
    const { values } = preproOptionParser.parse({
      defaults: {
        inputJson: shapes.datasetPath,
        outputJson: cocotalk,
        outputH5: join(dataDir, 'cocotalk'),
        outputPkl: join(dataDir, 'shapes-train'),
      },
    });
    await runPrepro(values, { log, imageSizes });
    writeFileSync(stampFile, datasetStamp);
  } else {
    log(`prepro: cached in ${dataDir}`);
  }

  const paths = {
    inputJson: cocotalk,
    inputLabelH5: join(dataDir, 'cocotalk_label.h5'),
    inputAttDir: join(shapes.outDir, FEATURE_FOLDERS.att),
    inputFcDir: join(shapes.outDir, FEATURE_FOLDERS.fc),
    inputBoxDir: join(shapes.outDir, FEATURE_FOLDERS.box),
    referenceJson: shapes.datasetPath,
    cachedTokens: join(dataDir, 'shapes-train-idxs'),
    fcFeatSize: features.featureDim,
    attFeatSize: features.featureDim,
  };
  return { shapes, features, cocotalk, paths };
}
