/**
 * `train` end to end at tiny size: XE (label smoothing, scheduled sampling) then self-critical, killed
 * with SIGTERM mid-epoch and resumed, against an uninterrupted run; and the checks that stop a run before
 * its first step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointStore, GracefulStop, parseSafetensors } from '@caption/core';
import { DataFormatError } from '@caption/data-coco';
import { expectSameBits } from '@caption/test-support';
import {
  evalOptionParser,
  ExampleDataError,
  ExampleOptionsError,
  runEval,
  runExampleCli,
  runTraining,
  trainOptionParser,
} from '@caption/example-common';
import { showTellFactory } from '@caption/example-show-tell';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { aoaFactory } from './factory';
import { type TinyData, tinyTrainOptions, writeTinyData } from './test-data';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, 'cli.ts');
const factories = [aoaFactory, showTellFactory] as Parameters<typeof runTraining>[1];

let data: TinyData;
beforeAll(async () => {
  data = await writeTinyData();
});

interface ChildRun {
  code: number | null;
  output: string;
}

/**
 * Runs `train` in a child process; `killAfter` sends SIGTERM once that text has been printed; `env` is
 * added to this process's environment.
 */
function trainChild(
  config: string,
  args: string[],
  killAfter?: RegExp,
  env: Record<string, string> = {},
): Promise<ChildRun> {
  return new Promise((resolvePromise, reject) => {
    // node itself with tsx's loader (not the tsx CLI, which relays signals through a parent process)
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', cli, 'train', '--config', config, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    let output = '';
    let killed = false;
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (killAfter !== undefined && !killed && killAfter.test(output)) {
        killed = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, output }));
  });
}

function finalState(runDir: string): {
  weights: Record<string, number[]>;
  validation: unknown;
  step: number;
  history: unknown;
} {
  const store = new CheckpointStore(runDir);
  const latest = store.resolve('latest');
  if (latest === null) throw new Error(`no latest checkpoint in ${runDir}`);
  const state = JSON.parse(readFileSync(join(latest, 'training-state.json'), 'utf8')) as {
    step: number;
    components: { history: { validations: unknown } };
  };
  return {
    // every tensor of the checkpoint (the metadata names the checkpoint folder, which differs)
    weights: Object.fromEntries(
      [...parseSafetensors(readFileSync(join(latest, 'model.safetensors'))).tensors].map(([name, t]) => [
        name,
        Array.from(t.data as Float32Array),
      ]),
    ),
    validation: JSON.parse(readFileSync(join(runDir, 'validation.json'), 'utf8')),
    step: state.step,
    history: state.components.history.validations,
  };
}

