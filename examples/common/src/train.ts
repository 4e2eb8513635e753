/**
 * The training driver of the examples, AoANet's `train.py` on `@caption/core`'s `trainLoop`:
 *
 * - epochs before `selfCriticalAfter` (or all, when −1): cross-entropy, label-smoothed when
 *   `labelSmoothing` > 0, scheduled sampling from `scheduledSamplingStart`, step decay of the learning
 *   rate from `learningRateDecayStart`;
 * - epochs from `selfCriticalAfter` on: self-critical training with the CIDEr-D reward (document
 *   frequencies of `cachedTokens`), greedy baseline (or mean of samples with `scBaseline mean`);
 * - `reduceOnPlateau`: the rate halves after 3 validations without a better CIDEr (replaces step decay);
 * - after every epoch: validation (captions of `valImagesUse` val images scored with the caption metrics,
 *   or the validation loss with `languageEval 0`), the `best` checkpoint by that score;
 * - gradients clipped by value (`gradClip`), Adam with the reference's betas and epsilon;
 * - checkpoints every `saveCheckpointEvery` steps and at each epoch end; SIGINT / SIGTERM finish the step,
 *   save and exit 0; `--resume` continues bit for bit (weights, moments, every random generator, the
 *   loader position, the schedules and the history).
 *
 * Everything is checked before the first step: options (types, ranges, combinations) and the data
 * (`preflight`: vocabulary and labels, features, the DF cache when self-critical training is configured).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  Adam,
  AdamW,
  type BackendInfo,
  CheckpointStore,
  type GracefulStop,
  initBackend,
  loadModelWeights,
  loadOptimizerState,
  Random,
  ReduceLROnPlateau,
  scheduledSamplingProbability,
  type Stateful,
  stepDecayLearningRate,
  trainLoop,
  type TrainLoopResult,
  writeFileAtomic,
} from '@caption/core';
import type { CaptionBatch } from '@caption/data-coco';
import type { CocoScoreName } from '@caption/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { batchTeacherForcingRows, LoaderBatchSource } from './batches';
import type { Captioner, CaptionerFactory } from './captioner';
import { crossEntropyLoss, type SelfCriticalBatch, selfCriticalBaseline, selfCriticalStepLoss } from './criteria';
import { makeLoader, openRunData, readRewardScorer, type RunData } from './data';
import { ExampleOptionsError } from './errors';
import { captionSplit, chooseMeteor, type MeteorChoice, scoreResults, splitReferences } from './evaluation';
import type { TrainOptions } from './options';

/** One validation, as recorded in the run's history. */
export interface ValidationRecord {
  /** Epochs completed when it ran. */
  epoch: number;
  /** Steps completed when it ran. */
  step: number;
  /** Phase of the epoch just finished. */
  phase: 'xe' | 'scst';
  /** Learning rate of the epoch just finished. */
  learningRate: number;
  /** Caption metrics (languageEval 1), coco-caption names. */
  scores: Partial<Record<CocoScoreName, number>> | null;
  /** Validation loss (languageEval 0): the training criterion (label-smoothed when `labelSmoothing` > 0), per token. */
  loss: number | null;
  /**
   * Mean CIDEr-D reward of the epoch's samples and greedy captions (self-critical epochs; greedy null with the mean
   * baseline).
   */
  reward: { sample: number; greedy: number | null } | null;
}

/** The history of a run: what the report plots. Saved in every checkpoint, so resumes keep it. */
export interface TrainingHistory {
  /** `[step, loss]` of every step. */
  losses: Array<[number, number]>;
  /** One record per epoch. */
  validations: ValidationRecord[];
  /** Seconds of training so far, summed over resumed processes. */
  seconds: number;
}

/** What {@link runTraining} returns. */
export interface TrainingResult {
  /** The run folder (checkpoints, `history.json`, `validation.json`). */
  runDir: string;
  loop: TrainLoopResult;
  history: TrainingHistory;
  backend: BackendInfo;
  /** How METEOR was handled in validation. */
  meteor: string;
}

