/**
 * `npm run bench -w @caption/metrics`: wall-clock medians of tokenize + BLEU + ROUGE-L + CIDEr (and the
 * CIDEr-D reward scorer) on the public cases of ../shared/data/coco-caption, next to the reference's
 * (Python/Java coco-caption) timings from expected/oracle-timings.json; then CiderDScorer throughput on
 * training-like batches (10 images × (5 samples + 1 greedy caption), 5 references each).
 *
 *   npm run bench -w @caption/metrics -- [--runs 5] [--cases human_loo_val2014_40504,...] [--batches 200] [--json out.json]
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
import { formatSeconds, median, timed } from './timing';

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
  /** Part of "tokenize + BLEU + ROUGE-L + CIDEr" (the 32.8 s reference total). */
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
  { name: 'rouge', oracleKey: 'rouge', sameRunKey: 'rouge', inTotal: true, run: ({ refs, cands }) => rouge(refs, cands) },
  { name: 'cider', oracleKey: 'cider', sameRunKey: 'cider', inTotal: true, run: ({ refs, cands }) => cider(refs, cands) },
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
  median: number;
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
    const result = spawnSync('python3', [script, '--pycocoevalcap', pycocoevalcap, '--input', file, '--runs', String(runs)], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
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

async function benchCase(raw: BenchCase, runs: number, oracle: OracleTimings | null, pycocoevalcap?: string): Promise<Row[]> {
  const tokenizedCands = ptbTokenize(Object.fromEntries(Object.entries(raw.cands).map(([id, c]) => [id, [c]])));
  const input: StageInput = {
    raw,
    refs: ptbTokenize(raw.refs),
    cands: Object.fromEntries(Object.entries(tokenizedCands).map(([id, list]) => [id, list[0] as string])),
  };
  const images = Object.keys(raw.cands).length;
  const times = new Map<string, number[]>(STAGES.map((stage) => [stage.name, []]));
  const endToEnd: number[] = [];
  for (let run = 0; run < runs; run++) {
    for (const stage of STAGES) {
      const { seconds } = await timed(() => stage.run(input));
      times.get(stage.name)?.push(seconds);
    }
    const { seconds } = await timed(() => evaluate(raw.refs, raw.cands, { metrics: ['bleu', 'rouge', 'cider'] }));
    endToEnd.push(seconds);
  }
  const now = pycocoevalcap === undefined ? null : referenceScorersNow(input, pycocoevalcap, runs);
  const rows: Row[] = STAGES.map((stage) => {
    const list = times.get(stage.name) as number[];
    return {
      case: raw.name,
      images,
      stage: stage.name,
      median: median(list),
      first: list[0] as number,
      oracle: oracleMedian(oracle, raw.name, stage.oracleKey),
      sameRun: now !== null && stage.sameRunKey !== undefined ? (now[stage.sameRunKey] ?? null) : null,
    };
  });
  const totalStages = STAGES.filter((stage) => stage.inTotal);
  const totalOracle = totalStages.every((s) => oracleMedian(oracle, raw.name, s.oracleKey) !== null)
    ? totalStages.reduce((sum, s) => sum + (oracleMedian(oracle, raw.name, s.oracleKey) as number), 0)
    : null;
  const perRunTotals = Array.from({ length: runs }, (_, run) =>
    totalStages.reduce((sum, s) => sum + ((times.get(s.name) as number[])[run] as number), 0),
  );
  rows.push({ case: raw.name, images, stage: 'tokenize+BLEU+ROUGE-L+CIDEr (sum of stages)', median: median(perRunTotals), first: perRunTotals[0] as number, oracle: totalOracle, sameRun: null });
  rows.push({ case: raw.name, images, stage: 'evaluate() end to end (same metrics)', median: median(endToEnd), first: endToEnd[0] as number, oracle: totalOracle, sameRun: null });
  return rows;
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
  const firstFive: Record<string, string[]> = Object.fromEntries(ids.map((id) => [id, (raw[id] as string[]).slice(0, 5)]));
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
    const lists = Array.from({ length: 10 }, (_, j) => (rows ? corpusRows : corpus)[(b * 10 + j) % corpus.length] as readonly (string | Int32Array)[]);
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
  const json = await timed(() => JSON.stringify(scorer.toJSON()));
  const restore = await timed(() => CiderDScorer.fromJSON(JSON.parse(json.value)));
  return {
    corpusImages: corpus.length,
    buildSeconds: built.seconds,
    jsonMegabytes: json.value.length / 1e6,
    fromJsonSeconds: restore.seconds,
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
    .option('--reference-scorers <dir>', 'also time the Python reference scorers now (a folder holding salaniz/pycocoevalcap; python3 + numpy)')
    .parse(process.argv);
  const options = program.opts<{ runs: string; cases?: string; batches: string; json?: string; referenceScorers?: string }>();
  const runs = Number(options.runs);
  const oracle = loadOracleTimings();
  const cases = loadCases(options.cases?.split(','));
  const before = { load: loadavg()[0] as number, nsPerElement: calibrate() };
  console.log(`node ${process.version}, ${runs} runs per stage; reference: ${oracle?.machine ?? 'oracle-timings.json absent'}`);
  console.log(`machine state at start: load average ${before.load.toFixed(1)}, calibration ${before.nsPerElement.toFixed(2)} ns/element\n`);
  console.log('| case | images | stage | ours median (s) | ours 1st run (s) | reference, oracle-timings (s) | speed-up | reference, this run (s) | speed-up, this run |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|');
  const rows: Row[] = [];
  for (const raw of cases) {
    for (const row of await benchCase(raw, runs, oracle, options.referenceScorers)) {
      rows.push(row);
      console.log(
        `| ${row.case} | ${row.images} | ${row.stage} | ${formatSeconds(row.median)} | ${formatSeconds(row.first)} | ${row.oracle === null ? '' : formatSeconds(row.oracle)} | ${ratio(row.oracle, row.median)} | ${row.sameRun === null ? '' : formatSeconds(row.sameRun)} | ${ratio(row.sameRun, row.median)} |`,
      );
    }
  }
  const throughput = await benchCiderDThroughput(runs, Number(options.batches));
  if (throughput !== null) {
    console.log(`\nCiderDScorer, df from ${throughput.corpusImages} val2014 images × 5 refs (id rows): built in ${formatSeconds(throughput.buildSeconds as number)} s; JSON ${(throughput.jsonMegabytes as number).toFixed(1)} MB, restored in ${formatSeconds(throughput.fromJsonSeconds as number)} s`);
    console.log(`batches of 10 images × (5 samples + 1 greedy), 5 refs each: ${Math.round(throughput.captionsPerSecondIdRows as number)} captions/s with Int32Array rows (${(throughput.msPerBatchIdRows as number).toFixed(2)} ms per batch), ${Math.round(throughput.captionsPerSecondStrings as number)} captions/s with token strings (median of ${runs} runs × ${options.batches} batches)`);
  }
  const after = { load: loadavg()[0] as number, nsPerElement: calibrate() };
  console.log(`\nmachine state at end: load average ${after.load.toFixed(1)}, calibration ${after.nsPerElement.toFixed(2)} ns/element`);
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify({ node: process.version, before, after, rows, ciderDThroughput: throughput }, null, 1)}\n`);
  }
  await benchMeteor({ runs, cases, oracle, paraphraseEntries: 3_200_000 });
}

await main();