describe('train (tiny AoANet, XE then self-critical)', () => {
  it('killed with SIGTERM mid-epoch (XE, then self-critical) and resumed, ends with the weights and scores of an uninterrupted run', async () => {
    const config = (name: string): string => {
      const file = join(data.root, `${name}.yaml`);
      writeFileSync(file, stringify(tinyTrainOptions(data, join(data.root, name))));
      return file;
    };
    const whole = await trainChild(config('whole'), []);
    expect(whole.code, whole.output).toBe(0);
    expect(whole.output).toMatch(/validation epoch 3 \(scst/);

    // epoch 0 has 6 steps; stop after the 3rd step of epoch 1 (scheduled sampling is on there)
    const killed = await trainChild(config('resumed'), [], /step 9 \|/);
    // 143 = 128 + SIGTERM, after the checkpoint was saved: `train && next-stage` must not go on
    expect(killed.code, killed.output).toBe(143);
    expect(killed.output).toMatch(/stopped by SIGTERM after step (9|10|11)/);
    expect(killed.output).not.toMatch(/validation epoch 2/);
    // resumed, then stopped again in the self-critical epoch (steps 13-18: samples, rewards, baseline)
    const resumed = await trainChild(config('resumed'), ['--resume'], /step 15 \|/);
    expect(resumed.code, resumed.output).toBe(143);
    expect(resumed.output).toMatch(/resumed from .* at step (9|10|11) /);
    expect(resumed.output).toMatch(/stopped by SIGTERM after step (15|16|17)/);
    const finished = await trainChild(config('resumed'), ['--resume']);
    expect(finished.code, finished.output).toBe(0);
    expect(finished.output).toMatch(/resumed from .* at step (15|16|17) /);
    expect(finished.output).toMatch(/validation epoch 3 \(scst/);

    const a = finalState(join(data.root, 'whole'));
    const b = finalState(join(data.root, 'resumed'));
    expect(b.step).toBe(a.step);
    expect(b.validation).toEqual(a.validation);
    expect(b.history).toEqual(a.history);
    expect(Object.keys(b.weights).length).toBeGreaterThan(10);
    expect(b.weights).toEqual(a.weights); // bit for bit: toEqual compares the float values exactly
  });

  it('trains bit for bit the same on one wasm thread and on two (every product split), XE then self-critical', async () => {
    const config = (name: string): string => {
      const file = join(data.root, `${name}.yaml`);
      writeFileSync(file, stringify(tinyTrainOptions(data, join(data.root, name))));
      return file;
    };
    const one = await trainChild(config('threads-1'), [], undefined, { CAPTION_WASM_THREADS: '1' });
    expect(one.code, one.output).toBe(0);
    expect(one.output).toContain('backend: wasm (XNNPACK, SIMD, 1 thread)');
    const two = await trainChild(config('threads-2'), [], undefined, {
      CAPTION_WASM_THREADS: '2',
      CAPTION_WASM_SPLIT_ALL: '1',
    });
    expect(two.code, two.output).toBe(0);
    expect(two.output).toContain('backend: wasm (XNNPACK, SIMD, 2 threads)');
    expect(two.output).toMatch(/validation epoch 3 \(scst/);
    const a = finalState(join(data.root, 'threads-1'));
    const b = finalState(join(data.root, 'threads-2'));
    expect(b.step).toBe(a.step);
    expect(b.validation).toEqual(a.validation);
    expect(b.history).toEqual(a.history);
    expect(Object.keys(b.weights).sort()).toEqual(Object.keys(a.weights).sort());
    for (const [name, values] of Object.entries(a.weights)) {
      expectSameBits(Float32Array.from(b.weights[name] as number[]), Float32Array.from(values), name);
    }
  });

  it('a startFrom run resumed with --resume still competes with the startFrom best score (loadBestScore 1), as an uninterrupted one does', async () => {
    const xe = { ...tinyTrainOptions(data, ''), selfCriticalAfter: -1, scheduledSamplingStart: -1, progress: 'silent' };
    const first = join(data.root, 'start-from-first');
    await runTraining(
      trainOptionParser.parse({ defaults: { ...xe, checkpointPath: first, maxEpochs: 1 } }).values,
      factories,
      { log: () => undefined },
    );
    // a best score no later epoch can beat: then no run from it may write a best checkpoint
    const store = new CheckpointStore(first);
    const bestDir = store.resolve('best') as string;
    for (const file of [join(first, 'best.json'), join(bestDir, 'training-state.json')]) {
      writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), bestScore: 1e9 }));
    }
    const second = join(data.root, 'start-from-second');
    const options = trainOptionParser.parse({
      defaults: { ...xe, checkpointPath: second, startFrom: first, loadBestScore: 1, maxEpochs: 2 },
    }).values;
    const stop = new GracefulStop();
    const stopped = await runTraining(options, factories, {
      exitOnStop: false,
      stop,
      log: (line) => {
        if (line.startsWith('validation epoch 1 ')) stop.request();
      },
    });
    expect(stopped.loop.reason).toBe('stopped');
    expect(stopped.loop.epoch).toBe(1);
    const resumed = await runTraining({ ...options, resume: true }, factories, { log: () => undefined });
    expect(resumed.loop.epoch).toBe(2);
    expect(resumed.history.validations.map((v) => v.epoch)).toEqual([1, 2]);
    expect(new CheckpointStore(second).pointer('best')).toBeNull();
  });

  it("eval refuses a model-input option (useBox) that differs from the checkpoint's, and runs with the same value", async () => {
    const runDir = join(data.root, 'eval-options');
    const xe = {
      ...tinyTrainOptions(data, runDir),
      selfCriticalAfter: -1,
      scheduledSamplingStart: -1,
      maxEpochs: 1,
      progress: 'silent',
    };
    await runTraining(trainOptionParser.parse({ defaults: xe }).values, factories, { log: () => undefined });
    const evalWith = (args: string[]): ReturnType<typeof runEval> => {
      const parsed = evalOptionParser.parse({
        argv: ['--model-path', runDir, '--progress', 'silent', '--language-eval', '0', ...args],
      });
      return runEval(parsed.values, factories, { explicit: parsed.explicit });
    };
    const error = await evalWith(['--use-box', '0']).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExampleOptionsError);
    expect((error as ExampleOptionsError).option).toBe('useBox');
    expect((error as Error).message).toMatch(/'useBox' is 0, but the model in .* was trained with 1/);
    const out = await evalWith(['--use-box', '1']);
    expect(out.results.length).toBe(4);
    expect(existsSync(join(out.dumpPath, 'results.json'))).toBe(true);
  });

  it('eval checks its output folder before decoding, and warns with the count of empty captions', async () => {
    const runDir = join(data.root, 'eval-outputs');
    const xe = { ...tinyTrainOptions(data, runDir), selfCriticalAfter: -1, maxEpochs: 1, progress: 'silent' };
    await runTraining(trainOptionParser.parse({ defaults: xe }).values, factories, { log: () => undefined });
    const evalWith = (modelPath: string, args: string[], log?: (line: string) => void): ReturnType<typeof runEval> => {
      const parsed = evalOptionParser.parse({ argv: ['--model-path', modelPath, '--progress', 'silent', ...args] });
      return runEval(parsed.values, factories, { explicit: parsed.explicit, log });
    };
    // a folder that cannot be made (a file is in the way): a typed error naming it, before any caption is decoded
    writeFileSync(join(data.root, 'not-a-folder'), 'x');
    const dump = join(data.root, 'not-a-folder', 'eval');
    const error = await evalWith(runDir, ['--dump-path', dump]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(DataFormatError.isInstance(error), String(error)).toBe(true);
    expect((error as Error).message).toBe(`cannot write ${dump}: a component of the path is not a directory (ENOTDIR)`);

    // the same model made to end every caption at once (logit bias: the end token, id 0, far ahead)
    const trained = new CheckpointStore(runDir).load('latest')!;
    const weights = new Map(
      [...trained.weights.tensors].map(([name, t]) => {
        const values = Float32Array.from(t.data as Float32Array);
        if (name === 'logit.weight') values.fill(0);
        if (name === 'logit.bias') values.fill(-10).fill(10, 0, 1);
        return [name, { data: values, shape: t.shape }];
      }),
    );
    expect(weights.has('logit.bias')).toBe(true);
    const silent = join(data.root, 'eval-silent-model');
    new CheckpointStore(silent).save({ weights, state: trained.state });
    const lines: string[] = [];
    const out = await evalWith(silent, ['--language-eval', '1'], (line) => lines.push(line));
    expect(out.results.every((r) => r.caption === '')).toBe(true);
    expect(out.emptyCaptions).toBe(out.results.length);
    expect(lines).toEqual([
      `eval: warning: ${out.results.length} of ${out.results.length} captions are empty (the model emitted the end token first); they score 0`,
    ]);
    expect(out.corpus.CIDEr).toBe(0);
  });

  const before = async (overrides: Record<string, unknown>, name: string): Promise<unknown> => {
    const runDir = join(data.root, name);
    const { values } = trainOptionParser.parse({
      defaults: { ...tinyTrainOptions(data, runDir), progress: 'silent', ...overrides },
    });
    let error: unknown = null;
    try {
      await runTraining(values, factories, { log: () => undefined });
    } catch (e) {
      error = e;
    }
    expect(existsSync(join(runDir, 'latest.json'))).toBe(false); // no step was taken
    return error;
  };

  it('stops before the first step when the CIDEr-D document frequencies are missing', async () => {
    const e = await before({ cachedTokens: join(data.root, 'no-such-cache') }, 'no-df');
    expect(e).toBeInstanceOf(ExampleDataError);
    expect((e as Error).message).toContain('no-such-cache');
  });

  it('stops before the first step when the labels do not fit the vocabulary', async () => {
    const talk = JSON.parse(readFileSync(data.inputJson, 'utf8')) as { ix_to_word: Record<string, string> };
    const keys = Object.keys(talk.ix_to_word);
    const smaller = {
      ...talk,
      ix_to_word: Object.fromEntries(keys.slice(0, keys.length - 3).map((k) => [k, talk.ix_to_word[k]])),
    };
    const file = join(data.root, 'cocotalk-small.json');
    writeFileSync(file, JSON.stringify(smaller));
    const e = await before({ inputJson: file }, 'mismatch');
    expect(e).toBeInstanceOf(ExampleDataError);
    expect((e as Error).message).toMatch(
      /holds word ids? [\d, …]+ \(at \d+ of its \d+ positions\), but the vocabulary of .*cocotalk-small.json has \d+ words/,
    );
  });

  it('stops before the first step on features of another size than the options say', async () => {
    const e = await before({ attFeatSize: 2048 }, 'feature-size');
    expect(e).toBeInstanceOf(ExampleDataError);
    expect((e as Error).message).toMatch(/2048/);
  });

  it('stops before the first step on a bad option or combination', async () => {
    const plateau = await before({ reduceOnPlateau: 1, languageEval: 0 }, 'plateau');
    expect(plateau).toBeInstanceOf(ExampleOptionsError);
    expect((plateau as Error).message).toContain("'reduceOnPlateau' needs 'languageEval' 1");
    const heads = await before({ numHeads: 3 }, 'heads');
    expect(heads).toBeInstanceOf(ExampleOptionsError);
    expect((heads as ExampleOptionsError).option).toBe('numHeads');

    const messages: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      messages.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await runExampleCli(['train', '--rnn-size', 'large'], { name: 'aoanet', factories })).toBe(2);
      expect(await runExampleCli(['train', '--learning-rat', '0.1'], { name: 'aoanet', factories })).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(messages.join('')).toContain('option \'rnnSize\' (--rnn-size) must be an integer ≥ 1, got "large"');
    expect(messages.join('')).toContain("unknown option '--learning-rat' (did you mean --learning-rate?)");
  });
});
