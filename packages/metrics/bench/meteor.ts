/**
 * METEOR bench: our time next to the jar's (oracle-timings.json: a new JVM per run, empty paraphrase table),
 * and the cost of a paraphrase table of realistic size (a synthetic one: the real `paraphrase-en.gz` is not
 * obtainable here).
 *
 *   npm run bench -w @caption/metrics                      (runs this section after the others)
 *   npx tsx bench/meteor.ts [--runs 5] [--cases fakecap_first500,fakecap_all1000] [--entries 8000000] [--no-paraphrase]
 *
 * Rows per case:
 * - `child process`: `node` started fresh, imports the built package (dist/), loads METEOR's data from
 *   ../shared/data/meteor and scores the PTB-tokenized captions: the same work as the jar's row (JVM start,
 *   resources, scoring). Wall time, and the child's own CPU time (user + system: what the wall time would be
 *   on an idle machine, give or take the start-up I/O). Needs `npm run build` first (skipped otherwise).
 * - `in process, cold`: a new MeteorScorer from the files, then scoring, in this process.
 * - `in process, warm`: scoring with an already built scorer (what repeated evaluations pay).
 *
 * The paraphrase part generates (once, cached in the OS temp folder) a table in the jar's format with the
 * real table's gzipped size (about 59 MB), then times its first load (parse + compact index written) and the
 * later loads (index), with the memory held, and scores fakecap_all1000 with it. Last, the Snowball stemmer is
 * checked against the jar's stems of 26,960 COCO caption words and 152,385 WordNet words (digests in
 * fixtures/meteor/jar-cases.json).
 */
import { sharedData, sharedSkipReason } from '@caption/test-support';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGzip } from 'node:zlib';
import { Command } from 'commander';
import {
  loadParaphraseTable,
  METEOR_RESOURCE_PATHS,
  MeteorScorer,
  ptbTokenize,
  type MeteorResourceFiles,
  type TokenizedCands,
  type TokenizedRefs,
} from '../src/index';
import { EnglishStemmer } from '../src/meteor/stemmer';
import { cocoWords, readJarCases, stemDigest, wordnetWords } from '../src/meteor/test-fixtures';
import { loadCases, loadOracleTimings, type BenchCase, type OracleTimings } from './cases';
import { formatSeconds, median, seededRandom, timedAsync as timed } from '@caption/bench-support';

const METEOR_DIR = 'meteor';
const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Options of {@link benchMeteor}. */
export interface MeteorBenchOptions {
  /** Runs per measurement (median reported). */
  runs: number;
  /** Cases to time (raw captions; tokenized here). */
  cases: readonly BenchCase[];
  /** Oracle timings to compare with. */
  oracle: OracleTimings | null;
  /** Entries of the synthetic paraphrase table, or 0 to skip that part. */
  paraphraseEntries: number;
}

function readResourceFiles(): MeteorResourceFiles {
  const data = sharedData();
  const read = (rel: string): string => data.readText(`${METEOR_DIR}/${rel}`);
  return {
    functionWords: read(METEOR_RESOURCE_PATHS.functionWords),
    nonbreakingPrefixes: read(METEOR_RESOURCE_PATHS.nonbreakingPrefixes),
    synsets: read(METEOR_RESOURCE_PATHS.synsets),
    exceptions: read(METEOR_RESOURCE_PATHS.exceptions),
  };
}

function tokenize(raw: BenchCase): { refs: TokenizedRefs; cands: TokenizedCands } {
  const cands = ptbTokenize(Object.fromEntries(Object.entries(raw.cands).map(([id, c]) => [id, [c]])));
  return {
    refs: ptbTokenize(raw.refs),
    cands: Object.fromEntries(Object.entries(cands).map(([id, list]) => [id, list[0] as string])),
  };
}

/** The script a fresh `node` runs: import the built package, load METEOR's data, score, print the score. */
function childScript(input: string): string {
  return [
    `import { readFileSync } from 'node:fs';`,
    `const { loadMeteorScorer } = await import(${JSON.stringify(pathToFileURL(distIndex).href)});`,
    `const { refs, cands, data } = JSON.parse(readFileSync(${JSON.stringify(input)}, 'utf8'));`,
    `const scorer = await loadMeteorScorer({ meteorData: data, meteorParaphrase: false });`,
    `const score = scorer.score(refs, cands).score;`,
    `const cpu = process.cpuUsage();`,
    `process.stdout.write(JSON.stringify({ score, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));`,
  ].join('\n');
}

