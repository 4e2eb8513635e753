/**
 * `pipeline`: the CLIP + GPT system on the shapes data, from nothing, cached and resumable:
 *
 * 1. the shapes data (English and Chinese captions of the same images), generated when absent;
 * 2. one CLIP per language (`runs/clip-<lang>`), both at once (two processes);
 * 3. the captioners, initialised from their CLIP's text tower: English with seeds s, s+1, s+2
 *    (`runs/clipcap-en-s<seed>`), Chinese with seed s (`runs/clipcap-zh-s<seed>`), two at a time;
 * 4. the test split: CLIP retrieval recall (with chance), each captioner and the English ensemble captioned from the
 *    images and scored with `@caption/metrics`, timed per image;
 * 5. `results.json` (`clipcap`, `clipcap-zh`, `clipcap-ensemble` with coco-caption's score names, `clip-retrieval`
 *    with `R@1`, `R@5`, `chance`; then the other members), `summary.json` (everything, with times and load
 *    averages) and `report.html` (`@caption/example-common`'s report).
 *
 * A finished run whose options are unchanged is not retrained (a captioner also needs the same CLIP checkpoint);
 * a stopped one resumes; `--fresh` retrains all. SIGINT / SIGTERM: see `stages.ts`.
 */
import { existsSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, initBackend, signalExitCode } from '@caption/core';
import { ExampleOptionsError, kebabCase, SCORE_KEYS, writeReport } from '@caption/example-common';
import { type CaptionLanguage, generateShapes } from '@caption/example-shapes';
import type { CocoScoreName } from '@caption/metrics';
import { clipRunFiles, clipRunFinished, type ClipRunModel } from './clip-pretraining';
import { readShapesCaptions } from './data';
import { type EvaluatedModel, evaluateCaptioners } from './eval-command';
import {
  type PipelineOptions,
  type PretrainOptions,
  pretrainOptionParser,
  type TrainOptions,
  trainOptionParser,
} from './options';
import { meanRecall, type RetrievalResult } from './retrieval';
import { readRunJson, resolvePath, writeJson } from './run-files';
import { runStages, type Stage } from './stages';

/** The data set the pipeline generates when `dataDir` has none (the demo's sizes; seed 1 as the demo). */
const SHAPES_SEED = 1;

/** `clip-retrieval` of `results.json`. */
export interface RetrievalSummary {
  /** Mean of image → text and text → image recall@1 (fractions). */
  'R@1': number;
  'R@5': number;
  /** What a random ranking gets, same keys. */
  chance: { 'R@1': number; 'R@5': number };
  imageToText: RetrievalResult['recall']['imageToText'];
  textToImage: RetrievalResult['recall']['textToImage'];
  images: number;
  captions: number;
}

/** What {@link runPipeline} returns (and writes as `summary.json`). */
export interface PipelineSummary {
  date: string;
  machine: string;
  loadAverage: { start: number[]; end: number[] };
  wallSeconds: number;
  stageSeconds: Record<string, number>;
  cachedStages: string[];
  /** `results.json`'s content. */
  results: Record<string, Partial<Record<CocoScoreName, number>> | RetrievalSummary>;
  models: EvaluatedModel[];
  retrieval: Record<string, RetrievalSummary>;
  backend: string;
}

/** Command-line flags of an option object (only the keys given). */
function flags(values: Record<string, unknown>): string[] {
  return Object.entries(values)
    .filter(([, v]) => v !== null && v !== undefined)
    .flatMap(([k, v]) => [`--${kebabCase(k)}`, String(v)]);
}

/** Same option values (JSON comparison of the validated objects). */
const sameOptions = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs the pipeline (see the file comment). Returns the exit status: 0, or 130 / 143 after a stop.
 */
