/**
 * `npm run threads-identity -w @caption/example-aoanet [-- --epochs N]`: trains the demo's AoANet on the
 * demo data (the cross-entropy stage, `configs/shapes-aoanet-xe.yaml`, for N epochs, default 1, then one
 * self-critical epoch from it) three times, in child processes: on one wasm thread, on two, and on two with
 * every product split over them (`CAPTION_WASM_SPLIT_ALL=1`: the demo's products are small, so most stay on
 * one thread otherwise). Then it compares the three runs' final checkpoints (every weight, bit for bit), every
 * step's loss and the validation scores and captions, and prints the wall time of each run. The data stage is the
 * demo's (cached under `out/`); runs go to `out/threads-identity/`. Exits 1 when anything differs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CheckpointStore, initBackend, parseSafetensors } from '@caption/core';
import { kebabCase } from '@caption/example-common';
import { DEMO_DIRS, prepareDemoData } from './demo-data';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(DEMO_DIRS.repoRoot, 'out', 'threads-identity');
const epochs = Number(parseArgs({ options: { epochs: { type: 'string', default: '1' } } }).values.epochs);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;

const RUNS: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'threads-1', env: { CAPTION_WASM_THREADS: '1', CAPTION_WASM_SPLIT_ALL: '0' } },
  { name: 'threads-2', env: { CAPTION_WASM_THREADS: '2', CAPTION_WASM_SPLIT_ALL: '0' } },
  { name: 'threads-2-split-all', env: { CAPTION_WASM_THREADS: '2', CAPTION_WASM_SPLIT_ALL: '1' } },
];

/** Runs `cli.ts train` with a configuration and options; resolves with its output and wall seconds. */
function train(config: string, options: Record<string, unknown>, env: Record<string, string>) {
  const flags = Object.entries(options).flatMap(([k, v]) => [`--${kebabCase(k)}`, String(v)]);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'cli.ts'), 'train', '--config', join(DEMO_DIRS.configs, config), ...flags],
    { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const t0 = performance.now();
  return new Promise<{ output: string; seconds: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0)
        reject(new Error(`train ${config} exited with ${code}:\n${output.split('\n').slice(-20).join('\n')}`));
      else resolve({ output, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

/** The latest checkpoint's weights (raw bytes per tensor) of a run folder. */
function weights(runDir: string): Map<string, Uint8Array> {
  const latest = new CheckpointStore(runDir).resolve('latest');
  if (latest === null) throw new Error(`no checkpoint in ${runDir}`);
  const file = parseSafetensors(readFileSync(join(latest, 'model.safetensors')));
  return new Map(
    [...file.tensors].map(([name, t]) => [name, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)]),
  );
}

/** What a run recorded besides its weights: every step's loss, and the last validation's scores and captions. */
function record(runDir: string): string {
  const history = JSON.parse(readFileSync(join(runDir, 'history.json'), 'utf8')) as { history: { losses: unknown } };
  const validation = JSON.parse(readFileSync(join(runDir, 'validation.json'), 'utf8')) as {
    scores: unknown;
    results: unknown;
  };
  return JSON.stringify([history.history.losses, validation.scores, validation.results]);
}

async function main(): Promise<void> {
  const backend = await initBackend('auto', { log, threads: 1 });
  const { paths } = await prepareDemoData({ backend: backend.kind, log, elapsed });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const results: Array<{ name: string; seconds: number; records: string[]; weights: Map<string, Uint8Array> }> = [];
  for (const run of RUNS) {
    log(`\n== ${run.name}: ${epochs} cross-entropy epoch(s), then 1 self-critical epoch [${elapsed()}]`);
    const xeDir = join(outDir, run.name, 'xe');
    const scstDir = join(outDir, run.name, 'scst');
    const common = { ...paths, seed: 42, progress: 'lines', lossesLogEvery: 10 };
    const xe = await train('shapes-aoanet-xe.yaml', { ...common, checkpointPath: xeDir, maxEpochs: epochs }, run.env);
    const scst = await train(
      'shapes-aoanet-scst.yaml',
      { ...common, checkpointPath: scstDir, startFrom: xeDir, maxEpochs: 1 },
      run.env,
    );
    const backendLine = xe.output.split('\n').find((l) => l.includes('backend:')) ?? '';
    log(`${run.name}: ${backendLine.trim()}; ${xe.seconds.toFixed(1)} s + ${scst.seconds.toFixed(1)} s`);
    results.push({
      name: run.name,
      seconds: xe.seconds + scst.seconds,
      records: [record(xeDir), record(scstDir)],
      weights: new Map([
        ...[...weights(xeDir)].map(([n, w]): [string, Uint8Array] => [`xe/${n}`, w]),
        ...[...weights(scstDir)].map(([n, w]): [string, Uint8Array] => [`scst/${n}`, w]),
      ]),
    });
  }
  const [reference, ...others] = results as [(typeof results)[0], ...typeof results];
  let identical = true;
  for (const other of others) {
    const differing = [...reference.weights].filter(([name, bytes]) => {
      const theirs = other.weights.get(name);
      return theirs === undefined || theirs.length !== bytes.length || theirs.some((b, i) => b !== bytes[i]);
    });
    const sameRecords = other.records.every((r, i) => r === reference.records[i]);
    const floats = [...reference.weights.values()].reduce((n, w) => n + w.length / 4, 0);
    const same = differing.length === 0 && other.weights.size === reference.weights.size && sameRecords;
    identical &&= same;
    process.stdout.write(
      `${other.name} vs ${reference.name}: ${same ? 'bit-identical' : 'DIFFERENT'} (${reference.weights.size} tensors, ` +
        `${floats.toLocaleString('en')} floats of the XE and SCST checkpoints${differing.length > 0 ? `; differing: ${differing.map(([n]) => n).join(', ')}` : ''}; ` +
        `losses of every step, validation scores and captions ${sameRecords ? 'equal' : 'differ'})\n`,
    );
  }
  for (const r of results) process.stdout.write(`${r.name}: ${r.seconds.toFixed(1)} s wall\n`);
  const last = JSON.parse(readFileSync(join(outDir, 'threads-1', 'scst', 'validation.json'), 'utf8')) as {
    scores: Record<string, number>;
  };
  process.stdout.write(
    `validation after the self-critical epoch: CIDEr ${last.scores['CIDEr']?.toFixed(3)}; ` +
      `load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; ${new Date().toISOString()}\n`,
  );
  if (!identical) process.exit(1);
}

await main();
