/**
 * `npm run bench:process -w @caption/metrics` (after `npm run build`): `caption-eval` as a whole process
 * (Node start, reading both JSON files, tokenizing, BLEU + ROUGE-L + CIDEr, printing) on the human
 * leave-one-out case of all 40,504 COCO val2014 images, timed by hyperfine; the median next to coco-caption's
 * scorer time for the same work (tokenizer + BLEU + ROUGE-L + CIDEr in `expected/oracle-timings.json`: Python
 * 3.11 + numpy, Java 17, the same 2-core machine type).
 *
 * The case's references become a COCO `captions_*.json` annotation file and its candidates a COCO results
 * file, written to a temporary folder. Options: `--runs N` (default 7), `--warmup N` (default 1), `--baseline
 * DIR` (a built copy of this package from another commit, a folder with its `bin/` and `dist/` whose imports
 * resolve: hyperfine then times its caption-eval too, in the same run, and the ratio is printed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCases, loadOracleTimings } from './cases';

const CASE = 'human_loo_val2014_40504';
const REFERENCE_STAGES = ['tokenizer', 'bleu', 'rouge', 'cider'];
const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '1' },
    baseline: { type: 'string' },
  },
}).values;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function main(): void {
  if (spawnSync('hyperfine', ['--version']).status !== 0) throw new Error('hyperfine is not installed');
  const [benchCase] = loadCases([CASE]);
  if (benchCase === undefined) return; // loadCases said why
  const work = mkdtempSync(join(tmpdir(), 'caption-eval-process-'));
  try {
    const refsFile = join(work, 'captions_val2014_loo.json');
    const resultsFile = join(work, 'results_loo.json');
    const images = Object.keys(benchCase.refs).map((id) => ({ id: Number(id) }));
    let annotationId = 0;
    const annotations = Object.entries(benchCase.refs).flatMap(([id, captions]) =>
      captions.map((caption) => ({ image_id: Number(id), id: ++annotationId, caption })),
    );
    writeFileSync(refsFile, JSON.stringify({ images, annotations }));
    writeFileSync(
      resultsFile,
      JSON.stringify(Object.entries(benchCase.cands).map(([id, caption]) => ({ image_id: Number(id), caption }))),
    );
    const commandOf = (packageDir: string): string =>
      `${process.execPath} ${join(packageDir, 'bin', 'caption-eval.js')} --refs ${refsFile} --results ${resultsFile} --metrics bleu,rouge,cider --json`;
    const command = commandOf(join(here, '..'));
    const baseline = args.baseline === undefined ? [] : [commandOf(resolve(args.baseline))];
    const exported = join(work, 'hyperfine.json');
    const loadBefore = load();
    const run = spawnSync(
      'hyperfine',
      [
        '--warmup',
        args.warmup,
        '--runs',
        args.runs,
        '--output',
        'pipe',
        '--export-json',
        exported,
        ...baseline,
        command,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (run.status !== 0) throw new Error(`hyperfine exited with ${run.status}`);
    const loadAfter = load();
    const results = (
      JSON.parse(readFileSync(exported, 'utf8')) as {
        results: Array<{ times: number[]; median: number; user: number; system: number }>;
      }
    ).results;
    const result = results[results.length - 1];
    if (result === undefined) throw new Error('hyperfine reported no result');
    const baselineResult = baseline.length > 0 ? results[0] : undefined;
    const oracle = loadOracleTimings()?.cases[CASE];
    const reference =
      oracle === undefined
        ? null
        : REFERENCE_STAGES.reduce((sum, stage) => {
            const entry = oracle[stage];
            return sum + (typeof entry === 'number' ? entry : (entry?.median ?? Number.NaN));
          }, 0);
    const mb = (file: string): string => `${(statSync(file).size / 1e6).toFixed(1)} MB`;
    process.stdout.write(
      [
        '',
        `caption-eval as a process, ${CASE} (${images.length} images; refs ${mb(refsFile)}, results ${mb(resultsFile)}), ${new Date().toISOString()}`,
        `CPU: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), Node ${process.version}; load average before ${loadBefore}, after ${loadAfter}`,
        ...[
          ...(baselineResult === undefined ? [] : [['baseline', baselineResult] as const]),
          ['this build', result] as const,
        ].map(
          ([label, r]) =>
            `${label}: median ${r.median.toFixed(3)} s wall (min ${Math.min(...r.times).toFixed(3)}, max ${Math.max(...r.times).toFixed(3)}; ${r.times.length} runs), mean user ${r.user.toFixed(3)} s + system ${r.system.toFixed(3)} s`,
        ),
        ...(baselineResult === undefined
          ? []
          : [`this build / baseline, median wall: ${(result.median / baselineResult.median).toFixed(3)}`]),
        reference === null
          ? 'no reference timing (expected/oracle-timings.json absent)'
          : `coco-caption's scorer time for tokenizer + BLEU + ROUGE-L + CIDEr (oracle-timings medians): ${reference.toFixed(1)} s -> ${(reference / result.median).toFixed(1)}x`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
