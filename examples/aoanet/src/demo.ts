/**
 * `npm run demo` (root): the whole pipeline on the shapes data set, from nothing, on the CPU:
 *
 * 1. generate the shapes images and captions (cached in `out/shapes`),
 * 2. train the small region CNN and extract bottom-up-style region features (cached),
 * 3. prepro: vocabulary, labels, CIDEr-D document frequencies (cached in `out/demo/data`),
 * 4. train Show-Tell (cross-entropy), AoANet (cross-entropy), then AoANet self-critical from the latter,
 *    with the configurations in `examples/aoanet/configs/shapes-*.yaml`,
 * 5. evaluate the three on the test split with `@caption/metrics`, print the table, and write
 *    `out/demo/results.json` (coco-caption score names) and `out/demo/report.html`.
 *
 * Training runs resume where they stopped (SIGINT/SIGTERM save a checkpoint), and a finished run whose
 * configuration has not changed is not retrained. `--fresh` starts every run from scratch.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointStore, initBackend } from '@caption/core';
import { createProgress, type ProgressReporter, readCocoTalk } from '@caption/data-coco';
import {
  type AnyFactory,
  type CaptionResult,
  chooseMeteor,
  evalOptionParser,
  runEval,
  runPrepro,
  runTraining,
  SCORE_KEYS,
  trainOptionParser,
  type TrainOptions,
  writeReport,
  preproOptionParser,
} from '@caption/example-common';
import { extractRegionFeatures, FEATURE_FOLDERS, generateShapes } from '@caption/example-shapes';
import { showTellFactory } from '@caption/example-show-tell';
import { type CocoScoreName, readReferences } from '@caption/metrics';
import { aoaFactory } from './factory';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const configDir = resolve(here, '..', 'configs');
const outDir = join(repoRoot, 'out', 'demo');
const shapesDir = join(repoRoot, 'out', 'shapes');
const dataDir = join(outDir, 'data');
const runsDir = join(outDir, 'runs');
const fresh = process.argv.includes('--fresh');
const factories: AnyFactory[] = [aoaFactory as AnyFactory, showTellFactory as AnyFactory];

/** Demo data sizes (images per split), the CNN's training epochs and the seed of everything. */
const DATA = { train: 3000, val: 250, test: 500, seed: 1, cnnEpochs: 2 };

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;

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

