/**
 * `npm run bench:pytorch -w @caption/models-aoa -- --aoanet-src DIR [--runs N]`: the AoANet measurements
 * side by side with the original PyTorch code, on this machine, in one process tree, one after the other:
 *
 * 1. the reference timing of `../shared/data/aoanet-reference` (`gen.py DIR --only timings`, Debian's
 *    `/usr/bin/python3` with its torch, OpenBLAS on 2 threads as the fixture README runs it; its output
 *    goes to a temporary folder), on the husthuaan/AoANet source in DIR (an unpatched checkout is copied and
 *    patched with the fixture folder's `aoanet-cpu.patch` first);
 * 2. our bench (`bench/index.ts`) on the default wasm threads (the machine's cores);
 * 3. our XE step on one thread, for its GFLOP/s on 1 and on all threads.
 *
 * It prints one table with both, the ratios and the targets of issue 14, with the date, the `lscpu` model
 * name and the load average before and after each part. Without torch, the source, gen.py or OpenBLAS it
 * says what is missing and prints only ours. Options: `--runs N` (timed runs after one warm-up, both sides;
 * default 3), `--python PATH` (default /usr/bin/python3), `--openblas DIR` (default Debian's
 * /usr/lib/x86_64-linux-gnu/openblas-pthread).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatMs, markdownTable, median } from '@caption/bench-support';
import { sharedDataDir } from '@caption/test-support';
import type { BenchKey, BenchResult } from './results';

const here = dirname(fileURLToPath(import.meta.url));
const args = parseArgs({
  options: {
    'aoanet-src': { type: 'string' },
    runs: { type: 'string', default: '3' },
    python: { type: 'string', default: '/usr/bin/python3' },
    openblas: { type: 'string', default: '/usr/lib/x86_64-linux-gnu/openblas-pthread' },
  },
}).values;
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`);

/** The measurements, in the table's order, with the speed-up over PyTorch that issue 14 asks for. */
const MEASUREMENTS: Array<{ key: BenchKey; label: string; target: number }> = [
  { key: 'xe_train_step_ms', label: 'XE step (50 captions)', target: 1.8 },
  { key: 'self_critical_step_ms', label: 'SCST step', target: 1.8 },
  { key: 'greedy_decode_ms_per_image_batch10', label: 'greedy, per image (batch 10)', target: 1.5 },
  { key: 'beam3_decode_ms_per_image_batch10', label: 'beam-3, per image (batch 10)', target: 3 },
];

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loads: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'caption-bench-pytorch-'));