function oracleMeteor(oracle: OracleTimings | null, name: string): { busy: number | null; idle: number | null } {
  const pick = (cases: OracleTimings['cases'] | undefined): number | null => {
    const entry = cases?.[name]?.meteor;
    return typeof entry === 'object' ? entry.median : null;
  };
  const idle = (oracle as { second_pass_mostly_idle?: { cases: OracleTimings['cases'] } } | null)
    ?.second_pass_mostly_idle?.cases;
  return { busy: pick(oracle?.cases), idle: pick(idle) };
}

/** Times METEOR on each case; prints a markdown table. */
async function benchCases(options: MeteorBenchOptions, files: MeteorResourceFiles, work: string): Promise<void> {
  const { runs, oracle } = options;
  const haveDist = existsSync(distIndex);
  if (!haveDist)
    console.warn(`[skip] METEOR child-process rows: ${distIndex} is missing (npm run build -w @caption/metrics)`);
  console.log('\n### METEOR (no paraphrase table, as the oracle)\n');
  console.log(
    '| case | images | ours: child process, wall (s) | ours: child process, CPU (s) | ours: in process, cold (s) | ' +
      'ours: in process, warm (s) | jar (s), busy pass | jar (s), ' +
      'idle pass | speed-up (child wall vs jar busy / idle) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const warm = new MeteorScorer(files, null);
  for (const raw of options.cases) {
    const { refs, cands } = tokenize(raw);
    const images = Object.keys(cands).length;
    const input = join(work, `${raw.name}.json`);
    writeFileSync(input, JSON.stringify({ refs, cands, data: sharedData().path(METEOR_DIR) }));
    const script = join(work, 'score.mjs');
    writeFileSync(script, childScript(input));
    const child: number[] = [];
    const childCpu: number[] = [];
    const cold: number[] = [];
    const hot: number[] = [];
    let childScore = Number.NaN;
    for (let run = 0; run < runs; run++) {
      if (haveDist) {
        const started = performance.now();
        const out = spawnSync(process.execPath, [script], { encoding: 'utf8' });
        child.push((performance.now() - started) / 1000);
        if (out.status !== 0) throw new Error(`METEOR child process failed: ${out.stderr}`);
        const reply = JSON.parse(out.stdout) as { score: number; cpuSeconds: number };
        childScore = reply.score;
        childCpu.push(reply.cpuSeconds);
      }
      cold.push((await timed(() => new MeteorScorer(readResourceFiles(), null).score(refs, cands))).seconds);
      hot.push((await timed(() => warm.score(refs, cands))).seconds);
    }
    const ours = warm.score(refs, cands).score;
    if (haveDist && childScore !== ours) throw new Error(`child process METEOR ${childScore} differs from ${ours}`);
    const jar = oracleMeteor(oracle, raw.name);
    const childMedian = haveDist ? median(child) : null;
    const speedUp =
      childMedian === null || jar.busy === null
        ? ''
        : `${(jar.busy / childMedian).toFixed(1)}x / ${jar.idle === null ? '?' : (jar.idle / childMedian).toFixed(1)}x`;
    console.log(
      `| ${raw.name} | ${images} | ${childMedian === null ? '' : formatSeconds(childMedian)} | ${childMedian === null ? '' : formatSeconds(median(childCpu))} | ${formatSeconds(median(cold))} | ${formatSeconds(median(hot))} | ${jar.busy === null ? '' : formatSeconds(jar.busy)} | ${jar.idle === null ? '' : formatSeconds(jar.idle)} | ${speedUp} |`,
    );
  }
}

/**
 * Writes a synthetic paraphrase table in the jar's format: distinct phrases of 1-4 real words (COCO caption
 * words, frequent ones more often, and WordNet words), each reference phrase with 1-9 paraphrases drawn from the
 * same pool of phrases (as a pivot-made table lists both directions), a probability line per entry.
 */
async function writeSyntheticTable(file: string, entries: number): Promise<void> {
  const data = sharedData();
  const counts = new Map<string, number>();
  const annotations = data.readJson<{ annotations: { caption: string }[] }>(
    'coco-caption/captions_val2014_reconstructed.json.gz',
  );
  for (const { caption } of annotations.annotations) {
    for (const w of caption.toLowerCase().split(/[^a-z0-9']+/)) if (w !== '') counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const frequent = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  const synsets = data.readText('meteor/synonym/english.synsets').split('\n');
  const wordnet = synsets.filter((_, k) => k % 2 === 0 && synsets[k] !== '');
  const rand = seededRandom(20150605);
  const word = (): string => {
    if (rand() < 0.6) return frequent[Math.floor(frequent.length * rand() ** 3)] as string; // Zipf-like
    return wordnet[Math.floor(wordnet.length * rand())] as string;
  };
  const phraseCount = Math.max(1, Math.floor(entries / 5));
  const distinct = new Set<string>();
  while (distinct.size < phraseCount) {
    const r = rand();
    const length = r < 0.3 ? 1 : r < 0.65 ? 2 : r < 0.9 ? 3 : 4;
    distinct.add(Array.from({ length }, word).join(' '));
  }
  const pool = [...distinct];
  const gzip = createGzip({ level: 6 });
  const out = gzip.pipe(createWriteStream(file));
  let written = 0;
  let buffer = '';
  let reference = 0;
  while (written < entries) {
    const group = 1 + Math.floor(rand() * 9);
    for (let k = 0; k < group && written < entries; k++, written++) {
      const paraphrase = pool[Math.floor(rand() * pool.length)] as string;
      buffer += `${(rand() * 0.5).toPrecision(6)}\n${pool[reference] as string}\n${paraphrase}\n`;
    }
    reference = (reference + 1) % pool.length;
    if (buffer.length > 1 << 20) {
      if (!gzip.write(buffer)) await new Promise<void>((resolve) => gzip.once('drain', () => resolve()));
      buffer = '';
    }
  }
  gzip.end(buffer);
  await new Promise<void>((resolve, reject) => out.on('finish', () => resolve()).on('error', reject));
}

/** A full garbage collection (V8's `gc`, made available without a command-line flag). */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function memory(): { rss: number; heap: number; buffers: number } {
  collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, buffers: m.arrayBuffers };
}

const MB = 1024 * 1024;

/** Paraphrase table of realistic size: generation (cached), first load, index loads, memory, scoring. */
async function benchParaphrases(options: MeteorBenchOptions, files: MeteorResourceFiles): Promise<void> {
  const folder = join(tmpdir(), 'caption-meteor-bench');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `synthetic-paraphrase-en-${options.paraphraseEntries}.gz`);
  if (!existsSync(file)) {
    const made = await timed(() => writeSyntheticTable(`${file}.tmp`, options.paraphraseEntries));
    rmSync(file, { force: true });
    renameSync(`${file}.tmp`, file);
    console.log(`\n(synthetic table generated in ${formatSeconds(made.seconds)} s, cached at ${file})`);
  }
  const cache = join(folder, 'index');
  rmSync(cache, { recursive: true, force: true });
  const before = memory();
  const first = await timed(() => loadParaphraseTable(file, cache));
  const afterFirst = memory();
  const indexLoads: number[] = [];
  let loaded = first.value;
  for (let run = 0; run < options.runs; run++) {
    const load = await timed(() => loadParaphraseTable(file, cache));
    indexLoads.push(load.seconds);
    loaded = load.value;
  }
  const held = memory();
  if (!loaded.fromIndex) throw new Error('the second load did not use the index');
  const stats = loaded.table.stats;
  console.log('\n### METEOR paraphrase table of realistic size (synthetic, jar format)\n');
  console.log('| what | value |');
  console.log('|---|---:|');
  console.log(
    `| table file ` +
      `(gzip) | ${(statSync(file).size / MB).toFixed(1)} MB, ${stats.entries.toLocaleString('en-US')} entries, ${stats.phrases.toLocaleString('en-US')} phrases, ${stats.words.toLocaleString('en-US')} words |`,
  );
  console.log(`| first load: gunzip + parse + build + write index | ${formatSeconds(first.seconds)} s |`);
  console.log(`| index file | ${(statSync(loaded.indexPath as string).size / MB).toFixed(1)} MB |`);
  console.log(`| later loads (index), median of ${options.runs} | ${formatSeconds(median(indexLoads))} s |`);
  console.log(`| memory held by one table (arrays + vocabulary) | ${(stats.bytes / MB).toFixed(1)} MB |`);
  console.log(
    `| process memory after the first load ` +
      `(rss / heap / array ` +
      `buffers, ` +
      `delta) | ${((afterFirst.rss - before.rss) / MB).toFixed(0)} / ${((afterFirst.heap - before.heap) / MB).toFixed(0)} / ${((afterFirst.buffers - before.buffers) / MB).toFixed(0)} MB |`,
  );
  console.log(
    `| process memory after ${options.runs} index loads (rss / heap / ` +
      `array buffers, ` +
      `delta) | ${((held.rss - before.rss) / MB).toFixed(0)} / ${((held.heap - before.heap) / MB).toFixed(0)} / ${((held.buffers - before.buffers) / MB).toFixed(0)} MB |`,
  );

  const fakecap = options.cases.find((c) => c.name === 'fakecap_all1000') ?? options.cases[0];
  if (fakecap !== undefined) {
    const { refs, cands } = tokenize(fakecap);
    const withTable = new MeteorScorer(files, loaded.table);
    const without = new MeteorScorer(files, null);
    withTable.score(refs, cands);
    without.score(refs, cands);
    const times = { with: [] as number[], without: [] as number[] };
    for (let run = 0; run < options.runs; run++) {
      times.with.push((await timed(() => withTable.score(refs, cands))).seconds);
      times.without.push((await timed(() => without.score(refs, cands))).seconds);
    }
    console.log(
      `| ${fakecap.name} scoring (warm), with / ` +
        `without the table | ${formatSeconds(median(times.with))} / ${formatSeconds(median(times.without))} s |`,
    );
  }
}

/** The Snowball stemmer against the jar's on both real word lists of the fixture (COCO words, WordNet words). */
function checkStemmer(): void {
  const { coco, wordnet } = readJarCases().stemmer;
  const data = sharedData();
  const stemmer = new EnglishStemmer();
  console.log("\n### Snowball English stemmer (npm snowball-stemmers) against the jar's\n");
  for (const [name, expected, words] of [
    ['COCO caption words', coco, () => cocoWords(data)],
    ['WordNet words of english.synsets / english.exceptions', wordnet, () => wordnetWords(data)],
  ] as const) {
    const list = words();
    const same = list.length === expected.words && stemDigest(stemmer, list) === expected.sha256;
    console.log(
      `- ${name}: ${list.length.toLocaleString('en-US')} words, ` +
        `stems ${same ? "all equal to the jar's" : "DIFFERENT from the jar's " + '(digest mismatch)'}`,
    );
  }
}

/** The METEOR section of the bench (called by bench/index.ts, or run on its own). */
export async function benchMeteor(options: MeteorBenchOptions): Promise<void> {
  const reason = sharedSkipReason(Object.values(METEOR_RESOURCE_PATHS).map((rel) => `${METEOR_DIR}/${rel}`));
  if (reason !== null) {
    console.warn(`[skip] METEOR bench: ${reason}`);
    return;
  }
  const files = readResourceFiles();
  const work = join(tmpdir(), `caption-meteor-bench-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    await benchCases(options, files, work);
    if (options.paraphraseEntries > 0) await benchParaphrases(options, files);
    checkStemmer();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const program = new Command('bench-meteor')
    .option('--runs <n>', 'runs per measurement (median reported)', '5')
    .option('--cases <list>', 'comma-separated case names', 'fakecap_first500,fakecap_all1000')
    .option(
      '--entries <n>',
      'entries of the synthetic paraphrase table (3,200,000: about the 59 MB of the real paraphrase-en.gz)',
      '3200000',
    )
    .option('--no-paraphrase', 'skip the paraphrase table part')
    .parse(process.argv);
  const options = program.opts<{ runs: string; cases: string; entries: string; paraphrase: boolean }>();
  await benchMeteor({
    runs: Number(options.runs),
    cases: loadCases(options.cases.split(',')),
    oracle: loadOracleTimings(),
    paraphraseEntries: options.paraphrase ? Number(options.entries) : 0,
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
