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
 *
 * `--coco-caption DIR` (a folder holding coco-caption's `pycocoevalcap/`, e.g. salaniz/pycocoevalcap) also times
 * the reference as a process in the same run: bench/coco-caption-process.py, COCOEvalCap's work for BLEU, ROUGE-L
 * and CIDEr with coco-caption's code and its Java PTB tokenizer, on the same two files (python3 with numpy, java).
 * Its jar comes from `DIR/pycocoevalcap/tokenizer/stanford-corenlp-3.4.1.jar` or `--ptb-jar FILE` (built by
 * bench/build-ptb-jar.sh); `--reference-runs N` (default 3). Both sides' corpus scores are printed and compared
 * first; then hyperfine times this build, the reference, and this build again, and the ratio of the medians is
 * printed with the load average.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
    'coco-caption': { type: 'string' },
    'ptb-jar': { type: 'string' },
    'reference-runs': { type: 'string', default: '3' },
  },
}).values;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Timing {
  times: number[];
  median: number;
  user: number;
  system: number;
}

/** Runs hyperfine on `commands` (in this order) and returns its result per command. */
function hyperfine(commands: readonly string[], runs: string, warmup: string, exported: string): Timing[] {
  const run = spawnSync(
    'hyperfine',
    ['--warmup', warmup, '--runs', runs, '--output', 'pipe', '--export-json', exported, ...commands],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (run.status !== 0) throw new Error(`hyperfine exited with ${run.status}`);
  const results = (JSON.parse(readFileSync(exported, 'utf8')) as { results: Timing[] }).results;
  if (results.length !== commands.length) throw new Error('hyperfine reported fewer results than commands');
  return results;
}

const cpuOf = (r: Timing): number => r.user + r.system;

const describe = (label: string, r: Timing): string =>
  `${label}: median ${r.median.toFixed(3)} s wall (min ${Math.min(...r.times).toFixed(3)}, max ${Math.max(...r.times).toFixed(3)}; ${r.times.length} runs), mean user ${r.user.toFixed(3)} s + system ${r.system.toFixed(3)} s`;

/** The corpus scores a command prints as JSON on its last line of stdout (both caption-eval and the reference). */
function scoresOf(command: string): Record<string, number> {
  const run = spawnSync('sh', ['-c', command], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`${command} exited with ${run.status}:\n${run.stderr}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Record<string, number>;
}

/** coco-caption's evaluation as a process (bench/coco-caption-process.py), set up in `work`; null when not asked for. */
function referenceCommand(work: string, refsFile: string, resultsFile: string): string | null {
  const dir = args['coco-caption'];
  if (dir === undefined) return null;
  const source = join(resolve(dir), 'pycocoevalcap');
  const jar =
    args['ptb-jar'] === undefined ? join(source, 'tokenizer', 'stanford-corenlp-3.4.1.jar') : resolve(args['ptb-jar']);
  for (const [file, what] of [
    [join(source, 'tokenizer', 'ptbtokenizer.py'), 'coco-caption (--coco-caption DIR must hold pycocoevalcap/)'],
    [jar, 'the CoreNLP 3.4.1 jar (give --ptb-jar FILE; bench/build-ptb-jar.sh builds one)'],
  ] as const) {
    if (!existsSync(file)) throw new Error(`${file} is missing: ${what}`);
  }
  // a copy of the scorers and the tokenizer: coco-caption's tokenizer writes its temporary file beside itself
  const copy = join(work, 'pycocoevalcap');
  for (const part of ['bleu', 'rouge', 'cider', 'tokenizer']) {
    cpSync(join(source, part), join(copy, part), { recursive: true, filter: (file) => !file.endsWith('.jar') });
  }
  const script = join(here, 'coco-caption-process.py');
  return `python3 ${script} --pycocoevalcap ${work} --ptb-jar ${jar} --refs ${refsFile} --results ${resultsFile}`;
}

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
    const reference = referenceCommand(work, refsFile, resultsFile);
    const exported = join(work, 'hyperfine.json');
    const mb = (file: string): string => `${(statSync(file).size / 1e6).toFixed(1)} MB`;
    const lines = [
      '',
      `caption-eval as a process, ${CASE} (${images.length} images; refs ${mb(refsFile)}, results ${mb(resultsFile)}), ${new Date().toISOString()}`,
      `CPU: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), Node ${process.version}`,
    ];
    if (reference !== null) {
      const ours = scoresOf(command);
      const theirs = scoresOf(reference);
      const keys = Object.keys(theirs);
      const worst = Math.max(...keys.map((key) => Math.abs((ours[key] ?? Number.NaN) - (theirs[key] ?? 0))));
      lines.push(
        `corpus scores, caption-eval: ${JSON.stringify(ours)}`,
        `corpus scores, coco-caption: ${JSON.stringify(theirs)}`,
        `largest difference: ${worst} over ${keys.join(', ')}`,
      );
    }
    const loadBefore = load();
    const [baselineResult, result] =
      baseline.length > 0
        ? hyperfine([...baseline, command], args.runs, args.warmup, exported)
        : [undefined, ...hyperfine([command], args.runs, args.warmup, exported)];
    if (result === undefined) throw new Error('hyperfine reported no result');
    const loadMiddle = load();
    let referenceLines: string[] = [];
    if (reference !== null) {
      const [referenceResult] = hyperfine([reference], args['reference-runs'], '0', exported);
      const loadAfterReference = load();
      const [again] = hyperfine([command], args.runs, args.warmup, exported);
      if (referenceResult === undefined || again === undefined) throw new Error('hyperfine reported no result');
      const ours = (result.median + again.median) / 2;
      referenceLines = [
        describe('coco-caption (bench/coco-caption-process.py)', referenceResult),
        `load average after it: ${loadAfterReference}`,
        describe('this build, again', again),
        `coco-caption / caption-eval, median wall (caption-eval: mean of its two medians, ${ours.toFixed(3)} s): ${(referenceResult.median / ours).toFixed(1)}x`,
        `coco-caption / caption-eval, mean CPU (user + system): ${(cpuOf(referenceResult) / ((cpuOf(result) + cpuOf(again)) / 2)).toFixed(1)}x`,
      ];
    }
    const loadAfter = load();
    const oracle = loadOracleTimings()?.cases[CASE];
    const recorded =
      oracle === undefined
        ? null
        : REFERENCE_STAGES.reduce((sum, stage) => {
            const entry = oracle[stage];
            return sum + (typeof entry === 'number' ? entry : (entry?.median ?? Number.NaN));
          }, 0);
    process.stdout.write(
      [
        ...lines,
        `load average before ${loadBefore}, after the first caption-eval runs ${loadMiddle}, at the end ${loadAfter}`,
        ...(baselineResult === undefined ? [] : [describe('baseline', baselineResult)]),
        describe('this build', result),
        ...(baselineResult === undefined
          ? []
          : [`this build / baseline, median wall: ${(result.median / baselineResult.median).toFixed(3)}`]),
        ...referenceLines,
        recorded === null
          ? 'no recorded reference timing (expected/oracle-timings.json absent)'
          : `for comparison only, recorded on another machine (oracle-timings medians, scorer stages alone): ${recorded.toFixed(1)} s`,
        '',
      ].join('\n'),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
