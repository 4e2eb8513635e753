/**
 * `npm run demo` (root): the whole pipeline on the shapes data set, from nothing, on the CPU:
 *
 * 1. generate the shapes images and captions, English and Chinese (cached in `out/shapes`),
 * 2. train the small region CNN and extract bottom-up-style region features (cached),
 * 3. prepro: vocabulary, labels, CIDEr-D document frequencies (cached in `out/demo/data`),
 * 4. train Show-Tell (cross-entropy) in a child process, on the machine's second core, while this process
 *    trains AoANet (cross-entropy), then AoANet self-critical from the latter's best checkpoint, with the
 *    configurations in `examples/aoanet/configs/shapes-*.yaml` (`--schedule concurrent`, the default: one
 *    wasm thread per process); or, with `--schedule sequential`, the three one after the other in this
 *    process, each on all the machine's cores (wasm threads); the CLIP + GPT pipeline of `examples/clipcap`
 *    (CLIPs pre-trained from the images, captioners initialised from their text towers, English and Chinese,
 *    an ensemble of three; in `out/demo/clipcap`) runs in another child: as soon as the shapes images and captions
 *    exist (during the region CNN and prepro), beside the others, with two training processes of its own
 *    (concurrent), or after them, one training process at a time (sequential),
 * 5. evaluate the three on the test split with `@caption/metrics`, print the table with the CLIP + GPT rows
 *    and CLIP's retrieval recall, and write `out/demo/results.json` (coco-caption score names; `clip-retrieval`),
 *    `out/demo/run.json` (machine, load average, wall seconds per stage) and `out/demo/report.html`.
 *
 * Training runs resume where they stopped (SIGINT/SIGTERM save a checkpoint), and a finished run whose
 * configuration has not changed is not retrained. `--fresh` starts every run from scratch; `--seed N`
 * (default 42) seeds the three training runs (the data set and the region CNN keep theirs). Which schedule
 * is faster end to end depends on the machine: compare `wallSeconds` in `out/demo/run.json` after
 * `npm run demo -- --fresh --schedule concurrent` and `npm run demo -- --fresh --schedule sequential`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CheckpointStore, GracefulStop, initBackend, signalExitCode } from '@caption/core';
import { readCocoTalk } from '@caption/data-coco';
import {
  type AnyFactory,
  type CaptionResult,
  chooseMeteor,
  evalOptionParser,
  kebabCase,
  runEval,
  runTraining,
  SCORE_KEYS,
  trainOptionParser,
  type TrainOptions,
  writeReport,
} from '@caption/example-common';
import { showTellFactory } from '@caption/example-show-tell';
import { type CocoScoreName, readReferences } from '@caption/metrics';
import { type PipelineSummary, pipelineEnvironment, type RetrievalSummary } from '@caption/example-clipcap';
import { DEMO_DATA, DEMO_DIRS, prepareDemoData } from './demo-data';
import { aoaFactory } from './factory';

const here = dirname(fileURLToPath(import.meta.url));
const { repoRoot, configs: configDir, out: outDir, runs: runsDir } = DEMO_DIRS;
const clipcapDir = join(outDir, 'clipcap');
/** The CLIP + GPT rows of the table and of `results.json` (the other members of the ensemble are in clipcap/). */
const CLIPCAP_ROWS = ['clipcap', 'clipcap-zh', 'clipcap-ensemble'];
const args = parseArgs({
  options: {
    seed: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    schedule: { type: 'string', default: 'concurrent' },
  },
}).values;
const fresh = args.fresh === true;
/** Seed of the three training runs (initialisation, data order, dropout, sampling); `--seed N` changes it. */
const DEFAULT_SEED = 42;
const seed = args.seed === undefined ? DEFAULT_SEED : Number(args.seed);
if (!Number.isInteger(seed) || seed < 0) {
  process.stderr.write(`demo: --seed must be a non-negative integer, got "${args.seed}"\n`);
  process.exit(2);
}
const schedule = args.schedule;
if (schedule !== 'concurrent' && schedule !== 'sequential') {
  process.stderr.write(`demo: --schedule must be concurrent or sequential, got "${schedule}"\n`);
  process.exit(2);
}
// concurrent: Show-Tell's process and this one get one core each (the child inherits the setting)
if (schedule === 'concurrent') process.env['CAPTION_WASM_THREADS'] = '1';
const factories: AnyFactory[] = [aoaFactory as AnyFactory, showTellFactory as AnyFactory];

const DATA = DEMO_DATA;

