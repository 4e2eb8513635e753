/**
 * The pipeline end to end at tiny size (a few shapes images, tiny models, one epoch): the files and keys the demo
 * reads, a second run that retrains nothing and gives the same results, a stop with SIGTERM in the middle of a CLIP
 * run that the next run resumes, and bad options stopping a command before any work.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateShapes } from '@caption/example-shapes';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PipelineSummary } from './pipeline';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, 'cli.ts');
const SIZES = { train: 24, val: 8, test: 8 };

let root: string;
let dataDir: string;
let clipConfig: string;
let trainConfig: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'clipcap-test-'));
  dataDir = join(root, 'shapes');
  for (const language of ['en', 'zh'] as const) await generateShapes({ outDir: dataDir, ...SIZES, seed: 1, language });
  clipConfig = join(root, 'clip.json');
  writeFileSync(
    clipConfig,
    JSON.stringify({
      epochs: 2,
      batchSize: 8,
      warmupSteps: 0,
      embedDim: 16,
      projectionHidden: 32,
      visionWidth: 32,
      visionLayers: 1,
      patchSize: 16,
      textWidth: 32,
      textLayers: 1,
      textHeads: 2,
      textPositions: 32,
    }),
  );
  trainConfig = join(root, 'train.json');
  writeFileSync(
    trainConfig,
    JSON.stringify({
      epochs: 1,
      batchSize: 16,
      batchesPerEpoch: 3,
      warmupSteps: 0,
      prefixLength: 2,
      valImages: 4,
      maxLength: 10,
    }),
  );
});

interface ChildRun {
  code: number | null;
  output: string;
}

/** Runs the CLI in a child process; `kill` sends SIGTERM when it returns true (polled every 100 ms). */
function runCli(args: string[], kill?: () => boolean): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    // node itself with tsx's loader (not the tsx CLI, which relays signals through a parent process)
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer): void => void (output += chunk.toString());
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const poll =
      kill === undefined
        ? null
        : setInterval(() => {
            if (kill()) {
              clearInterval(poll as NodeJS.Timeout);
              child.kill('SIGTERM');
            }
          }, 100);
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll !== null) clearInterval(poll);
      resolvePromise({ code, output });
    });
  });
}

const pipelineArgs = (outDir: string, extra: string[] = []): string[] => [
  'pipeline',
  ...['--data-dir', dataDir, '--out-dir', outDir, '--clip-config', clipConfig, '--train-config', trainConfig],
  ...['--train', String(SIZES.train), '--val', String(SIZES.val), '--test', String(SIZES.test), '--backend', 'wasm'],
  ...extra,
];

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('clipcap pipeline', () => {
  it('writes results.json with the demo keys, then reruns from its cache with the same results', async () => {
    const outDir = join(root, 'out-full');
    const first = await runCli(pipelineArgs(outDir, ['--ensemble-size', '2']));
    expect(first.code, first.output).toBe(0);
    const results = readJson<Record<string, Record<string, unknown>>>(join(outDir, 'results.json'));
    const keys = ['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'ROUGE_L', 'CIDEr']; // no METEOR data given
    for (const name of ['clipcap', 'clipcap-zh', 'clipcap-ensemble', 'clipcap-s43']) {
      expect(Object.keys(results[name] ?? {}).sort(), name).toEqual([...keys].sort());
      for (const k of keys) expect(Number.isFinite(results[name]?.[k])).toBe(true);
    }
    const retrieval = results['clip-retrieval'] as {
      'R@1': number;
      'R@5': number;
      chance: { 'R@1': number; 'R@5': number };
    };
    for (const v of [retrieval['R@1'], retrieval['R@5'], retrieval.chance['R@1'], retrieval.chance['R@5']])
      expect(v >= 0 && v <= 1).toBe(true);
    // 8 test images with 5 captions each: text → image chance R@1 = 1/8; image → text = 5/40
    expect(retrieval.chance['R@1']).toBeCloseTo(1 / 8, 10);
    const summary = readJson<PipelineSummary>(join(outDir, 'summary.json'));
    expect(summary.cachedStages).toEqual([]);
    expect(summary.models.map((m) => m.name).sort()).toEqual(
      ['clipcap', 'clipcap-s43', 'clipcap-ensemble', 'clipcap-zh'].sort(),
    );
    for (const m of summary.models) expect(m.msPerImage.total).toBeGreaterThan(0);
    const report = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(report).toContain('clipcap-ensemble');
    expect(report).toContain('CLIP retrieval (en');
    expect(existsSync(join(outDir, 'eval-test', 'clipcap-zh', 'per-image.json'))).toBe(true);

    const second = await runCli(pipelineArgs(outDir, ['--ensemble-size', '2']));
    expect(second.code, second.output).toBe(0);
    const again = readJson<PipelineSummary>(join(outDir, 'summary.json'));
    expect([...again.cachedStages].sort()).toEqual(
      ['clip-en', 'clip-zh', 'clipcap-en-s42', 'clipcap-en-s43', 'clipcap-zh-s42'].sort(),
    );
    expect(readJson(join(outDir, 'results.json'))).toEqual(results);
  });

  it('stops on SIGTERM with the CLIP run saved, and the next run resumes it to the end', async () => {
    const outDir = join(root, 'out-stop');
    const clipRun = join(outDir, 'runs', 'clip-en');
    const longer = join(root, 'clip-longer.json');
    writeFileSync(longer, JSON.stringify({ ...readJson<object>(clipConfig), epochs: 6 }));
    const args = pipelineArgs(outDir, ['--languages', 'en', '--ensemble-size', '1', '--clip-config', longer]);
    const stopped = await runCli(args, () => existsSync(join(clipRun, 'latest.json')));
    expect(stopped.code, stopped.output).toBe(143);
    expect(stopped.output).toMatch(/clip-en stopped, checkpoint saved/);
    expect(existsSync(join(clipRun, 'clip.json'))).toBe(false);
    const resumed = await runCli(args);
    expect(resumed.code, resumed.output).toBe(0);
    expect(readFileSync(join(outDir, 'logs', 'clip-en.log'), 'utf8')).toMatch(
      /resumed from .* at step \d+ \(epoch [1-5]\)/,
    );
    // 6 epochs of 3 batches (24 images, batch 8)
    expect(readJson<{ loop: { step: number } }>(join(clipRun, 'history.json')).loop.step).toBe(18);
    expect(readJson<Record<string, unknown>>(join(outDir, 'results.json')).clipcap).toBeDefined();
  });

  it('stops a command with a clear message and status 2 on bad options', async () => {
    const missing = await runCli(['train', '--data-dir', dataDir, '--checkpoint-path', join(root, 'x')]);
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/--clip-run .* is required/);
    const typo = await runCli(['pretrain', '--checkpoint-path', join(root, 'x'), '--embed-dimm', '8']);
    expect(typo.code).toBe(2);
    expect(typo.output).toMatch(/unknown option '--embed-dimm' \(did you mean --embed-dim\?\)/);
    const language = await runCli([
      'pipeline',
      '--languages',
      'fr',
      '--data-dir',
      dataDir,
      '--out-dir',
      join(root, 'y'),
    ]);
    expect(language.code).toBe(2);
    expect(language.output).toMatch(/languages must be en and\/or zh, got "fr"/);
  });
});