/** Reads the shared METEOR data beside the repository when nothing else was configured. */
function meteorDataFolder(): string | null {
  if (process.env.CAPTION_METEOR_DATA !== undefined && process.env.CAPTION_METEOR_DATA !== '') return null;
  const shared = resolve(process.env.CAPTION_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data'), 'meteor');
  return existsSync(join(shared, 'synonym', 'english.synsets')) ? shared : null;
}

/** Runs one training stage, unless a finished run with the same configuration is there already. */
async function train(name: string, config: string, paths: Record<string, unknown>): Promise<TrainOptions> {
  const runDir = join(runsDir, name);
  const { values } = trainOptionParser.parse({ configFile: join(configDir, config), defaults: { ...paths, checkpointPath: runDir, resume: true } });
  const latest = new CheckpointStore(runDir).load('latest');
  if (latest !== null && (fresh || JSON.stringify(latest.state.config) !== JSON.stringify(values))) {
    log(`${name}: the configuration changed since the run in ${runDir}; starting it again`);
    rmSync(runDir, { recursive: true, force: true });
  } else if (latest !== null && latest.state.epoch >= values.maxEpochs) {
    log(`${name}: already trained (${runDir})`);
    return values;
  }
  log(`\n== ${name}: training (${config}) [${elapsed()}]`);
  await runTraining(values, factories, { log });
  return values;
}

async function main(): Promise<void> {
  const backend = await initBackend('auto', { log });
  log(`demo: ${cpus().length} CPU cores, Node ${process.version}; backend ${backend.description}`);

  log(`\n== shapes data set (${DATA.train} / ${DATA.val} / ${DATA.test} images) [${elapsed()}]`);
  const progress = stagedProgress();
  const shapes = await generateShapes({ outDir: shapesDir, train: DATA.train, val: DATA.val, test: DATA.test, seed: DATA.seed, onProgress: (p) => progress.update(p.stage, p.done, p.total) });
  progress.stop();
  log(`shapes: ${shapes.cached.images ? 'cached' : 'generated'} in ${shapes.outDir}`);
  const features = await extractRegionFeatures({ dataDir: shapes.outDir, backend: backend.kind, epochs: DATA.cnnEpochs, seed: DATA.seed, onProgress: (p) => progress.update(p.stage, p.done, p.total) });
  progress.stop();
  const acc = features.accuracy;
  log(`region CNN (held-out crops: shape ${(100 * acc.shape).toFixed(1)} %, colour ${(100 * acc.color).toFixed(1)} %, size ${(100 * acc.size).toFixed(1)} %); features ${features.cached ? 'cached' : 'extracted'}, ${features.featureDim}-d`);

  log(`\n== prepro [${elapsed()}]`);
  const cocotalk = join(dataDir, 'cocotalk.json');
  const datasetStamp = `${shapes.datasetPath}:${readFileSync(join(shapes.outDir, 'manifest.json'), 'utf8').length}:${JSON.stringify(shapes.counts)}`;
  const stampFile = join(dataDir, 'prepro-source.txt');
  if (!existsSync(cocotalk) || !existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== datasetStamp) {
    const size = JSON.parse(readFileSync(join(shapes.outDir, 'scenes.json'), 'utf8')) as { imageSize: number; images: Array<{ id: number }> };
    const imageSizes = new Map(size.images.map((im) => [im.id, { width: size.imageSize, height: size.imageSize }] as const));
    const { values } = preproOptionParser.parse({
      defaults: { inputJson: shapes.datasetPath, outputJson: cocotalk, outputH5: join(dataDir, 'cocotalk'), outputPkl: join(dataDir, 'shapes-train') },
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
    meteorData: meteorDataFolder(),
  };
  const stShowTell = await train('show-tell', 'shapes-show-tell.yaml', paths);
  await train('aoanet-xe', 'shapes-aoanet-xe.yaml', paths);
  await train('aoanet-scst', 'shapes-aoanet-scst.yaml', { ...paths, startFrom: join(runsDir, 'aoanet-xe') });

  log(`\n== evaluation on the test split [${elapsed()}]`);
  const evals: Record<string, { runDirs: string[]; evalDir: string; corpus: Partial<Record<CocoScoreName, number>>; results: CaptionResult[]; meteor: string }> = {};
  const runsOf: Record<string, string[]> = { 'show-tell': ['show-tell'], 'aoanet-xe': ['aoanet-xe'], 'aoanet-scst': ['aoanet-xe', 'aoanet-scst'] };
  for (const [name, runs] of Object.entries(runsOf)) {
    const runDir = join(runsDir, runs[runs.length - 1] as string);
    const { values, explicit } = evalOptionParser.parse({
      configFile: join(configDir, 'shapes-eval.yaml'),
      defaults: { modelPath: runDir, dumpPath: join(runDir, 'eval-test'), meteorData: paths.meteorData, backend: backend.kind },
    });
    log(`${name}: captioning ${DATA.test} test images (beam ${values.beamSize})`);
    const out = await runEval(values, factories, { explicit });
    evals[name] = { runDirs: runs.map((r) => join(runsDir, r)), evalDir: out.dumpPath, corpus: out.corpus, results: out.results, meteor: out.meteor };
  }

  const results: Record<string, Partial<Record<CocoScoreName, number>>> = {};
  for (const [name, e] of Object.entries(evals)) results[name] = Object.fromEntries(SCORE_KEYS.filter((k) => e.corpus[k] !== undefined).map((k) => [k, e.corpus[k]]));
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const meteorNote = Object.values(evals)[0]?.meteor ?? chooseMeteor(paths.meteorData, null).note;
  const wall = (performance.now() - started) / 1000;
  const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, backend: backend.description, wallSeconds: wall, data: DATA, meteor: meteorNote, showTellRnnSize: stShowTell.rnnSize };
  writeFileSync(join(outDir, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);

  // the report: images of the test split, their reference captions, every model's captions and scores
  const talk = await readCocoTalk(cocotalk);
  const images = new Map(talk.images.filter((im) => im.filePath !== undefined).map((im) => [String(im.id), join(shapes.outDir, im.filePath as string)]));
  const { refs } = readReferences(JSON.parse(readFileSync(shapes.datasetPath, 'utf8')), { split: 'test', file: shapes.datasetPath });
  const report = writeReport({
    title: 'caption demo: Show-Tell and AoANet on the shapes data set',
    out: join(outDir, 'report.html'),
    models: Object.entries(evals).map(([name, e]) => ({ name, runDirs: e.runDirs, evalDir: e.evalDir })),
    references: refs,
    images,
    numImages: 24,
    environment: [
      ['date', meta.date],
      ['machine', `${meta.cpus} CPU cores, Node ${meta.node}`],
      ['backend', backend.description],
      ['wall time (whole demo)', `${wall.toFixed(0)} s`],
      ['data', `shapes: ${DATA.train} train / ${DATA.val} val / ${DATA.test} test images, 5 captions each; region CNN ${(100 * acc.shape).toFixed(1)} % shape accuracy`],
      ['METEOR', meteorNote],
      ['references', `raw captions of ${shapes.datasetPath} (PTB-tokenized by @caption/metrics)`],
    ],
  });

  // the table
  const keys = SCORE_KEYS.filter((k) => Object.values(results).some((r) => r[k] !== undefined));
  const rows = [['model', ...keys], ...Object.entries(results).map(([name, r]) => [name, ...keys.map((k) => (r[k] === undefined ? '–' : (r[k] as number).toFixed(3)))])];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  process.stdout.write(`\nTest split of the shapes data set (${DATA.test} images), scores from @caption/metrics; backend ${backend.description}\n`);
  process.stdout.write(`${line(rows[0] as string[])}\n|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|\n`);
  for (const r of rows.slice(1)) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(`${meteorNote}\nresults: ${join(outDir, 'results.json')}\nreport:  ${report}\nwall time: ${wall.toFixed(0)} s\n`);
  const c = (name: string): number => results[name]?.CIDEr ?? Number.NaN;
  const checks = [
    ['AoANet after SCST has a higher CIDEr than after XE alone', c('aoanet-scst') > c('aoanet-xe')],
    ['AoANet beats Show-Tell (CIDEr)', Math.max(c('aoanet-xe'), c('aoanet-scst')) > c('show-tell') && c('aoanet-xe') > c('show-tell')],
  ] as const;
  for (const [what, ok] of checks) process.stdout.write(`${ok ? 'yes' : 'NO '}  ${what}\n`);
}

await main();