const log = (line: string): void => void process.stderr.write(`${line}\n`);
/** Wall seconds of each stage this process ran (a cached stage is absent). */
const stageSeconds: Record<string, number> = {};
const started = performance.now();
const loadAtStart = loadavg();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;

/** Reads the shared METEOR data beside the repository when nothing else was configured. */
function meteorDataFolder(): string | null {
  if (process.env.CAPTION_METEOR_DATA !== undefined && process.env.CAPTION_METEOR_DATA !== '') return null;
  const shared = resolve(process.env.CAPTION_SHARED_DATA ?? join(repoRoot, '..', 'shared', 'data'), 'meteor');
  return existsSync(join(shared, 'synonym', 'english.synsets')) ? shared : null;
}

/**
 * A training stage's options as `train` resolves them (configuration file, then the demo's paths), and
 * whether a finished run with exactly these options is there already. A run with other options, or one
 * whose `startFrom` run was (re)trained by this demo process (`upstreamTrained`), is removed.
 */
function planStage(
  name: string,
  config: string,
  paths: Record<string, unknown>,
  upstreamTrained = false,
): { values: TrainOptions; done: boolean } {
  const runDir = join(runsDir, name);
  const { values } = trainOptionParser.parse({
    configFile: join(configDir, config),
    defaults: { ...paths, checkpointPath: runDir, resume: true },
  });
  const latest = new CheckpointStore(runDir).load('latest');
  if (latest !== null && (fresh || upstreamTrained || JSON.stringify(latest.state.config) !== JSON.stringify(values))) {
    log(
      `${name}: ${upstreamTrained && !fresh ? 'the run it starts from was retrained' : 'the configuration changed'} since the run in ${runDir}; starting it again`,
    );
    rmSync(runDir, { recursive: true, force: true });
  } else if (latest !== null && latest.state.epoch >= values.maxEpochs) {
    log(`${name}: already trained (${runDir})`);
    return { values, done: true };
  }
  return { values, done: false };
}

/**
 * Stopping. The first SIGINT / SIGTERM requests a stop: a training stage of this process finishes its step
 * and saves (through `stop`), one in a child process is sent the signal and does the same, and the demo
 * exits 130 / 143 once every checkpoint is saved; the next run resumes. A Ctrl-C reaches this process more
 * than once (from the terminal and from each `npm run` above it, which passes signals on), so a repeat
 * within {@link REPEAT_WINDOW_MS} is the same request; a later one exits at once, children too, unsaved.
 */
const stop = new GracefulStop({ log, onSecondSignal: 'ignore' }).install();
const REPEAT_WINDOW_MS = 2000;
/** The signal that stopped the demo, and when it came. */
let stopSignal: { signal: NodeJS.Signals; at: number } | null = null;
/** True while this process runs a training stage (whose loop polls `stop`). */
let trainingHere = false;
/** Training stages running in child processes, and the promise that each has exited. */
const children = new Map<ChildProcess, Promise<void>>();

/** Waits until every child has exited (they save a checkpoint on the signal passed on), then exits 130 / 143. */
async function exitStopped(signal: NodeJS.Signals): Promise<never> {
  if (children.size > 0) log(`demo: waiting for ${children.size} training process(es) to save a checkpoint`);
  await Promise.allSettled(children.values());
  log(`demo: stopped by ${signal}; run the demo again to resume`);
  process.exit(signalExitCode(signal));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    const now = performance.now();
    if (stopSignal === null) {
      stopSignal = { signal, at: now };
      for (const child of children.keys()) child.kill(signal);
      if (!trainingHere) void exitStopped(signal);
    } else if (now - stopSignal.at >= REPEAT_WINDOW_MS) {
      log(`demo: ${signal} again: exiting at once, without saving`);
      for (const child of children.keys()) child.kill(signal); // a second signal makes a training process exit at once
      process.exit(signalExitCode(signal));
    }
  });
}

/** Runs one training stage in this process, unless it is done already; `trained` when it trained. */
async function train(
  name: string,
  config: string,
  paths: Record<string, unknown>,
  upstreamTrained = false,
): Promise<{ trained: boolean; values: TrainOptions }> {
  const stageStarted = performance.now();
  const { values, done } = planStage(name, config, paths, upstreamTrained);
  if (done) return { trained: false, values };
  log(`\n== ${name}: training (${config}, seed ${values.seed}) [${elapsed()}]`);
  trainingHere = true;
  await runTraining(values, factories, { log, exitOnStop: false, stop });
  trainingHere = false;
  // a stop that came during the stage (the loop saved and returned), or after its last step
  if (stopSignal !== null) await exitStopped(stopSignal.signal);
  stageSeconds[name] = (performance.now() - stageStarted) / 1000;
  return { trained: true, values };
}