/** The options checks no single option can make (combinations, what the chosen model supports). */
export function checkTrainOptions(options: TrainOptions, factories: readonly AnyFactory[]): AnyFactory {
  const factory = factories.find((f) => f.name === options.captionModel);
  if (factory === undefined) {
    throw new ExampleOptionsError(
      'captionModel',
      `train: option ` +
        `'captionModel' is "${options.captionModel}", but this ` +
        `example trains ${factories.map((f) => `"${f.name}"`).join(' or ')}`,
    );
  }
  if (options.reduceOnPlateau === 1 && options.languageEval !== 1) {
    throw new ExampleOptionsError(
      'reduceOnPlateau',
      "train: option 'reduceOnPlateau' needs 'languageEval' 1 (the " +
        'rate is reduced on the validation CIDEr, as in the reference)',
    );
  }
  if (options.maxEpochs === 0)
    throw new ExampleOptionsError('maxEpochs', "train: option 'maxEpochs' is 0: nothing to train");
  if (options.selfCriticalAfter >= 0 && options.cachedTokens === null) {
    throw new ExampleOptionsError(
      'cachedTokens',
      "train: option 'selfCriticalAfter' needs 'cachedTokens' (the CIDEr-D document frequencies of prepro)",
    );
  }
  return factory;
}

function selfCriticalEpochs(options: TrainOptions): boolean {
  return options.selfCriticalAfter >= 0 && (options.maxEpochs < 0 || options.maxEpochs > options.selfCriticalAfter);
}

class HistoryComponent implements Stateful<TrainingHistory> {
  history: TrainingHistory = { losses: [], validations: [], seconds: 0 };
  getState(): TrainingHistory {
    return this.history;
  }
  setState(state: TrainingHistory): void {
    this.history = structuredClone(state);
  }
}

class RandomComponent implements Stateful<number[]> {
  constructor(readonly rng: Random) {}
  getState(): number[] {
    return [...this.rng.getState()];
  }
  setState(state: number[]): void {
    this.rng.setState(state as [number, number, number, number]);
  }
}

/** A factory of any feature type (the driver only hands the factory's features to the factory's model). */
export type AnyFactory = CaptionerFactory<unknown>;

type DriverBatch = { kind: 'xe'; batch: CaptionBatch } | { kind: 'scst'; decoded: SelfCriticalBatch };

/**
 * Sums of the self-critical rewards of the current epoch (for the epoch's record; a checkpoint component, so resumes
 * keep it).
 */
interface RewardSums {
  sample: number;
  greedy: number;
  count: number;
}

class RewardComponent implements Stateful<RewardSums> {
  sums: RewardSums = { sample: 0, greedy: 0, count: 0 };
  getState(): RewardSums {
    return { ...this.sums };
  }
  setState(state: RewardSums): void {
    this.sums = { ...state };
  }
}

/**
 * Trains a model as configured by `options` (see the module comment).
 *
 * @throws ExampleOptionsError for a bad combination of options
 * @throws ExampleDataError when the data is not ready (before the first step)
 */
