/**
 * `npm run bench -w @caption/metrics`: medians of tokenize + BLEU + ROUGE-L + CIDEr (and the CIDEr-D reward
 * scorer) on the public cases of ../shared/data/coco-caption, in wall-clock and CPU seconds, next to the
 * reference's (Python/Java coco-caption) timings from expected/oracle-timings.json; then CiderDScorer
 * throughput on training-like batches (10 images × (5 samples + 1 greedy caption), 5 references each) and its
 * JSON round trip.
 *
 *   npm run bench -w @caption/metrics -- [--runs 5] [--cases human_loo_val2014_40504,...] [--batches 200] [--json out.json]
 *     [--stages all|evaluate]     (evaluate: only evaluate() end to end, no separate stages, no METEOR bench)
 *     [--reference-scorers DIR]   (also time salaniz/pycocoevalcap's Bleu/Rouge/Cider now, on the same machine)
 *
 * Stages are a list: another metric (METEOR) adds one entry to STAGES, with the oracle-timings key it
 * compares against.
 */
import { sharedData, sharedSkipReason } from '@caption/test-support';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import {
  CiderDScorer,
  bleu,
  cider,
  evaluate,
  ptbTokenize,
  rouge,
  type TokenizedCands,
  type TokenizedRefs,
} from '../src/index';
import { loadCases, loadOracleTimings, type BenchCase, type OracleTimings } from './cases';
import { benchMeteor } from './meteor';
import { formatSeconds, median, timedAsync as timed } from '@caption/bench-support';

/** What a stage gets: the raw case and its tokenized form (made once, before timing). */
interface StageInput {
  raw: BenchCase;
  refs: TokenizedRefs;
  cands: TokenizedCands;
}

/** One timed stage. */
interface BenchStage {
  /** Row label. */
  name: string;
  /** Key of the same work in oracle-timings.json (null: no reference timing). */
  oracleKey: string | null;
  /** Key of the same work in bench/reference-scorers.py's output, when it can time it in the same run. */
  sameRunKey?: 'bleu' | 'rouge' | 'cider';
  /** Part of "tokenize + BLEU + ROUGE-L + CIDEr" (the issue's 32.8 s reference total). */
  inTotal: boolean;
  run(input: StageInput): unknown;
}

const STAGES: BenchStage[] = [
  {
    name: 'tokenizer (2 calls)',
    oracleKey: 'tokenizer',
    inTotal: true,
    run: ({ raw }) => {
      ptbTokenize(raw.refs);
      return ptbTokenize(Object.fromEntries(Object.entries(raw.cands).map(([id, c]) => [id, [c]])));
    },
  },
  { name: 'bleu', oracleKey: 'bleu', sameRunKey: 'bleu', inTotal: true, run: ({ refs, cands }) => bleu(refs, cands) },
  {
    name: 'rouge',
    oracleKey: 'rouge',
    sameRunKey: 'rouge',
    inTotal: true,
    run: ({ refs, cands }) => rouge(refs, cands),
  },
  {
    name: 'cider',
    oracleKey: 'cider',
    sameRunKey: 'cider',
    inTotal: true,
    run: ({ refs, cands }) => cider(refs, cands),
  },
  {
    name: 'CiderDScorer (df from the case)',
    oracleKey: 'ciderD_ruotianluo',
    inTotal: false,
    run: ({ refs, cands }) => {
      const ids = Object.keys(cands);
      const lists = ids.map((id) => refs[id] as readonly string[]);
      return CiderDScorer.fromCorpus(lists).score(
        ids.map((id) => cands[id] as string),
        lists,
      );
    },
  },
];

interface Row {
  case: string;
  images: number;
  stage: string;
  /** Median wall-clock seconds. */
  median: number;
  /** Median CPU seconds of the process (see `timed`). */
  cpuMedian: number;
  first: number;
  oracle: number | null;
  /** The reference scorer's median measured in this run (bench/reference-scorers.py), if asked for. */
  sameRun: number | null;
}

