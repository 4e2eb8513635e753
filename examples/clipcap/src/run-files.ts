/**
 * What the example's training runs share: the run history (saved in every checkpoint, written as `history.json` in
 * the format `@caption/example-common`'s report reads), loading a run's best weights, reading its JSON files with
 * clear errors, and paths given relative to the folder npm was started in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  CheckpointStore,
  linearWarmupLearningRate,
  loadModelWeights,
  type LoadedCheckpoint,
  type Stateful,
  type TrainableModel,
  type TrainLoopOptions,
  type TrainLoopResult,
  writeFileAtomic,
} from '@caption/core';
import { ExampleDataError, type TrainingHistory, type ValidationRecord } from '@caption/example-common';

/** A path from the command line or a config file: relative ones are taken from the folder npm was started in. */
export function resolvePath(path: string): string {
  return isAbsolute(path) ? path : resolve(process.env.INIT_CWD ?? process.cwd(), path);
}

/** One validation of a run, in the report's format, with the example's own measurements beside it. */
export type RunValidation = ValidationRecord & {
  /** CLIP runs: retrieval recall on the validation images. */
  recall?: RecallScores;
};

/** Recall@K in both directions (fractions in [0, 1]). */
export interface RecallScores {
  imageToText: { 'R@1': number; 'R@5': number };
  textToImage: { 'R@1': number; 'R@5': number };
}

/** The history of a run, saved in every checkpoint so that a resumed run's curves are complete. */
export class HistoryComponent implements Stateful<TrainingHistory> {
  history: TrainingHistory = { losses: [], validations: [], seconds: 0 };

  getState(): TrainingHistory {
    return this.history;
  }

  setState(state: TrainingHistory): void {
    this.history = structuredClone(state);
  }
}

/** Writes `history.json` as `@caption/example-common`'s `runTraining` does (what its report reads). */
export function writeHistoryFile(
  runDir: string,
  content: { history: TrainingHistory; backend: string; loop: TrainLoopResult; extra?: Record<string, unknown> },
): void {
  const summary = {
    history: content.history,
    backend: content.backend,
    seconds: content.history.seconds,
    loop: { step: content.loop.step, epoch: content.loop.epoch, reason: content.loop.reason },
    bestScore: content.loop.bestScore,
    ...content.extra,
  };
  writeFileAtomic(join(runDir, 'history.json'), `${JSON.stringify(summary, null, 1)}\n`);
}

/**
 * The run's best checkpoint (else its latest), loaded into `model`.
 *
 * @throws ExampleDataError when the folder has no checkpoint
 */
export function loadBestWeights(model: TrainableModel, runDir: string): LoadedCheckpoint {
  const store = new CheckpointStore(runDir);
  const loaded = store.load('best') ?? store.load('latest');
  if (loaded === null) {
    throw new ExampleDataError(`no checkpoint in ${runDir}`, [
      'train the run first (its latest.json / best.json are missing)',
    ]);
  }
  loadModelWeights(model, loaded);
  return loaded;
}

/**
 * Reads a JSON file a run wrote.
 *
 * @throws ExampleDataError naming the file and what writes it when it is missing or not JSON
 */
export function readRunJson<T>(file: string, writtenBy: string): T {
  if (!existsSync(file)) throw new ExampleDataError(`cannot read ${file}`, [`no such file; ${writtenBy} writes it`]);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ExampleDataError(`cannot read ${file}`, [`not valid JSON: ${(e as Error).message}`]);
  }
}

/** Writes a JSON file atomically (temp file + rename). */
export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 1)}\n`);
}

/** The learning rate of both training commands: linear warm-up over `warmupSteps`, then constant. */
export function warmupLearningRate(o: {
  learningRate: number;
  warmupSteps: number;
}): TrainLoopOptions<unknown>['learningRate'] {
  return o.warmupSteps > 0
    ? ({ step }) => linearWarmupLearningRate({ learningRate: o.learningRate, warmup: o.warmupSteps }, step)
    : o.learningRate;
}
