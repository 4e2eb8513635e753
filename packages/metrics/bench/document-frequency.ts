/**
 * `npm run bench:df -w @caption/metrics -- [--runs 7] [--baseline DIR] [--only NAME,...]` (after `npm run build`): the users of
 * the one document-frequency counter, on the 40,504 COCO val2014 images × 5 PTB-tokenized references (the
 * corpus of the CiderDScorer throughput bench): `CiderDScorer.fromCorpus` on token strings and on id rows
 * ending in 0 (as ImageCaptioning.pytorch feeds them), `documentFrequencies` (what `@caption/data-coco` writes
 * its `prepro_ngrams.py` caches from) on the strings, and `cider()` with the first 4 references of each image
 * and the 5th as its candidate (an evaluation; caption-eval as a whole process: `bench:process`).
 *
 * `--baseline DIR`: a built copy of this package from another commit (a folder holding its `dist/`, whose
 * imports resolve, e.g. with a `node_modules` link to this repository's). Each run times the baseline and this
 * build in turn, in this one process, and the outputs are compared: `toJSON()` text and the
 * `documentFrequencies` entries in order must be identical.
 */
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sharedData, sharedSkipReason } from '@caption/test-support';
import { formatSeconds, loadAverageText, median, timed } from '@caption/bench-support';
import type * as metricsApi from '../src/index';

type Metrics = typeof metricsApi;

const FILE = 'coco-caption/captions_val2014_reconstructed.json.gz';
const args = parseArgs({
  options: { runs: { type: 'string', default: '7' }, baseline: { type: 'string' }, only: { type: 'string' } },
}).values;

async function load(dir: string): Promise<Metrics> {
  return (await import(pathToFileURL(join(dir, 'dist', 'index.js')).href)) as Metrics;
}

async function main(): Promise<void> {
  const reason = sharedSkipReason([FILE]);
  if (reason !== null) {
    console.warn(`[skip] document-frequency bench: ${reason}`);
    return;
  }
  const current = await load(resolve(import.meta.dirname, '..'));
  const builds: [string, Metrics][] = [['this build', current]];
  if (args.baseline !== undefined) builds.unshift(['baseline', await load(resolve(args.baseline))]);

  const annotations = sharedData().readJson<{ annotations: { image_id: number; caption: string }[] }>(FILE);
  const raw: Record<string, string[]> = {};
  for (const a of annotations.annotations) (raw[a.image_id] ??= []).push(a.caption);
  const ids = Object.keys(raw).filter((id) => (raw[id] as string[]).length >= 5);
  const tokenized = current.ptbTokenize(Object.fromEntries(ids.map((id) => [id, (raw[id] as string[]).slice(0, 5)])));
  const strings = ids.map((id) => tokenized[id] as string[]);
  const vocabulary = new Map<string, number>();
  const rows = strings.map((list) =>
    list.map((caption) => {
      const words = caption.split(' ').filter((w) => w !== '');
      const row = new Int32Array(16);
      words.slice(0, 15).forEach((w, i) => {
        let id = vocabulary.get(w);
        if (id === undefined) vocabulary.set(w, (id = vocabulary.size + 1));
        row[i] = id;
      });
      return row;
    }),
  );

  const evalRefs: Record<string, string[]> = {};
  const evalCands: Record<string, string> = {};
  ids.forEach((id, i) => {
    evalRefs[id] = (strings[i] as string[]).slice(0, 4);
    evalCands[id] = (strings[i] as string[])[4] as string;
  });

  const tasks = {
    'fromCorpus (strings)': (m: Metrics) => JSON.stringify(m.CiderDScorer.fromCorpus(strings).toJSON()),
    'fromCorpus (id rows)': (m: Metrics) => JSON.stringify(m.CiderDScorer.fromCorpus(rows).toJSON()),
    documentFrequencies: (m: Metrics) => JSON.stringify([...m.documentFrequencies(strings).documentFrequency]),
    'cider (evaluation)': (m: Metrics) => JSON.stringify(m.cider(evalRefs, evalCands)),
  };
  // Timed: the call alone; the JSON text (not timed) is what the builds must agree on.
  const timedTasks = {
    'fromCorpus (strings)': (m: Metrics) => m.CiderDScorer.fromCorpus(strings),
    'fromCorpus (id rows)': (m: Metrics) => m.CiderDScorer.fromCorpus(rows),
    documentFrequencies: (m: Metrics) => m.documentFrequencies(strings),
    'cider (evaluation)': (m: Metrics) => m.cider(evalRefs, evalCands),
  };
  const runs = Number(args.runs);
  const loadBefore = loadAverageText();
  const lines: string[] = [];
  const names = (Object.keys(tasks) as (keyof typeof tasks)[]).filter(
    (name) => args.only === undefined || args.only.split(',').includes(name),
  );
  for (const name of names) {
    if (builds.length === 2) {
      const [a, b] = builds.map(([, m]) => tasks[name](m));
      if (a !== b) throw new Error(`${name}: the baseline and this build give different results`);
    }
    const wall = builds.map((): number[] => []);
    const cpu = builds.map((): number[] => []);
    for (let run = 0; run < runs; run++) {
      builds.forEach(([, m], i) => {
        const t = timed(() => timedTasks[name](m));
        wall[i]?.push(t.seconds);
        cpu[i]?.push(t.cpuSeconds);
      });
    }
    const cells = builds.map(
      ([label], i) =>
        `${label} ${formatSeconds(median(wall[i] as number[]))} s wall / ${formatSeconds(median(cpu[i] as number[]))} s CPU`,
    );
    if (builds.length === 2) {
      cells.push(
        `ratio ${(median(wall[1] as number[]) / median(wall[0] as number[])).toFixed(2)} (this / baseline, wall)`,
      );
    }
    lines.push(`${name}: ${cells.join('; ')}${builds.length === 2 ? '; outputs identical' : ''}`);
  }
  process.stdout.write(
    [
      `document frequencies of ${strings.length} val2014 images × 5 references, medians of ${runs} runs, ${new Date().toISOString()}`,
      `CPU: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), Node ${process.version}; load average before ${loadBefore}, after ${loadAverageText()}`,
      ...lines,
      '',
    ].join('\n'),
  );
}

await main();