export async function runTraining(
  options: TrainOptions,
  factories: readonly AnyFactory[],
  io: {
    log?: (line: string) => void;
    /** After a stop was saved, exit the process (default true); false returns the stopped loop's result. */
    exitOnStop?: boolean;
    /** A stop request shared with the caller (default: one installed for this run, on SIGINT / SIGTERM). */
    stop?: GracefulStop;
  } = {},
): Promise<TrainingResult> {
  const log = io.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const factory = checkTrainOptions(options, factories);
  const started = performance.now();
  const backend = await initBackend(options.backend, { log });
  const selfCritical = selfCriticalEpochs(options);
  const validate = options.valImagesUse !== 0;
  const data = await openRunData(options, factory.uses, {
    splits: validate ? ['train', 'val'] : ['train'],
    cachedTokens: selfCritical ? options.cachedTokens : null,
    preload: options.preloadFeatures === 1,
  });
  const scorer = selfCritical ? await readRewardScorer(options.cachedTokens as string) : null;
  const meteor: MeteorChoice =
    options.languageEval === 1
      ? chooseMeteor(options.meteorData, options.meteorParaphrase)
      : { options: null, note: 'validation by loss (languageEval 0)' };
  const refs =
    validate && options.languageEval === 1 ? (await splitReferences(data, 'val', options.referenceJson)).refs : null;

  const model = factory.create(options, data.shape, new Random(options.seed));
  const runRng = new Random(options.seed + 1);
  const samplingRng = new Random(options.seed + 2);
  log(
    `${factory.name}: ${model.parameterCount().toLocaleString('en-US')} parameters; ` +
      `vocabulary ${data.shape.vocabSize}; ${selfCritical ? `self-critical from epoch ${options.selfCriticalAfter}` : 'cross-entropy'}`,
  );
  const optimizer = new (options.optim === 'adamw' ? AdamW : Adam)(model, {
    learningRate: options.learningRate,
    beta1: options.optimAlpha,
    beta2: options.optimBeta,
    epsilon: options.optimEpsilon,
    weightDecay: options.weightDecay,
  });
  const runDir = resolve(options.checkpointPath as string);
  mkdirSync(runDir, { recursive: true });
  const store = new CheckpointStore(runDir);
  let previousBest: number | null = null;
  const resuming = options.resume && store.pointer('latest') !== null;
  if (options.startFrom !== null && !resuming)
    previousBest = initialiseFrom(options.startFrom, model, optimizer, log, options.loadBestScore === 1);
  // a resumed run has its weights from its own checkpoint, but still competes with startFrom's best score
  // until it first beats it (trainLoop's own best score takes over from then on)
  if (options.startFrom !== null && resuming && options.loadBestScore === 1)
    previousBest = startFromBestScore(options.startFrom);

  const plateau =
    options.reduceOnPlateau === 1
      ? new ReduceLROnPlateau(options.learningRate, { mode: 'min', factor: 0.5, patience: 3 })
      : null;
  const history = new HistoryComponent();
  const rewards = new RewardComponent();
  const components: Record<string, Stateful> = { history, samplingRng: new RandomComponent(samplingRng), rewards };
  if (plateau !== null) components.plateau = plateau as unknown as Stateful;

  // samples and greedy baseline decoded up to maxLength (the reference's max_length, 20), not the label width
  const scst =
    scorer === null
      ? null
      : {
          scorer,
          baseline: options.scBaseline,
          samplesPerImage: options.seqPerImg,
          maxLength: options.maxLength,
          ciderRewardWeight: options.ciderRewardWeight,
        };
  const source = new LoaderBatchSource<DriverBatch>(
    (resume) =>
      makeLoader(data, 'train', {
        batchSize: options.batchSize,
        seqPerImg: options.seqPerImg,
        seed: options.seed,
        resume,
      }),
    (batch, epoch) =>
      scst === null || epoch < options.selfCriticalAfter
        ? { kind: 'xe', batch }
        : { kind: 'scst', decoded: selfCriticalBaseline(model, factory, batch, scst) },
  );
  const selfCriticalLoss = (decoded: SelfCriticalBatch): tf.Scalar => {
    const step = selfCriticalStepLoss(model, factory, decoded, {
      ...(scst as NonNullable<typeof scst>),
      rng: samplingRng,
    });
    const sums = rewards.sums;
    rewards.sums = {
      sample: sums.sample + step.sampleReward,
      greedy: sums.greedy + (Number.isNaN(step.greedyReward) ? 0 : step.greedyReward),
      count: sums.count + 1,
    };
    return step.loss;
  };
  const ssOptions = {
    start: options.scheduledSamplingStart,
    increaseEvery: options.scheduledSamplingIncreaseEvery,
    increaseProb: options.scheduledSamplingIncreaseProb,
    maxProb: options.scheduledSamplingMaxProb,
  };
  const decay = {
    learningRate: options.learningRate,
    decayStart: options.learningRateDecayStart,
    decayEvery: options.learningRateDecayEvery,
    decayRate: options.learningRateDecayRate,
  };
  const learningRateAt = (epoch: number): number =>
    plateau !== null ? plateau.learningRate : stepDecayLearningRate(decay, epoch);

  let segmentStart = performance.now();
  const loop = await trainLoop<DriverBatch>({
    model,
    optimizer,
    data: source,
    loss: (b, ctx) =>
      b.kind === 'xe'
        ? crossEntropyLoss(model, factory, b.batch, {
            labelSmoothing: options.labelSmoothing,
            ssProb: scheduledSamplingProbability(ssOptions, ctx.epoch),
            rng: samplingRng,
          })
        : selfCriticalLoss(b.decoded),
    learningRate: ({ epoch }) => learningRateAt(epoch),
    maxEpochs: options.maxEpochs < 0 ? Number.POSITIVE_INFINITY : options.maxEpochs,
    gradientClip: options.gradClip > 0 ? { value: options.gradClip } : {},
    rng: runRng,
    components,
    checkpoints: store,
    saveEvery: options.saveCheckpointEvery,
    resume: options.resume,
    config: options,
    progress: { mode: options.progress, every: options.lossesLogEvery, perplexity: !selfCritical },
    exitOnStop: io.exitOnStop,
    stop: io.stop,
    onStep: ({ step, loss }) => {
      history.history.losses.push([step, loss]);
    },
    onEpochEnd: async ({ epoch, step }) => {
      history.history.seconds += (performance.now() - segmentStart) / 1000;
      segmentStart = performance.now();
      const phase: 'xe' | 'scst' = scorer !== null && epoch - 1 >= options.selfCriticalAfter ? 'scst' : 'xe';
      const record: ValidationRecord = {
        epoch,
        step,
        phase,
        learningRate: learningRateAt(epoch - 1),
        scores: null,
        loss: null,
        reward:
          phase === 'scst' && rewards.sums.count > 0
            ? {
                sample: rewards.sums.sample / rewards.sums.count,
                greedy: options.scBaseline === 'greedy' ? rewards.sums.greedy / rewards.sums.count : null,
              }
            : null,
      };
      rewards.sums = { sample: 0, greedy: 0, count: 0 };
      let score: number | undefined;
      if (validate) {
        if (options.languageEval === 1) {
          const results = await captionSplit(model, factory, data, {
            ...options,
            split: 'val',
            numImages: options.valImagesUse,
            batchSize: Math.max(options.batchSize, 50),
            progress: options.progress !== 'silent',
          });
          const evaluation = await scoreResults(results, refs as NonNullable<typeof refs>, meteor);
          record.scores = evaluation.corpus;
          score = evaluation.corpus.CIDEr;
          writeFileAtomic(
            join(runDir, 'validation.json'),
            `${JSON.stringify({ epoch, step, scores: evaluation.corpus, results }, null, 1)}\n`,
          );
        } else {
          record.loss = await validationLoss(model, factory, data, options);
          score = -record.loss;
        }
        if (plateau !== null && record.scores?.CIDEr !== undefined) plateau.step(-record.scores.CIDEr);
      }
      history.history.validations.push(record);
      log(formatValidation(record));
      if (score !== undefined && previousBest !== null && !(score > previousBest)) return {};
      return score === undefined ? {} : { score };
    },
  });
  history.history.seconds += (performance.now() - segmentStart) / 1000;
  const summary = {
    loop,
    history: history.history,
    backend: backend.description,
    meteor: meteor.note,
    seconds: (performance.now() - started) / 1000,
  };
  writeFileAtomic(join(runDir, 'history.json'), `${JSON.stringify(summary, null, 1)}\n`);
  model.dispose();
  optimizer.dispose();
  return { runDir, loop, history: history.history, backend, meteor: meteor.note };
}

