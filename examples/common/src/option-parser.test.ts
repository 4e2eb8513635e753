import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExampleOptionsError } from './errors';
import { TRAIN_OPTIONS, trainOptionParser } from './options';

const dir = mkdtempSync(join(tmpdir(), 'caption-options-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const failure = (f: () => unknown): ExampleOptionsError => {
  try {
    f();
  } catch (e) {
    if (e instanceof ExampleOptionsError) return e;
    throw e;
  }
  throw new Error('expected an ExampleOptionsError');
};

describe('train options', () => {
  it("have opts.py's defaults", () => {
    const { values, explicit } = trainOptionParser.parse({ argv: [] });
    // values from the reference's opts.py (husthuaan/AoANet)
    expect(values).toMatchObject({
      rnnSize: 512,
      inputEncodingSize: 512,
      batchSize: 16,
      seqPerImg: 5,
      learningRate: 4e-4,
      gradClip: 0.1,
      learningRateDecayEvery: 3,
      learningRateDecayRate: 0.8,
      scheduledSamplingIncreaseEvery: 5,
      scheduledSamplingMaxProb: 0.25,
      selfCriticalAfter: -1,
      useFf: 1,
      ctxDrop: 0,
      numHeads: 8,
      maxLength: 20,
      captionModel: 'show_tell',
    });
    expect(explicit.size).toBe(0);
    expect(Object.keys(values).sort()).toEqual(Object.keys(TRAIN_OPTIONS).sort());
  });

  it('take kebab-case flags, the reference spelling and --flag=value', () => {
    const { values, explicit } = trainOptionParser.parse({
      argv: ['--rnn-size', '128', '--num_heads', '4', '--label-smoothing=0.2', '--use_box', '--resume'],
    });
    expect(values.rnnSize).toBe(128);
    expect(values.numHeads).toBe(4);
    expect(values.labelSmoothing).toBe(0.2);
    expect(values.useBox).toBe(1);
    expect(values.resume).toBe(true);
    expect([...explicit].sort()).toEqual(['labelSmoothing', 'numHeads', 'resume', 'rnnSize', 'useBox']);
  });

  it('read a YAML or JSON config file, overridden by flags', () => {
    const yaml = file(
      'run.yaml',
      'rnnSize: 256\nlearning_rate: 2.0e-4\nlabelSmoothing: 0.2\nuseFf: false\ncaptionModel: aoa\n',
    );
    const { values, configFile } = trainOptionParser.parse({ argv: ['--config', yaml, '--rnn-size', '64'] });
    expect(configFile).toBe(yaml);
    expect(values.rnnSize).toBe(64);
    expect(values.learningRate).toBe(2e-4);
    expect(values.useFf).toBe(0);
    expect(values.captionModel).toBe('aoa');
    const json = file('run.json', JSON.stringify({ batchSize: 10, checkpoint_path: 'log/x' }));
    const fromJson = trainOptionParser.parse({ argv: ['--config', json] }).values;
    expect(fromJson.batchSize).toBe(10);
    expect(fromJson.checkpointPath).toBe('log/x');
  });

  it('reject an unknown flag, naming it and the closest option', () => {
    const e = failure(() => trainOptionParser.parse({ argv: ['--rnn-sise', '128'] }));
    expect(e.message).toContain("unknown option '--rnn-sise'");
    expect(e.message).toContain('--rnn-size');
  });

  it('reject a mistyped or out-of-range value, naming the option', () => {
    const e1 = failure(() => trainOptionParser.parse({ argv: ['--rnn-size', 'big'] }));
    expect(e1.option).toBe('rnnSize');
    expect(e1.message).toMatch(/option 'rnnSize' \(--rnn-size\) must be an integer/);
    const e2 = failure(() => trainOptionParser.parse({ argv: ['--batch-size', '2.5'] }));
    expect(e2.option).toBe('batchSize');
    const e3 = failure(() => trainOptionParser.parse({ argv: ['--caption-model', 'transformer'] }));
    expect(e3.option).toBe('captionModel');
    expect(e3.message).toContain('"show_tell", "aoa"');
    const e4 = failure(() => trainOptionParser.parse({ argv: ['--drop-prob-lm', '1.5'] }));
    expect(e4.option).toBe('dropProbLm');
    const e5 = failure(() => trainOptionParser.parse({ argv: ['--use-box', 'yes'] }));
    expect(e5.message).toContain('0 or 1');
  });

  it('reject unknown, mistyped and duplicated keys of a config file', () => {
    const unknown = failure(() =>
      trainOptionParser.parse({ argv: ['--config', file('bad.yaml', 'rnnSize: 128\nnumHeadz: 4\n')] }),
    );
    expect(unknown.option).toBe('numHeadz');
    expect(unknown.message).toContain("did you mean 'numHeads'");
    const typed = failure(() =>
      trainOptionParser.parse({ argv: ['--config', file('typed.json', '{"rnnSize": "128"}')] }),
    );
    expect(typed.option).toBe('rnnSize');
    expect(typed.message).toContain('typed.json');
    const twice = failure(() =>
      trainOptionParser.parse({ argv: ['--config', file('twice.yaml', 'rnnSize: 1\nrnn_size: 2\n')] }),
    );
    expect(twice.message).toContain('given twice');
    const notYaml = failure(() => trainOptionParser.parse({ argv: ['--config', file('broken.yaml', 'a: [1, 2\n')] }));
    expect(notYaml.message).toContain('not valid YAML');
    const missing = failure(() => trainOptionParser.parse({ argv: ['--config', join(dir, 'absent.yaml')] }));
    expect(missing.message).toContain('cannot read the config file');
  });

  it('show a non-finite number of a config file as NaN / Infinity, not as null', () => {
    for (const [yaml, shown] of [
      ['.nan', 'NaN'],
      ['.inf', 'Infinity'],
      ['-.inf', '-Infinity'],
    ]) {
      const e = failure(() =>
        trainOptionParser.parse({ argv: ['--config', file('nan.yaml', `learningRate: ${yaml}\n`)] }),
      );
      expect(e.message).toMatch(new RegExp(`option 'learningRate' .* must be a number > 0, got ${shown}$`));
    }
  });

  it("apply an example's own defaults below the config file and flags", () => {
    const { values } = trainOptionParser.parse({
      argv: ['--rnn-size', '32'],
      defaults: { captionModel: 'aoa', rnnSize: 1024, useFf: 0 },
    });
    expect(values).toMatchObject({ captionModel: 'aoa', rnnSize: 32, useFf: 0 });
  });

  it('validate a stored configuration strictly', () => {
    const { values } = trainOptionParser.parse({ argv: [] });
    expect(trainOptionParser.validate(JSON.parse(JSON.stringify(values)) as Record<string, unknown>, 'x')).toEqual(
      values,
    );
    expect(() => trainOptionParser.validate({ ...values, extra: 1 }, 'state.json')).toThrow(
      /unknown option 'extra' in state.json/,
    );
  });
});