/** Times the Python reference scorers on the same tokenized captions, now (see bench/reference-scorers.py). */
function referenceScorersNow(input: StageInput, pycocoevalcap: string, runs: number): Record<string, number> | null {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-bench-'));
  try {
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify({ refs: input.refs, cands: input.cands }));
    const script = fileURLToPath(new URL('./reference-scorers.py', import.meta.url));
    const result = spawnSync(
      'python3',
      [script, '--pycocoevalcap', pycocoevalcap, '--input', file, '--runs', String(runs)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
      },
    );
    if (result.status !== 0) {
      console.warn(`[skip] reference scorers: ${result.error?.message ?? result.stderr.trim().split('\n').at(-1)}`);
      return null;
    }
    const times = JSON.parse(result.stdout) as Record<string, number[]>;
    return { bleu: median(times.bleu ?? []), rouge: median(times.rouge ?? []), cider: median(times.cider ?? []) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function oracleMedian(oracle: OracleTimings | null, caseName: string, key: string | null): number | null {
  if (oracle === null || key === null) return null;
  const entry = oracle.cases[caseName]?.[key];
  return typeof entry === 'object' ? entry.median : null;
}

function ratio(oracle: number | null, ours: number): string {
  return oracle === null ? '' : `${(oracle / ours).toFixed(1)}x`;
}

/** One evaluate() run: wall and CPU seconds, and the load average after it. */
interface EvaluateRun {
  seconds: number;
  cpuSeconds: number;
  load: number;
}

async function benchCase(
  raw: BenchCase,
  runs: number,
  oracle: OracleTimings | null,
  stagesToRun: 'all' | 'evaluate',
  pycocoevalcap?: string,
): Promise<{ rows: Row[]; evaluateRuns: EvaluateRun[] }> {
  const tokenizedCands = ptbTokenize(Object.fromEntries(Object.entries(raw.cands).map(([id, c]) => [id, [c]])));
  const input: StageInput = {
    raw,
    refs: ptbTokenize(raw.refs),
    cands: Object.fromEntries(Object.entries(tokenizedCands).map(([id, list]) => [id, list[0] as string])),
  };
  const images = Object.keys(raw.cands).length;
  const stages = stagesToRun === 'all' ? STAGES : [];
  const times = new Map<string, { wall: number[]; cpu: number[] }>(
    stages.map((stage) => [stage.name, { wall: [], cpu: [] }]),
  );
  const evaluateRuns: EvaluateRun[] = [];
  for (let run = 0; run < runs; run++) {
    for (const stage of stages) {
      const { seconds, cpuSeconds } = await timed(() => stage.run(input));
      times.get(stage.name)?.wall.push(seconds);
      times.get(stage.name)?.cpu.push(cpuSeconds);
    }
    const { seconds, cpuSeconds } = await timed(() =>
      evaluate(raw.refs, raw.cands, { metrics: ['bleu', 'rouge', 'cider'] }),
    );
    evaluateRuns.push({ seconds, cpuSeconds, load: loadavg()[0] as number });
  }
  const now =
    pycocoevalcap === undefined || stagesToRun !== 'all' ? null : referenceScorersNow(input, pycocoevalcap, runs);
  const rows: Row[] = stages.map((stage) => {
    const list = times.get(stage.name) as { wall: number[]; cpu: number[] };
    return {
      case: raw.name,
      images,
      stage: stage.name,
      median: median(list.wall),
      cpuMedian: median(list.cpu),
      first: list.wall[0] as number,
      oracle: oracleMedian(oracle, raw.name, stage.oracleKey),
      sameRun: now !== null && stage.sameRunKey !== undefined ? (now[stage.sameRunKey] ?? null) : null,
    };
  });
  const totalStages = STAGES.filter((stage) => stage.inTotal);
  const totalOracle = totalStages.every((s) => oracleMedian(oracle, raw.name, s.oracleKey) !== null)
    ? totalStages.reduce((sum, s) => sum + (oracleMedian(oracle, raw.name, s.oracleKey) as number), 0)
    : null;
  if (stagesToRun === 'all') {
    const total = (kind: 'wall' | 'cpu', run: number): number =>
      totalStages.reduce(
        (sum, s) => sum + ((times.get(s.name) as { wall: number[]; cpu: number[] })[kind][run] as number),
        0,
      );
    const runsList = Array.from({ length: runs }, (_, run) => run);
    rows.push({
      case: raw.name,
      images,
      stage: 'tokenize+BLEU+ROUGE-L+CIDEr (sum of stages)',
      median: median(runsList.map((run) => total('wall', run))),
      cpuMedian: median(runsList.map((run) => total('cpu', run))),
      first: total('wall', 0),
      oracle: totalOracle,
      sameRun: null,
    });
  }
  rows.push({
    case: raw.name,
    images,
    stage: 'evaluate() end to end (same metrics)',
    median: median(evaluateRuns.map((r) => r.seconds)),
    cpuMedian: median(evaluateRuns.map((r) => r.cpuSeconds)),
    first: (evaluateRuns[0] as EvaluateRun).seconds,
    oracle: totalOracle,
    sameRun: null,
  });
  return { rows, evaluateRuns };
}

/** CiderDScorer on training-like batches: df from the 40,504 val2014 images (5 refs each), then batches. */
async function benchCiderDThroughput(runs: number, batches: number): Promise<Record<string, number> | null> {
  const file = 'coco-caption/captions_val2014_reconstructed.json.gz';
  const reason = sharedSkipReason([file]);
  if (reason !== null) {
    console.warn(`[skip] CiderDScorer throughput: ${reason}`);
    return null;
  }
  const annotations = sharedData().readJson<{ annotations: { image_id: number; caption: string }[] }>(file);
  const raw: Record<string, string[]> = {};
  for (const a of annotations.annotations) (raw[a.image_id] ??= []).push(a.caption);
  const ids = Object.keys(raw).filter((id) => (raw[id] as string[]).length >= 5);
  const firstFive: Record<string, string[]> = Object.fromEntries(
    ids.map((id) => [id, (raw[id] as string[]).slice(0, 5)]),
  );
  const tokenized = ptbTokenize(firstFive);
  const corpus = ids.map((id) => tokenized[id] as string[]);
  // Token-id rows ending with 0, as ImageCaptioning.pytorch feeds them.
  const vocabulary = new Map<string, number>();
  const toRow = (caption: string): Int32Array => {
    const words = caption.split(' ').filter((w) => w !== '');
    const row = new Int32Array(16);
    words.slice(0, 15).forEach((w, i) => {
      let id = vocabulary.get(w);
      if (id === undefined) vocabulary.set(w, (id = vocabulary.size + 1));
      row[i] = id;
    });
    return row;
  };
  const corpusRows = corpus.map((list) => list.map(toRow));
  const built = await timed(() => CiderDScorer.fromCorpus(corpusRows));
  const scorer = built.value;
  const stringScorer = CiderDScorer.fromCorpus(corpus);
  // Batch b: images 10b..10b+9; samples: 5 captions of other images; greedy: the image's 6th-image caption.
  const candidateOf = (image: number, k: number): number => (image * 7 + k * 131 + 1) % corpus.length;
  const makeBatch = (b: number, rows: boolean) => {
    const candidates: (string | Int32Array)[] = [];
    const refs: (readonly (string | Int32Array)[])[] = [];
    const lists = Array.from(
      { length: 10 },
      (_, j) => (rows ? corpusRows : corpus)[(b * 10 + j) % corpus.length] as readonly (string | Int32Array)[],
    );
    for (let j = 0; j < 10; j++) {
      for (let k = 0; k < 5; k++) {
        const other = candidateOf(b * 10 + j, k);
        candidates.push((rows ? corpusRows : corpus)[other]?.[k] as string | Int32Array);
        refs.push(lists[j] as readonly (string | Int32Array)[]);
      }
    }
    for (let j = 0; j < 10; j++) {
      candidates.push((rows ? corpusRows : corpus)[candidateOf(b * 10 + j, 5)]?.[0] as string | Int32Array);
      refs.push(lists[j] as readonly (string | Int32Array)[]);
    }
    return { candidates, refs };
  };
  const rowBatches = Array.from({ length: batches }, (_, b) => makeBatch(b, true));
  const stringBatches = Array.from({ length: batches }, (_, b) => makeBatch(b, false));
  const perRun = (which: 'rows' | 'strings') => async () => {
    const { seconds } = await timed(() => {
      if (which === 'rows') for (const batch of rowBatches) scorer.score(batch.candidates, batch.refs);
      else for (const batch of stringBatches) stringScorer.score(batch.candidates, batch.refs);
    });
    return (batches * 60) / seconds;
  };
  const rowRates: number[] = [];
  const stringRates: number[] = [];
  for (let run = 0; run < runs; run++) {
    rowRates.push(await perRun('rows')());
    stringRates.push(await perRun('strings')());
  }
  // JSON round trip of the scorer (format v2), each step timed: toJSON, JSON.stringify, JSON.parse, fromJSON.
  const steps = { toJSON: [] as number[], stringify: [] as number[], parse: [] as number[], fromJSON: [] as number[] };
  const stepsCpu = {
    toJSON: [] as number[],
    stringify: [] as number[],
    parse: [] as number[],
    fromJSON: [] as number[],
  };
  let text = '';
  for (let run = 0; run < runs; run++) {
    const object = await timed(() => scorer.toJSON());
    const written = await timed(() => JSON.stringify(object.value));
    const parsed = await timed(() => JSON.parse(written.value) as unknown);
    const restored = await timed(() => CiderDScorer.fromJSON(parsed.value));
    for (const [key, result] of [
      ['toJSON', object],
      ['stringify', written],
      ['parse', parsed],
      ['fromJSON', restored],
    ] as const) {
      steps[key].push(result.seconds);
      stepsCpu[key].push(result.cpuSeconds);
    }
    text = written.value;
  }
  return {
    corpusImages: corpus.length,
    buildSeconds: built.seconds,
    jsonMegabytes: text.length / 1e6,
    toJsonSeconds: median(steps.toJSON),
    stringifySeconds: median(steps.stringify),
    parseSeconds: median(steps.parse),
    fromJsonSeconds: median(steps.fromJSON),
    toJsonCpuSeconds: median(stepsCpu.toJSON) + median(stepsCpu.stringify),
    fromJsonCpuSeconds: median(stepsCpu.parse) + median(stepsCpu.fromJSON),
    captionsPerSecondIdRows: median(rowRates),
    captionsPerSecondStrings: median(stringRates),
    msPerBatchIdRows: 60_000 / median(rowRates),
  };
}

/**
 * A fixed pure-JavaScript workload (integer sum over a 64 Ki-element Int32Array), in ns per element: tells how
 * much CPU this process got while the bench ran (the lowest seen on this shared 2-core machine during development
 * was 0.9, at a load average near 5; so the figure goes with every result).
 */
function calibrate(): number {
  const data = new Int32Array(1 << 16).map((_, i) => i * 7);
  const samples: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    let sum = 0;
    for (let k = 0; k < 300; k++) for (let i = 0; i < data.length; i++) sum = (sum + ((data[i] as number) ^ k)) | 0;
    samples.push(((performance.now() - start) * 1e6) / (300 * data.length) + (sum === 0.5 ? 1 : 0));
  }
  return median(samples);
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--runs <n>', 'runs per stage (median reported)', '5')
    .option('--cases <list>', 'comma-separated case names (default: all present)')
    .option('--batches <n>', 'CiderDScorer batches per run', '200')
    .option('--json <file>', 'also write the results as JSON')
    .option(
      '--stages <which>',
      'all (every stage, then evaluate()) or evaluate (evaluate() only, no METEOR bench)',
      'all',
    )
    .option(
      '--reference-scorers <dir>',
      'also time the Python reference scorers now (a folder holding salaniz/pycocoevalcap; python3 + numpy)',
    )
    .parse(process.argv);
  const options = program.opts<{
    runs: string;
    cases?: string;
    batches: string;
    json?: string;
    stages: string;
    referenceScorers?: string;
  }>();
  if (options.stages !== 'all' && options.stages !== 'evaluate')
    throw new Error(`--stages: expected all or evaluate, got ${options.stages}`);
  const stagesToRun = options.stages;
  const runs = Number(options.runs);
  const oracle = loadOracleTimings();
  const cases = loadCases(options.cases?.split(','));
  const before = { load: loadavg()[0] as number, nsPerElement: calibrate() };
  console.log(
    `node ${process.version}, ${runs} runs per stage; reference: ${oracle?.machine ?? 'oracle-timings.json absent'}`,
  );
  console.log(
    `machine state at ` +
      `start: load average ${before.load.toFixed(1)}, calibration ${before.nsPerElement.toFixed(2)} ns/element\n`,
  );
  console.log(
    '| case | images | stage | ours median, wall (s) | ours median, CPU (s) | ours 1st run, wall (s) | reference, ' +
      'oracle-timings (s) | speed-up, wall | speed-up, CPU | reference, this run (s) | speed-up, this run |',
  );
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rows: Row[] = [];
  const evaluateRuns: Record<string, EvaluateRun[]> = {};
  for (const raw of cases) {
    const result = await benchCase(raw, runs, oracle, stagesToRun, options.referenceScorers);
    evaluateRuns[raw.name] = result.evaluateRuns;
    for (const row of result.rows) {
      rows.push(row);
      console.log(
        `| ${row.case} | ${row.images} | ${row.stage} | ${formatSeconds(row.median)} | ${formatSeconds(row.cpuMedian)} | ${formatSeconds(row.first)} | ${row.oracle === null ? '' : formatSeconds(row.oracle)} | ${ratio(row.oracle, row.median)} | ${ratio(row.oracle, row.cpuMedian)} | ${row.sameRun === null ? '' : formatSeconds(row.sameRun)} | ${ratio(row.sameRun, row.median)} |`,
      );
    }
  }
  console.log('\nevaluate() runs (wall s / CPU s / load average after):');
  for (const [name, list] of Object.entries(evaluateRuns)) {
    console.log(
      `  ${name}: ${list.map((r) => `${formatSeconds(r.seconds)}/${formatSeconds(r.cpuSeconds)}/${r.load.toFixed(1)}`).join('  ')}`,
    );
  }
  // The issue's target: evaluate() on the 40,504-image case at least 20x faster than the reference's
  // tokenizer + BLEU + ROUGE-L + CIDEr (32.8 s in oracle-timings.json).
  const target = evaluateRuns.human_loo_val2014_40504;
  const reference =
    rows.find((row) => row.case === 'human_loo_val2014_40504' && row.stage.startsWith('evaluate()'))?.oracle ?? null;
  if (target !== undefined && reference !== null) {
    const wall = median(target.map((r) => r.seconds));
    const cpu = median(target.map((r) => r.cpuSeconds));
    console.log(
      `\n20x target (evaluate() on the ` +
        `40,504 val2014 ` +
        `images in ≤ ${formatSeconds(reference / 20)} s, reference ${formatSeconds(reference)} s): median ` +
        `wall ${formatSeconds(wall)} s = ${(reference / wall).toFixed(1)}x (${wall <= reference / 20 ? 'met' : 'not met'} in wall time), ` +
        `median CPU ${formatSeconds(cpu)} s = ${(reference / cpu).toFixed(1)}x`,
    );
  }
  const throughput = stagesToRun === 'all' ? await benchCiderDThroughput(runs, Number(options.batches)) : null;
  if (throughput !== null) {
    console.log(
      `\nCiderDScorer, df from ${throughput.corpusImages} val2014 images × 5 refs ` +
        `(id rows): built in ${formatSeconds(throughput.buildSeconds as number)} s; JSON ` +
        `(format v2) ${(throughput.jsonMegabytes as number).toFixed(1)} MB: toJSON ${formatSeconds(throughput.toJsonSeconds as number)} s + JSON.stringify ${formatSeconds(throughput.stringifySeconds as number)} s (CPU ${formatSeconds(throughput.toJsonCpuSeconds as number)} s), JSON.parse ${formatSeconds(throughput.parseSeconds as number)} s + fromJSON ${formatSeconds(throughput.fromJsonSeconds as number)} s (CPU ${formatSeconds(throughput.fromJsonCpuSeconds as number)} s), medians of ${runs}`,
    );
    console.log(
      `batches of 10 images × (5 samples ` +
        `+ 1 greedy), 5 refs each: ${Math.round(throughput.captionsPerSecondIdRows as number)} captions/s with ` +
        `Int32Array rows (${(throughput.msPerBatchIdRows as number).toFixed(2)} ms per ` +
        `batch), ${Math.round(throughput.captionsPerSecondStrings as number)} captions/s with token ` +
        `strings (median of ${runs} runs × ${options.batches} batches)`,
    );
  }
  const after = { load: loadavg()[0] as number, nsPerElement: calibrate() };
  console.log(
    `\nmachine state at ` +
      `end: load average ${after.load.toFixed(1)}, calibration ${after.nsPerElement.toFixed(2)} ns/element`,
  );
  if (options.json !== undefined) {
    writeFileSync(
      options.json,
      `${JSON.stringify({ node: process.version, before, after, rows, evaluateRuns, ciderDThroughput: throughput }, null, 1)}\n`,
    );
  }
  if (stagesToRun === 'all') await benchMeteor({ runs, cases, oracle, paraphraseEntries: 3_200_000 });
}

await main();