/**
 * Loads `startFrom`'s best (else latest) checkpoint: weights, and the optimiser's moments when they fit. Returns its
 * best score.
 */
function initialiseFrom(
  dir: string,
  model: Captioner<unknown>,
  optimizer: Adam,
  log: (line: string) => void,
  keepBest: boolean,
): number | null {
  const store = startFromStore(dir);
  const checkpoint = store.load('best') ?? store.load('latest');
  if (checkpoint === null)
    throw new ExampleOptionsError(
      'startFrom',
      `train: option 'startFrom' is ${dir}, which holds no checkpoint (no best.json or latest.json)`,
    );
  loadModelWeights(model, checkpoint);
  try {
    loadOptimizerState(optimizer, checkpoint);
  } catch (e) {
    log(`startFrom: optimiser state not loaded (${(e as Error).message}); starting with fresh moments`);
  }
  log(
    `initialised from ${checkpoint.path} (step ${checkpoint.state.step}, epoch ${checkpoint.state.epoch}, best ` +
      `score ${checkpoint.state.bestScore ?? 'none'})`,
  );
  return keepBest ? checkpoint.state.bestScore : null;
}

/** The checkpoint store of `startFrom` (not created when the folder does not exist: that is an error). */
function startFromStore(dir: string): CheckpointStore {
  if (!existsSync(resolve(dir)))
    throw new ExampleOptionsError('startFrom', `train: option 'startFrom' is ${dir}, which does not exist`);
  return new CheckpointStore(resolve(dir));
}