export async function runPipeline(
  o: PipelineOptions,
  io: { log: (line: string) => void; onSummary?: (s: PipelineSummary) => void } = {
    log: (l) => void process.stderr.write(`${l}\n`),
  },
): Promise<number> {
  const { log } = io;
  const started = performance.now();
  const loadStart = loadavg();
  const outDir = resolvePath(o.outDir);
  const dataDir = resolvePath(o.dataDir);
  const runsDir = join(outDir, 'runs');
  const languages = o.languages
    .split(',')
    .map((l) => l.trim())
    .filter((l) => l !== '') as CaptionLanguage[];
  for (const l of languages)
    if (l !== 'en' && l !== 'zh')
      throw new ExampleOptionsError('languages', `pipeline: languages must be en and/or zh, got "${l}"`);

  for (const language of languages) {
    const shapes = await generateShapes({
      outDir: dataDir,
      train: o.train,
      val: o.val,
      test: o.test,
      seed: SHAPES_SEED,
      language,
    });
    log(`clipcap: shapes ${language} captions ${shapes.cached.captions ? 'cached' : 'generated'} in ${dataDir}`);
  }

  const common = { dataDir, backend: o.backend, progress: 'lines' };
  const clipOptions = (language: CaptionLanguage): PretrainOptions =>
    pretrainOptionParser.parse({
      configFile: o.clipConfig === null ? undefined : resolvePath(o.clipConfig),
      defaults: { ...common, language, seed: o.seed, checkpointPath: join(runsDir, `clip-${language}`) },
    }).values;
  const seedsOf = (language: CaptionLanguage): number[] =>
    language === 'en' ? Array.from({ length: o.ensembleSize }, (_, k) => o.seed + k) : [o.seed];
  const captionerOptions = (language: CaptionLanguage, seed: number): TrainOptions =>
    trainOptionParser.parse({
      configFile: o.trainConfig === null ? undefined : resolvePath(o.trainConfig),
      defaults: {
        ...common,
        language,
        seed,
        clipRun: join(runsDir, `clip-${language}`),
        checkpointPath: join(runsDir, `clipcap-${language}-s${seed}`),
      },
    }).values;

  /**
   * Whether a run folder holds a finished run (`finalFile` written) trained with `config` (as stored in its latest
   * checkpoint); a run trained with another configuration (or every run, with --fresh) is removed first, and a
   * stopped run with the same configuration is resumed by its stage.
   */
  const finishedWith = (runDir: string, finalFile: string, config: unknown): boolean => {
    if (!existsSync(runDir)) return false;
    const latest = existsSync(join(runDir, 'latest.json')) ? new CheckpointStore(runDir).resolve('latest') : null;
    const stored =
      latest === null
        ? null
        : readRunJson<{ config: unknown }>(join(latest, 'training-state.json'), 'a checkpoint').config;
    if (o.fresh || (stored !== null && !sameOptions(stored, config))) {
      log(`clipcap: ${runDir}: ${o.fresh ? '--fresh' : 'the configuration changed'}; starting it again`);
      rmSync(runDir, { recursive: true, force: true });
      return false;
    }
    return existsSync(finalFile);
  };
  const stages: Stage[] = [];
  for (const language of languages) {
    const clip = clipOptions(language);
    stages.push({
      name: `clip-${language}`,
      after: [],
      plan: () => {
        const runDir = clip.checkpointPath as string;
        const done = finishedWith(runDir, clipRunFiles(runDir).model, clip) && clipRunFinished(runDir);
        return done ? null : ['pretrain', ...flags(clip)];
      },
    });
    for (const seed of seedsOf(language)) {
      const cap = captionerOptions(language, seed);
      stages.push({
        name: `clipcap-${language}-s${seed}`,
        after: [`clip-${language}`],
        plan: () => {
          const runDir = cap.checkpointPath as string;
          const clipCheckpoint = readRunJson<ClipRunModel>(
            clipRunFiles(cap.clipRun as string).model,
            '`pretrain`',
          ).checkpoint;
          const done = finishedWith(runDir, join(runDir, 'captioner.json'), { ...cap, clipCheckpoint });
          return done ? null : ['train', ...flags(cap)];
        },
      });
    }
  }

  log(
    `\n== clipcap: ${stages.length} training runs (${languages.join(', ')}), ${o.jobs} at a time [${((performance.now() - started) / 1000).toFixed(0)} s]`,
  );
  const ran = await runStages(stages, { jobs: o.jobs, logDir: join(outDir, 'logs'), log });
  if (ran.signal !== null) return signalExitCode(ran.signal);

  // evaluation on the test split, in this process
  const backend = await initBackend(o.backend, { quiet: true });
  const evalStarted = performance.now();
  const models: EvaluatedModel[] = [];
  const retrieval: Record<string, RetrievalSummary> = {};
  for (const language of languages) {
    const r = readRunJson<RetrievalResult>(clipRunFiles(join(runsDir, `clip-${language}`)).retrieval, '`pretrain`');
    retrieval[language] = {
      ...meanRecall(r.recall),
      chance: meanRecall(r.chance),
      imageToText: r.recall.imageToText,
      textToImage: r.recall.textToImage,
      images: r.images,
      captions: r.captions,
    };
    const runs = seedsOf(language).map((s) => join(runsDir, `clipcap-${language}-s${s}`));
    const names = seedsOf(language).map((s, k) =>
      k === 0
        ? language === 'en'
          ? 'clipcap'
          : `clipcap-${language}`
        : `clipcap-${language === 'en' ? '' : `${language}-`}s${s}`,
    );
    models.push(
      ...(await evaluateCaptioners({
        runs,
        split: 'test',
        generation: { beamSize: o.beamSize, maxLength: 30, batchSize: 100 },
        evalDirOf: (name) => join(outDir, 'eval-test', name),
        names: { members: names, ensemble: language === 'en' ? 'clipcap-ensemble' : `clipcap-${language}-ensemble` },
        meteorData: o.meteorData === null ? null : resolvePath(o.meteorData),
        zhTokenize: o.zhTokenize,
        dataDir,
        log,
      })),
    );
  }
  const evalSeconds = (performance.now() - evalStarted) / 1000;

  const results: PipelineSummary['results'] = {};
  const ordered = ['clipcap', 'clipcap-zh', 'clipcap-ensemble'];
  for (const name of [...ordered, ...models.map((m) => m.name).filter((n) => !ordered.includes(n))]) {
    const m = models.find((x) => x.name === name);
    if (m !== undefined)
      results[name] = Object.fromEntries(
        SCORE_KEYS.filter((k) => m.corpus[k] !== undefined).map((k) => [k, m.corpus[k]]),
      );
    if (name === 'clipcap-ensemble' && retrieval.en !== undefined) results['clip-retrieval'] = retrieval.en;
  }
  if (results['clip-retrieval'] === undefined && retrieval.en !== undefined) results['clip-retrieval'] = retrieval.en;
  if (retrieval.zh !== undefined) results['clip-retrieval-zh'] = retrieval.zh;
  writeJson(join(outDir, 'results.json'), results);

  const wallSeconds = (performance.now() - started) / 1000;
  const summary: PipelineSummary = {
    date: new Date().toISOString(),
    machine: `${cpus().length} CPU cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    loadAverage: { start: loadStart, end: loadavg() },
    wallSeconds,
    stageSeconds: { ...ran.seconds, evaluation: evalSeconds },
    cachedStages: ran.cached,
    results,
    models,
    retrieval,
    backend: backend.description,
  };
  writeJson(join(outDir, 'summary.json'), summary);

  const en = languages.includes('en') ? await readShapesCaptions(dataDir, 'en') : null;
  const test = (en ?? (await readShapesCaptions(dataDir, languages[0] as CaptionLanguage))).splits.test;
  const reportModels = models.filter((m) => m.name !== 'clipcap-zh-ensemble');
  const report = writeReport({
    title: 'caption: CLIP + GPT (ClipCap, the seed system) on the shapes data set',
    out: join(outDir, 'report.html'),
    models: reportModels.map((m) => ({
      name: m.name,
      runDirs: m.runDirs.length === 1 ? m.runDirs : [],
      evalDir: m.evalDir,
    })),
    references: Object.fromEntries(test.ids.map((id, i) => [String(id), test.captions[i] as string[]])),
    images: new Map(test.ids.map((id, i) => [String(id), test.files[i] as string] as const)),
    numImages: 24,
    environment: pipelineEnvironment(summary),
  });
  printTable(summary, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(`results: ${join(outDir, 'results.json')}\nreport:  ${report}\n`);
  io.onSummary?.(summary);
  return 0;
}

/** Lines of the report's environment table. */
export function pipelineEnvironment(s: PipelineSummary): Array<[string, string]> {
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  const lines: Array<[string, string]> = [
    ['date', s.date],
    ['machine', s.machine],
    ['backend', s.backend],
    [
      'wall time (CLIP + GPT pipeline)',
      `${s.wallSeconds.toFixed(0)} s; load average ${s.loadAverage.start.map((x) => x.toFixed(1)).join(' ')} → ${s.loadAverage.end.map((x) => x.toFixed(1)).join(' ')}`,
    ],
  ];
  for (const [language, r] of Object.entries(s.retrieval))
    lines.push([
      `CLIP retrieval (${language}, test: ${r.images} images, ${r.captions} captions)`,
      `R@1 image→text ${pct(r.imageToText['R@1'])}, text→image ${pct(r.textToImage['R@1'])} (chance ${pct(r.chance['R@1'])}); R@5 ${pct(r.imageToText['R@5'])} / ${pct(r.textToImage['R@5'])} (chance ${pct(r.chance['R@5'])})`,
    ]);
  for (const m of s.models)
    lines.push([
      `inference, ${m.name}`,
      `${m.msPerImage.total.toFixed(2)} ms per image (CLIP image tower ${m.msPerImage.encode.toFixed(2)} + generation ${m.msPerImage.generate.toFixed(2)})`,
    ]);
  for (const m of s.models.filter((x) => x.scoring.startsWith('Chinese')).slice(0, 1))
    lines.push(['Chinese scores', m.scoring]);
  return lines;
}

/** The pipeline's score table (coco-caption keys) and retrieval lines. */
export function printTable(s: PipelineSummary, write: (line: string) => void): void {
  const keys = SCORE_KEYS.filter((k) => s.models.some((m) => m.corpus[k] !== undefined));
  const rows = [
    ['model', ...keys, 'ms/image'],
    ...s.models.map((m) => [
      m.name,
      ...keys.map((k) => (m.corpus[k] === undefined ? '–' : (m.corpus[k] as number).toFixed(3))),
      m.msPerImage.total.toFixed(2),
    ]),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const r of rows)
    write(
      `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`,
    );
  for (const [language, r] of Object.entries(s.retrieval))
    write(
      `CLIP ${language} retrieval (test): R@1 ${(100 * r['R@1']).toFixed(1)} % (chance ${(100 * r.chance['R@1']).toFixed(2)} %), R@5 ${(100 * r['R@5']).toFixed(1)} % (chance ${(100 * r.chance['R@5']).toFixed(2)} %)`,
    );
}