/** `lscpu`'s model name (else Node's). */
function cpuModel(): string {
  const lscpu = spawnSync('lscpu', { encoding: 'utf8' });
  const line = lscpu.stdout?.split('\n').find((l) => l.startsWith('Model name'));
  return line?.split(':', 2)[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
}

/** Runs a command, its output passed through to stderr with a prefix; rejects on a non-zero exit. */
function run(command: string, argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; prefix: string }) {
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn(command, argv, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const relay = (chunk: Buffer): void => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim() !== '') log(`${options.prefix} ${line}`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${command} exited with ${code}:\n${tail}`)),
    );
  });
}

/** Why the PyTorch side cannot run (null: it can), and the source folder to run it on. */
function pytorchSetup(): { missing: string[]; src: string | null; genPy: string; torch: string } {
  const missing: string[] = [];
  const fixtures = join(sharedDataDir(), 'aoanet-reference');
  const genPy = join(fixtures, 'gen.py');
  if (!existsSync(genPy)) missing.push(`the reference timing script ${genPy}`);
  let torch = '';
  if (!existsSync(args.python)) {
    missing.push(`${args.python} (Debian's python3 with python3-torch)`);
  } else {
    const probe = spawnSync(args.python, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status !== 0) missing.push(`torch for ${args.python} (${probe.stderr.trim().split('\n').pop() ?? ''})`);
    else torch = probe.stdout.trim();
  }
  if (!existsSync(args.openblas))
    missing.push(`OpenBLAS in ${args.openblas} (without it torch runs the reference BLAS)`);
  let src = args['aoanet-src'] === undefined ? null : resolve(args['aoanet-src']);
  if (src === null) missing.push('the AoANet source: --aoanet-src DIR (husthuaan/AoANet)');
  else if (!existsSync(join(src, 'models', 'CaptionModel.py'))) {
    missing.push(`the AoANet source in ${src} (no models/CaptionModel.py)`);
  } else if (readFileSync(join(src, 'models', 'CaptionModel.py'), 'utf8').includes('it.cuda()')) {
    // unpatched: the beam search moves tokens to CUDA; patch a copy
    const copy = join(work, 'AoANet');
    cpSync(src, copy, { recursive: true });
    const patch = spawnSync('patch', ['-p1'], {
      cwd: copy,
      input: readFileSync(join(fixtures, 'aoanet-cpu.patch')),
      encoding: 'utf8',
    });
    if (patch.status !== 0) missing.push(`a patched copy of ${src} (patch -p1 failed: ${patch.stderr || patch.error})`);
    else src = copy;
  }
  return { missing, src, genPy, torch };
}

/** Per-run milliseconds (per image for decoding) of each measurement from gen.py's `timings.json`. */
function readPytorch(file: string, tag: string): Map<BenchKey, number[]> {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<
    string,
    { results: Record<string, { runs_s: number[]; divisor: number }> }
  >;
  const results = all[tag]?.results ?? {};
  return new Map(
    Object.entries(results).map(([key, r]) => [key as BenchKey, r.runs_s.map((s) => (s * 1000) / r.divisor)]),
  );
}

/** Our bench in a child process; its JSON results. */
async function ours(extra: string[], name: string): Promise<BenchResult> {
  const out = join(work, `${name}.json`);
  await run(
    process.execPath,
    ['--import', 'tsx', join(here, 'index.ts'), `--runs=${runs}`, `--json=${out}`, ...extra],
    {
      cwd: join(here, '..'),
      prefix: `[${name}]`,
    },
  );
  return JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
}

const spread = (values: number[]): string =>
  `${formatMs(median(values))} (${formatMs(Math.min(...values))}–${formatMs(Math.max(...values))})`;

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const setup = pytorchSetup();
  let pytorch: Map<BenchKey, number[]> | null = null;
  if (setup.missing.length > 0) {
    log(`PyTorch side skipped; missing: ${setup.missing.join('; ')}`);
  } else {
    loads.push(`PyTorch start ${load()}`);
    log(`== PyTorch ${setup.torch} (${args.python}, OpenBLAS 2 threads): gen.py --only timings --runs ${runs}`);
    const tag = 'caption-bench-pytorch';
    await run(
      args.python,
      [
        setup.genPy,
        setup.src as string,
        '--only',
        'timings',
        '--runs',
        String(runs),
        '--timing-tag',
        tag,
        '--out',
        work,
      ],
      {
        env: {
          ...process.env,
          OPENBLAS_NUM_THREADS: '2',
          LD_LIBRARY_PATH: [args.openblas, process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':'),
        },
        prefix: '[pytorch]',
      },
    );
    loads.push(`PyTorch end ${load()}`);
    pytorch = readPytorch(join(work, 'timings.json'), tag);
  }
  loads.push(`ours start ${load()}`);
  log(`== ours: bench/index.ts --runs=${runs} (default wasm threads)`);
  const all = await ours([], 'ours');
  loads.push(`ours end ${load()}`);
  let one: BenchResult | null = null;
  if (all.threads > 1) {
    log(`== ours: XE step on one thread`);
    one = await ours(['--only=xe', '--threads=1'], 'ours-1-thread');
    loads.push(`ours 1 thread end ${load()}`);
  }

  const rows = MEASUREMENTS.map(({ key, label, target }) => {
    const mine = all.rows.find((r) => r.key === key);
    const wall = mine?.runs.map((t) => t.wallMs) ?? [];
    const theirs = pytorch?.get(key) ?? [];
    const ratio = wall.length > 0 && theirs.length > 0 ? median(theirs) / median(wall) : null;
    return [
      label,
      theirs.length > 0 ? spread(theirs) : '–',
      wall.length > 0 ? spread(wall) : '–',
      ratio === null ? '–' : `${ratio.toFixed(2)}×`,
      `≥ ${target}×${ratio === null ? '' : ratio >= target ? ' (met)' : ' (not met)'}`,
    ];
  });
  const gflops = (result: BenchResult | null): string => {
    const xe = result?.rows.find((r) => r.key === 'xe_train_step_ms');
    if (xe === undefined) return '–';
    const ms = median(xe.runs.map((t) => t.wallMs));
    return `${(xe.flops / 1e9 / (ms / 1000)).toFixed(1)} GFLOP/s (${formatMs(ms)})`;
  };
  process.stdout.write(
    [
      '',
      `AoANet (train.sh size) side by side, ${date}; CPU: ${cpuModel()} (${cpus().length} cores), Node ${process.version}`,
      `PyTorch: ${pytorch === null ? `not run (missing: ${setup.missing.join('; ')})` : `torch ${setup.torch}, ${args.python}, OpenBLAS ${args.openblas}, 2 threads`}`,
      `ours: ${all.backend}; medians of ${runs} runs after one warm-up, wall time; (min–max)`,
      `load average (1, 5, 15 min): ${loads.join('; ')}`,
      '',
      markdownTable(
        [
          'measurement',
          'PyTorch CPU',
          `ours (${all.threads} thread${all.threads === 1 ? '' : 's'})`,
          'PyTorch / ours',
          'target',
        ],
        rows,
      ),
      '',
      `XE step, analytic matmul FLOPs of ours: ${gflops(one)} on 1 thread, ${gflops(all)} on ${all.threads} threads`,
      '',
    ].join('\n'),
  );
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
