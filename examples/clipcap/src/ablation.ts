/**
 * `ablation`: the seed system's claim, tested. Captioners whose GPT-2 starts from CLIP's text tower vs from random
 * weights (same configuration, same seed, so the same mapper initialisation and batch order), trained on a fraction
 * of the training captions (the same seeded subset for both) for the same number of steps (an epoch is one pass over
 * all the training captions' worth of batches whatever the fraction), then evaluated on the test split. Needs the CLIP
 * run of a `pipeline` (`<outDir>/runs/clip-<language>`); the runs go to `<outDir>/ablation/`, the table to
 * `<outDir>/ablation/ablation.json` and `ablation.md`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, signalExitCode, writeFileAtomic } from '@caption/core';
import { ExampleOptionsError, kebabCase } from '@caption/example-common';
import { clipRunFinished } from './clip-pretraining';
import { evaluateCaptioners, type EvaluatedModel } from './eval-command';
import { type AblationOptions, trainOptionParser } from './options';
import { resolvePath, writeJson } from './run-files';
import { runStages, type Stage } from './stages';

/** One cell of the ablation. */
export interface AblationRun {
  fraction: number;
  init: 'clip' | 'random';
  seed: number;
  runDir: string;
}

const list = (text: string, option: string): number[] => {
  const values = text
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v)))
    throw new ExampleOptionsError(
      option,
      `ablation: --${kebabCase(option)} must be comma-separated numbers, got "${text}"`,
    );
  return values;
};

/** Runs the ablation (see the file comment); returns the exit status (0, or 130 / 143 after a stop). */
export async function runAblation(
  o: AblationOptions,
  log: (line: string) => void = (l) => void process.stderr.write(`${l}\n`),
): Promise<number> {
  const outDir = resolvePath(o.outDir);
  const clipRun = join(outDir, 'runs', `clip-${o.language}`);
  if (!clipRunFinished(clipRun))
    throw new ExampleOptionsError('outDir', `ablation: ${clipRun} is not a finished CLIP run; run the pipeline first`);
  const seeds = list(o.seeds, 'seeds');
  const fractions = list(o.fractions, 'fractions');
  for (const f of fractions)
    if (!(f > 0 && f <= 1))
      throw new ExampleOptionsError('fractions', `ablation: fractions must be in (0, 1], got ${f}`);
  const dir = join(outDir, 'ablation');
  const runs: AblationRun[] = [];
  const stages: Stage[] = [];
  for (const seed of seeds)
    for (const fraction of fractions)
      for (const init of ['clip', 'random'] as const) {
        const name = `${o.language}-f${fraction}-${init}-s${seed}`;
        const runDir = join(dir, name);
        runs.push({ fraction, init, seed, runDir });
        const values = trainOptionParser.parse({
          configFile: o.trainConfig === null ? undefined : resolvePath(o.trainConfig),
          defaults: {
            dataDir: resolvePath(o.dataDir),
            backend: o.backend,
            progress: 'lines',
            language: o.language,
            seed,
            init,
            trainFraction: fraction,
            clipRun,
            checkpointPath: runDir,
          },
        }).values;
        stages.push({
          name,
          after: [],
          plan: () =>
            existsSync(join(runDir, 'captioner.json'))
              ? null
              : [
                  'train',
                  ...Object.entries(values)
                    .filter(([, v]) => v !== null)
                    .flatMap(([k, v]) => [`--${kebabCase(k)}`, String(v)]),
                ],
        });
      }
  const ran = await runStages(stages, { jobs: o.jobs, logDir: join(dir, 'logs'), log });
  if (ran.signal !== null) return signalExitCode(ran.signal);

  await initBackend(o.backend, { quiet: true });
  const rows: Array<AblationRun & { scores: EvaluatedModel['corpus']; trainSeconds: number | null }> = [];
  for (const run of runs) {
    const [evaluated] = await evaluateCaptioners({
      runs: [run.runDir],
      split: 'test',
      generation: { beamSize: 1, maxLength: 30, batchSize: 100 },
      evalDirOf: () => join(run.runDir, 'eval-test'),
      meteorData: o.meteorData === null ? null : resolvePath(o.meteorData),
      zhTokenize: o.zhTokenize,
      dataDir: resolvePath(o.dataDir),
      log,
    });
    rows.push({
      ...run,
      scores: (evaluated as EvaluatedModel).corpus,
      trainSeconds: ran.seconds[`${o.language}-f${run.fraction}-${run.init}-s${run.seed}`] ?? null,
    });
  }
  writeJson(join(dir, 'ablation.json'), { language: o.language, clipRun, date: new Date().toISOString(), rows });
  const keys = ['Bleu_4', 'ROUGE_L', 'CIDEr'] as const;
  const lines = [
    `| captions | GPT-2 init | seed | ${keys.join(' | ')} |`,
    `|---:|---|---:|${keys.map(() => '---:').join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${(100 * r.fraction).toFixed(0)} % | ${r.init === 'clip' ? "CLIP's text tower" : 'random'} | ${r.seed} | ${keys.map((k) => r.scores[k]?.toFixed(3) ?? '–').join(' | ')} |`,
    ),
  ];
  writeFileAtomic(join(dir, 'ablation.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
