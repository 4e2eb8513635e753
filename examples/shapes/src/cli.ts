/**
 * `npm run generate -w @caption/example-shapes -- [--out DIR] [--seed N] [--train N] [--val N] [--test N]
 * [--language en|zh] [--captions-per-image N] [--force] [--features [--backend KIND] [--cnn-epochs N]]`
 *
 * Relative paths are resolved against the folder npm was started from (`INIT_CWD`), so `--out out/shapes`
 * means the repository's `out/shapes` when run from the root.
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { BackendKind } from '@caption/core';
import { generateShapes, type GenerateProgress } from './generate';
import { createProgress, type ProgressReporter } from '@caption/data-coco';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`not an integer: ${value}`);
  return n;
}

const program = new Command()
  .name('generate')
  .description('Generate the shapes captioning data set (images, scenes, Karpathy split file); cached by configuration')
  .option('--out <dir>', 'output folder (default: <repo>/out/shapes)')
  .option('--seed <n>', 'seed', integer, 1)
  .option('--train <n>', 'train images', integer, 4000)
  .option('--val <n>', 'val images', integer, 500)
  .option('--test <n>', 'test images', integer, 500)
  .option('--image-size <n>', 'image side in pixels', integer, 64)
  .addOption(new Option('--language <lang>', 'caption language').choices(['en', 'zh']).default('en'))
  .option('--captions-per-image <n>', 'captions per image', integer, 5)
  .option('--force', 'regenerate even when the output is current', false)
  .option('--features', 'also train the region CNN and write bottom-up region features (att/fc/box)', false)
  .addOption(
    new Option('--backend <kind>', 'tfjs backend for --features')
      .choices(['auto', 'node-gpu', 'node', 'wasm', 'cpu'])
      .default('auto'),
  )
  .option('--cnn-epochs <n>', 'region CNN training epochs (--features)', integer, 5)
  .showHelpAfterError();

program.parse();
const opts = program.opts<{
  out?: string;
  seed: number;
  train: number;
  val: number;
  test: number;
  imageSize: number;
  language: 'en' | 'zh';
  captionsPerImage: number;
  force: boolean;
  features: boolean;
  backend: BackendKind;
  cnnEpochs: number;
}>();

/** One data-coco progress reporter per stage, fed with the increments of `done`. */
function stageProgress(): { update(stage: string, done: number, total: number): void; stop(): void } {
  let current: { stage: string; done: number; reporter: ProgressReporter } | null = null;
  const stop = (): void => {
    current?.reporter.stop();
    current = null;
  };
  return {
    update(stage, done, total) {
      if (current?.stage !== stage) {
        stop();
        current = { stage, done: 0, reporter: createProgress(stage, total) };
      }
      for (; current.done < done; current.done++) current.reporter.tick();
    },
    stop,
  };
}

const progress = stageProgress();
const started = performance.now();
try {
  const data = await generateShapes({
    outDir: opts.out === undefined ? undefined : resolve(process.env.INIT_CWD ?? process.cwd(), opts.out),
    seed: opts.seed,
    train: opts.train,
    val: opts.val,
    test: opts.test,
    imageSize: opts.imageSize,
    language: opts.language,
    captionsPerImage: opts.captionsPerImage,
    force: opts.force,
    onProgress: (p: GenerateProgress) => progress.update(p.stage, p.done, p.total),
  });
  progress.stop();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const what = data.cached.images && data.cached.captions ? 'already current' : `written in ${seconds} s`;
  console.log(
    `shapes data ` +
      `set (${data.counts.train} train / ${data.counts.val} val / ${data.counts.test} test, ${data.language}) ${what}: ${data.datasetPath}`,
  );
  if (opts.features) {
    // loaded only here: it brings in TensorFlow.js
    const { extractRegionFeatures } = await import('./features');
    const feats = await extractRegionFeatures({
      dataDir: data.outDir,
      backend: opts.backend,
      epochs: opts.cnnEpochs,
      force: opts.force,
      onProgress: (p) => progress.update(p.stage, p.done, p.total),
    });
    progress.stop();
    const a = feats.accuracy;
    const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
    console.log(
      `region ` +
        `features (D=${feats.featureDim}) ${feats.cached ? 'already current' : `written (CNN trained in ${feats.seconds.train.toFixed(1)} s, features in ${feats.seconds.extract.toFixed(1)} s)`}: ${feats.attDir}`,
    );
    console.log(
      `region CNN held-out ` +
        `accuracy on ${a.crops} val crops: shape ${pct(a.shape)}, colour ${pct(a.color)}, size ${pct(a.size)}`,
    );
  }
} catch (err) {
  progress.stop();
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
}