/** The best score recorded by `startFrom`'s best (else latest) checkpoint, read from its pointer file. */
function startFromBestScore(dir: string): number | null {
  const store = startFromStore(dir);
  const pointer = store.pointer('best') ?? store.pointer('latest');
  if (pointer === null)
    throw new ExampleOptionsError(
      'startFrom',
      `train: option 'startFrom' is ${dir}, which holds no checkpoint (no best.json or latest.json)`,
    );
  return pointer.bestScore;
}

/**
 * Validation loss over `valImagesUse` val images, in eval mode: the training criterion, as the reference's
 * `eval_split` is given `lw_model.crit` (label-smoothed when `labelSmoothing` > 0), without scheduled
 * sampling; averaged per token (the reference averages per-batch means).
 */
async function validationLoss(
  model: Captioner<unknown>,
  factory: AnyFactory,
  data: RunData,
  options: TrainOptions,
): Promise<number> {
  const loader = makeLoader(data, 'val', {
    batchSize: options.batchSize,
    seqPerImg: options.seqPerImg,
    seed: options.seed,
  });
  const limit = options.valImagesUse < 0 ? loader.size : Math.min(options.valImagesUse, loader.size);
  let sum = 0;
  let tokens = 0;
  let images = 0;
  model.eval();
  try {
    while (images < limit) {
      const batch = await loader.next();
      if (batch === null) break;
      const rows = batchTeacherForcingRows(batch);
      const value = tf.tidy(
        () =>
          crossEntropyLoss(model, factory, batch, {
            labelSmoothing: options.labelSmoothing,
            ssProb: 0,
            rng: new Random(0),
          }).dataSync()[0] as number,
      );
      sum += value * rows.tokens;
      tokens += rows.tokens;
      images += batch.infos.length;
    }
  } finally {
    model.train();
  }
  return tokens === 0 ? Number.NaN : sum / tokens;
}

function formatValidation(r: ValidationRecord): string {
  const parts = [`epoch ${r.epoch} (${r.phase}, step ${r.step}, lr ${r.learningRate.toExponential(2)})`];
  if (r.reward !== null)
    parts.push(
      `reward: ` +
        `sample ${r.reward.sample.toFixed(3)}${r.reward.greedy === null ? '' : `, greedy ${r.reward.greedy.toFixed(3)}`}`,
    );
  if (r.scores !== null)
    parts.push(
      Object.entries(r.scores)
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(' '),
    );
  if (r.loss !== null) parts.push(`val loss ${r.loss.toFixed(4)}`);
  return `validation ${parts.join(' | ')}`;
}