/**
 * Runs a command in a child process (`node --import tsx <script> ...args`, its own process group) whose output goes
 * to `out/demo/logs/<name>.log`. SIGINT / SIGTERM received here are passed on: the child saves its checkpoints and
 * exits, and the next demo run resumes it. `finished` rejects (quoting the log's end) when it fails.
 */
function runInChild(
  name: string,
  script: string,
  args: readonly string[],
  what: string,
): { finished: Promise<void>; logFile: string } {
  const stageStarted = performance.now();
  const logFile = join(outDir, 'logs', `${name}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'w');
  // node itself with tsx's loader (the tsx CLI relays signals through a process of its own and kills a child
  // that is busy in a training step before it can save; the demo script runs `node --import tsx` too); its own
  // process group, so that a Ctrl-C reaches it once, through this process
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: dirname(dirname(script)),
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  log(`\n== ${name}: ${what} in a second process (log: ${logFile}) [${elapsed()}]`);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolveExit({ code, signal }));
  });
  children.set(
    child,
    exited.then(
      () => void children.delete(child),
      () => void children.delete(child),
    ),
  );
  const finished = exited.then(({ code, signal }) => {
    stageSeconds[name] = (performance.now() - stageStarted) / 1000;
    const output = readFileSync(logFile, 'utf8');
    if (stopSignal !== null) {
      log(
        `${name}: ${code === signalExitCode(stopSignal.signal) ? 'stopped, checkpoints saved' : `exited with ${code ?? signal}`} ` +
          `(${logFile})`,
      );
      return new Promise<void>(() => undefined); // the demo exits (exitStopped) and goes no further
    }
    if (code !== 0)
      throw new Error(
        `${name}: exited with ${code ?? signal}; the ` +
          `end of ${logFile}:\n${output.split('\n').slice(-15).join('\n')}`,
      );
    log(`${name}: finished in ${stageSeconds[name]?.toFixed(0)} s (${logFile})`);
    for (const line of output.split('\n')) if (line.startsWith('validation ')) log(`  ${line}`);
  });
  finished.catch(() => undefined); // reported when the demo waits for it, not as an unhandled rejection now
  return { finished, logFile };
}

/** Runs one training stage in a child process (`cli.ts train` with the same options), unless it is done already. */
function trainInChild(
  name: string,
  config: string,
  paths: Record<string, unknown>,
): { values: TrainOptions; finished: Promise<void> } {
  const stagePaths = { ...paths, progress: 'lines' };
  const { values, done } = planStage(name, config, stagePaths);
  if (done) return { values, finished: Promise.resolve() };
  const flags = Object.entries({ ...stagePaths, checkpointPath: join(runsDir, name) })
    .filter(([, v]) => v !== null && v !== undefined)
    .flatMap(([k, v]) => [`--${kebabCase(k)}`, String(v)]);
  const { finished } = runInChild(
    name,
    join(here, 'cli.ts'),
    ['train', '--config', join(configDir, config), ...flags, '--resume'],
    `training (${config}, seed ${values.seed})`,
  );
  return { values, finished };
}

async function main(): Promise<void> {
  const backend = await initBackend('auto', { log });
  log(
    `demo: ${cpus().length} CPU cores, Node ${process.version}; backend ${backend.description}; schedule ${schedule}`,
  );

  const meteorData = meteorDataFolder();
  // CLIP + GPT (examples/clipcap `pipeline`: two CLIPs, four captioners) in a child process: concurrent, as soon as
  // the shapes images and captions exist (it needs neither the region features nor prepro), beside the others, two
  // training processes at a time (one wasm thread each, inherited); sequential, after the others (below)
  const runClipcap = (jobs: number): ReturnType<typeof runInChild> =>
    runInChild(
      'clipcap',
      join(repoRoot, 'examples', 'clipcap', 'src', 'cli.ts'),
      [
        'pipeline',
        ...['--data-dir', DEMO_DIRS.shapes, '--out-dir', clipcapDir, '--seed', String(seed), '--jobs', String(jobs)],
        ...['--backend', backend.kind, '--fresh', String(fresh)],
        ...['--train', String(DATA.train), '--val', String(DATA.val), '--test', String(DATA.test)],
        ...(meteorData === null ? [] : ['--meteor-data', meteorData]),
      ],
      'CLIP + GPT: CLIP pre-training (en, zh), captioners, ensemble, evaluation',
    );
  let clipcapConcurrent: ReturnType<typeof runInChild> | null = null;

  const dataStarted = performance.now();
  const {
    shapes,
    features,
    cocotalk,
    paths: dataPaths,
  } = await prepareDemoData({
    backend: backend.kind,
    log,
    elapsed,
    onShapesReady: () => {
      if (schedule === 'concurrent') clipcapConcurrent = runClipcap(2);
    },
  });
  const acc = features.accuracy;
  const paths = { ...dataPaths, meteorData, seed };
  stageSeconds.data = (performance.now() - dataStarted) / 1000;
  // concurrent: Show-Tell in a second process (the machine's second core) while AoANet trains here;
  // sequential: the three here, one after the other, on every core
  const showTell = schedule === 'concurrent' ? trainInChild('show-tell', 'shapes-show-tell.yaml', paths) : null;
  const xe = await train('aoanet-xe', 'shapes-aoanet-xe.yaml', paths);
  await train(
    'aoanet-scst',
    'shapes-aoanet-scst.yaml',
    { ...paths, startFrom: join(runsDir, 'aoanet-xe') },
    xe.trained,
  );
  let stShowTell: TrainOptions;
  if (showTell === null) {
    stShowTell = (await train('show-tell', 'shapes-show-tell.yaml', paths)).values;
  } else {
    if (children.size > 0) log(`\n== waiting for show-tell [${elapsed()}]`);
    await showTell.finished;
    stShowTell = showTell.values;
  }
  if (clipcapConcurrent !== null && children.size > 0) log(`\n== waiting for clipcap [${elapsed()}]`);
  await (clipcapConcurrent ?? runClipcap(1)).finished;
  const clipcapSummary = JSON.parse(readFileSync(join(clipcapDir, 'summary.json'), 'utf8')) as PipelineSummary;

  const evalStarted = performance.now();
  log(`\n== evaluation on the test split [${elapsed()}]`);
  const evals: Record<
    string,
    {
      runDirs: string[];
      evalDir: string;
      corpus: Partial<Record<CocoScoreName, number>>;
      results: CaptionResult[];
      meteor: string;
    }
  > = {};
  const runsOf: Record<string, string[]> = {
    'show-tell': ['show-tell'],
    'aoanet-xe': ['aoanet-xe'],
    'aoanet-scst': ['aoanet-xe', 'aoanet-scst'],
  };
  for (const [name, runs] of Object.entries(runsOf)) {
    const runDir = join(runsDir, runs[runs.length - 1] as string);
    const { values, explicit } = evalOptionParser.parse({
      configFile: join(configDir, 'shapes-eval.yaml'),
      defaults: {
        modelPath: runDir,
        dumpPath: join(runDir, 'eval-test'),
        meteorData: paths.meteorData,
        backend: backend.kind,
      },
    });
    log(`${name}: captioning ${DATA.test} test images (beam ${values.beamSize})`);
    const out = await runEval(values, factories, { explicit });
    evals[name] = {
      runDirs: runs.map((r) => join(runsDir, r)),
      evalDir: out.dumpPath,
      corpus: out.corpus,
      results: out.results,
      meteor: out.meteor,
    };
  }

  stageSeconds.evaluation = (performance.now() - evalStarted) / 1000;
  const results: Record<string, Partial<Record<CocoScoreName, number>>> = {};
  for (const [name, e] of Object.entries(evals))
    results[name] = Object.fromEntries(
      SCORE_KEYS.filter((k) => e.corpus[k] !== undefined).map((k) => [k, e.corpus[k]]),
    );
  const clipcapModels = clipcapSummary.models.filter((m) => CLIPCAP_ROWS.includes(m.name));
  for (const m of clipcapModels)
    results[m.name] = Object.fromEntries(
      SCORE_KEYS.filter((k) => m.corpus[k] !== undefined).map((k) => [k, m.corpus[k]]),
    );
  const retrieval = clipcapSummary.results['clip-retrieval'] as RetrievalSummary;
  writeFileSync(
    join(outDir, 'results.json'),
    `${JSON.stringify({ ...results, 'clip-retrieval': retrieval }, null, 2)}\n`,
  );
  const meteorNote = Object.values(evals)[0]?.meteor ?? chooseMeteor(paths.meteorData, null).note;
  const wall = (performance.now() - started) / 1000;
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadAverage: { start: loadAtStart, end: loadavg() },
    backend: backend.description,
    schedule,
    wallSeconds: wall,
    stageSeconds,
    seed,
    data: DATA,
    meteor: meteorNote,
    showTellRnnSize: stShowTell.rnnSize,
    clipcap: {
      wallSeconds: clipcapSummary.wallSeconds,
      stageSeconds: clipcapSummary.stageSeconds,
      cachedStages: clipcapSummary.cachedStages,
      loadAverage: clipcapSummary.loadAverage,
      msPerImage: Object.fromEntries(clipcapSummary.models.map((m) => [m.name, m.msPerImage])),
    },
  };
  writeFileSync(join(outDir, 'run.json'), `${JSON.stringify(meta, null, 2)}\n`);

  // the report: images of the test split, their reference captions, every model's captions and scores
  const talk = await readCocoTalk(cocotalk);
  const images = new Map(
    talk.images
      .filter((im) => im.filePath !== undefined)
      .map((im) => [String(im.id), join(shapes.outDir, im.filePath as string)]),
  );
  const { refs } = readReferences(JSON.parse(readFileSync(shapes.datasetPath, 'utf8')), {
    split: 'test',
    file: shapes.datasetPath,
  });
  const report = writeReport({
    title: 'caption demo: Show-Tell and AoANet on the shapes data set',
    out: join(outDir, 'report.html'),
    models: [
      ...Object.entries(evals).map(([name, e]) => ({ name, runDirs: e.runDirs, evalDir: e.evalDir })),
      ...clipcapModels.map((m) => ({
        name: m.name,
        runDirs: m.runDirs.length === 1 ? m.runDirs : [],
        evalDir: m.evalDir,
      })),
    ],
    references: refs,
    images,
    numImages: 24,
    environment: [
      ['date', meta.date],
      ['machine', `${meta.cpus} CPU cores, Node ${meta.node}`],
      ['backend', backend.description],
      ['wall time (whole demo)', `${wall.toFixed(0)} s`],
      [
        'data',
        `shapes: ${DATA.train} train / ${DATA.val} val / ${DATA.test} test images, 5 captions each; region CNN ${(100 * acc.shape).toFixed(1)} % shape accuracy`,
      ],
      ['METEOR', meteorNote],
      ...pipelineEnvironment(clipcapSummary).filter(([k]) => !['date', 'machine', 'backend'].includes(k)),
      ['references', `raw captions of ${shapes.datasetPath} (PTB-tokenized by @caption/metrics)`],
    ],
  });

  // the table
  const keys = SCORE_KEYS.filter((k) => Object.values(results).some((r) => r[k] !== undefined));
  const rows = [
    ['model', ...keys],
    ...Object.entries(results).map(([name, r]) => [
      name,
      ...keys.map((k) => (r[k] === undefined ? '–' : (r[k] as number).toFixed(3))),
    ]),
  ];
  const widths = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]): string =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  process.stdout.write(
    `\nTest split of the shapes data set (${DATA.test} images), scores from @caption/metrics; backend ${backend.description}\n`,
  );
  process.stdout.write(
    `${line(rows[0] as string[])}\n|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|\n`,
  );
  for (const r of rows.slice(1)) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(
    `${meteorNote}\nresults: ${join(outDir, 'results.json')}\nreport:  ${report}\nwall time: ${wall.toFixed(0)} s\n`,
  );
  const c = (name: string): number => results[name]?.CIDEr ?? Number.NaN;
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  process.stdout.write(
    `CLIP retrieval (test, ${retrieval.images} images / ${retrieval.captions} captions, mean of image→text and text→image): R@1 ${pct(retrieval['R@1'])} (chance ${pct(retrieval.chance['R@1'])}), R@5 ${pct(retrieval['R@5'])} (chance ${pct(retrieval.chance['R@5'])})\n`,
  );
  process.stdout.write(`clipcap-zh: ${clipcapModels.find((m) => m.name === 'clipcap-zh')?.scoring ?? '–'}\n`);
  const members = clipcapSummary.models.filter((m) => m.runDirs.length === 1 && !m.name.includes('zh'));
  const checks: Array<readonly [string, boolean]> = [
    ['AoANet after SCST has a higher CIDEr than after XE alone', c('aoanet-scst') > c('aoanet-xe')],
    [
      'AoANet beats Show-Tell (CIDEr)',
      Math.max(c('aoanet-xe'), c('aoanet-scst')) > c('show-tell') && c('aoanet-xe') > c('show-tell'),
    ],
  ];
  checks.push(
    ['CLIP recall@1 is more than 10 times chance', retrieval['R@1'] > 10 * retrieval.chance['R@1']],
    [
      `the CLIP+GPT ensemble has a higher CIDEr than each of its ${members.length} members`,
      members.every((m) => c('clipcap-ensemble') > (m.corpus.CIDEr ?? Number.NaN)),
    ],
  );
  for (const [what, ok] of checks) process.stdout.write(`${ok ? 'yes' : 'NO '}  ${what}\n`);
}

await main();
