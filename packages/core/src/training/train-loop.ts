/**
 * The training loop the examples use: batches from a resumable source, loss and gradients, clipping,
 * the optimiser update, progress output, periodic / epoch-end / best checkpoints, a NaN guard, an
 * optional tensor-leak check, and a graceful stop on SIGINT / SIGTERM (finish the step, save, exit 0).
 *
 * Resumes are bit for bit: a checkpoint stores the weights, the optimiser moments and step counts, the
 * run's {@link Random} state (dropout, sampling), the data source's position, the step/epoch counters,
 * the best score and the state of any extra {@link Stateful} part, so a run that is stopped and resumed
 * ends with the same weights as one that was never interrupted (on the same backend).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Adam, type AdamState, OptimizerError } from '../optim/adam';
import { clipGradientsByNorm, clipGradientsByValue, computeGradients, globalGradientNorm } from '../optim/gradients';
import type { Random, RandomState } from '../random';
import { CheckpointStore, type LoadedCheckpoint, safetensorsToTensors, type TrainingState } from './checkpoint';
import { CheckpointError, NonFiniteLossError, TensorLeakError } from './errors';
import type { Stateful } from './json';
import { type ProgressOptions, TrainingProgress } from './progress';
import { GracefulStop, signalExitCode } from './signals';

/** What the loop needs from a model: named trainable variables; a {@link Module} fits. */
export interface TrainableModel {
  /** The trainable variables by (PyTorch) name; the optimiser and the gradients use these names. */
  namedParameters(): Array<[string, tf.Variable]>;
  /** Weights to save (PyTorch names); default: `namedParameters()`. */
  stateDict?(): ReadonlyMap<string, tf.Tensor>;
  /** Loads saved weights; default: assigns `namedParameters()` by name. */
  loadStateDict?(stateDict: ReadonlyMap<string, tf.Tensor>): unknown;
  /** Switches dropout on; called before training and after each `onEpochEnd`. */
  train?(mode?: boolean): unknown;
  /** Makes the model draw its randomness from the run's generator (saved in checkpoints). */
  useRandom?(rng: Random): unknown;
}

/** One batch from a {@link BatchSource}. */
export interface TrainingBatch<B> {
  /** The batch itself, handed unchanged to {@link TrainLoopOptions.loss}. */
  batch: B;
  /** True for the last batch of an epoch (the reference loader's `wrapped`). */
  lastOfEpoch: boolean;
  /** Ids of the batch's items (image ids), named by the NaN guard. */
  ids?: ReadonlyArray<string | number>;
  /** Tokens in the batch (for tokens per second). */
  tokens?: number;
}

/**
 * A resumable stream of batches. `getState()` must describe the position of the *next* batch to be
 * returned (not a prefetch position), so that `setState(getState())` in a new process continues with
 * exactly that batch.
 */
export interface BatchSource<B> {
  /** The next batch (the loop calls it once per step). */
  next(): TrainingBatch<B> | Promise<TrainingBatch<B>>;
  /** The position of the next batch, as JSON-safe data. */
  getState(): unknown;
  /** Restores a position from {@link BatchSource.getState} (on resume). */
  setState(state: unknown): void;
  /** Batches per epoch, when known (for the progress bar). */
  readonly batchesPerEpoch?: number;
}

/** What the loss function gets besides the batch. */
export interface StepContext {
  /** Steps completed before this one. */
  step: number;
  /** Epoch of this step (0-based). */
  epoch: number;
  /** Learning rate used for this step. */
  learningRate: number;
  /** The run's generator (also the model's, when it has `useRandom`). */
  rng: Random | null;
}

/** Reported after every step to `onStep`. */
export interface StepInfo {
  /** Steps completed, this one included. */
  step: number;
  /** Epoch of this step (0-based). */
  epoch: number;
  /** The step's loss, as returned by {@link TrainLoopOptions.loss} (finite: a non-finite one throws first). */
  loss: number;
  /** Learning rate the optimiser used for this step. */
  learningRate: number;
  /** Tokens in the batch ({@link TrainingBatch.tokens}), or null when the source does not give them. */
  tokens: number | null;
  /**
   * Global L2 gradient norm: with norm clipping, the norm it saw (after any clipping by value); without,
   * the norm of the raw gradients.
   */
  gradientNorm: number | null;
  /** Ids of the batch's items ({@link TrainingBatch.ids}), or null when the source does not give them. */
  batchIds: ReadonlyArray<string | number> | null;
}

/** What `onEpochEnd` may return: a validation score for `best` checkpoints. */
export interface EpochEndResult {
  /** The validation score; a better one than before (see `scoreMode`) also writes the `best` checkpoint. */
  score?: number;
}

/** Options of {@link trainLoop}. */
export interface TrainLoopOptions<B> {
  /** The model whose parameters are trained and saved. */
  model: TrainableModel;
  /** Updates the model's parameters; its moments are saved with every checkpoint. */
  optimizer: Adam;
  /** The resumable source of batches. */
  data: BatchSource<B>;
  /** The step's loss, built from the batch (runs inside `tf.variableGrads`; create tensors freely). */
  loss: (batch: B, context: StepContext) => tf.Scalar;
  /** A fixed rate, or a schedule of the completed steps and epochs; default: the optimiser's rate. */
  learningRate?:
    | number
    | ((progress: {
        /** Steps completed before the one the rate is for (0 for the first step of a fresh run). */
        step: number;
        /** Epoch of the step the rate is for (0-based; equals the epochs completed). */
        epoch: number;
      }) => number);
  /** Stop after this many epochs (counted from the start of training, resumes included). */
  maxEpochs?: number;
  /** Stop after this many steps. */
  maxSteps?: number;
  /** Clip gradients by value (AoANet's `grad_clip`, applied first) and/or by global L2 norm. */
  gradientClip?: {
    /** Clamp every gradient element to `[−value, value]` ({@link clipGradientsByValue}); positive. */
    value?: number;
    /** Rescale all gradients when their global L2 norm exceeds this ({@link clipGradientsByNorm}); positive. */
    norm?: number;
  };
  /** The run's generator: saved and restored with checkpoints, and given to the model (`useRandom`). */
  rng?: Random;
  /** Extra state saved in checkpoints by name (schedulers, counters...). */
  components?: Record<string, Stateful>;
  /** Checkpoint store (or its directory). Without one nothing is saved and a stop exits without saving. */
  checkpoints?: CheckpointStore | string;
  /** Also save `latest` every this many steps. */
  saveEvery?: number;
  /** Save `latest` at the end of every epoch; default true. */
  saveAtEpochEnd?: boolean;
  /** Continue from the store's `latest` (or `best`) checkpoint when there is one; default false. */
  resume?: boolean | 'latest' | 'best';
  /** Validation after each epoch; a returned `score` decides the `best` checkpoint. */
  onEpochEnd?: (info: {
    /** Epochs completed, the one that just ended included (1 after the first epoch). */
    epoch: number;
    /** Steps completed. */
    step: number;
  }) => EpochEndResult | void | Promise<EpochEndResult | void>;
  /** Whether a higher (`'max'`, default, e.g. CIDEr) or lower (`'min'`, a loss) score is better. */
  scoreMode?: 'max' | 'min';
  /** Called after every step (loss curves, custom logs). */
  onStep?: (info: StepInfo) => void | Promise<void>;
  /**
   * Graceful stop on SIGINT / SIGTERM: `true` (default) installs a {@link GracefulStop} for the run;
   * pass your own to share it, or `false` for none.
   */
  stop?: boolean | GracefulStop;
  /**
   * After a stop was saved, exit the process (default true) with the signal's shell status (130 for SIGINT, 143 for
   * SIGTERM: an interrupted run is not a success); false returns instead.
   */
  exitOnStop?: boolean;
  /** Progress output. */
  progress?: ProgressOptions;
  /** Throw a {@link TensorLeakError} when `tf.memory().numTensors` differs from its value after step 1. */
  leakCheck?: boolean;
  /** The run's configuration (JSON-safe), stored in every checkpoint. */
  config?: unknown;
}

/** How a {@link trainLoop} run ended. */
export interface TrainLoopResult {
  /** Why the loop ended: `maxSteps` or `maxEpochs` reached, or a stop request (signal or `GracefulStop.request`). */
  reason: 'max-steps' | 'max-epochs' | 'stopped';
  /** Steps completed. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  /** Best validation score of the run (resumed runs included), or null. */
  bestScore: number | null;
  /** Directory of the last checkpoint written or resumed from. */
  lastCheckpoint: string | null;
  /** The signal that stopped the run, if any. */
  signal: NodeJS.Signals | null;
}

/** Weights of a model by name: its `stateDict()` when it has one, else its named parameters. */
export function modelWeights(model: TrainableModel): ReadonlyMap<string, tf.Tensor> {
  return model.stateDict !== undefined ? model.stateDict() : new Map<string, tf.Tensor>(model.namedParameters());
}

/** Loads a checkpoint's weights into a model (via `loadStateDict`, or by assigning named parameters). */
export function loadModelWeights(model: TrainableModel, checkpoint: LoadedCheckpoint): void {
  const source = `${checkpoint.path}/model.safetensors`;
  const tensors = safetensorsToTensors(checkpoint.weights, source);
  try {
    if (model.loadStateDict !== undefined) {
      model.loadStateDict(tensors);
      return;
    }
    const params = new Map(model.namedParameters());
    const missing = [...params.keys()].filter((n) => !tensors.has(n));
    const unexpected = [...tensors.keys()].filter((n) => !params.has(n));
    if (missing.length > 0 || unexpected.length > 0) {
      throw new CheckpointError(
        `${source}: missing weights [${missing.join(', ')}], unexpected weights [${unexpected.join(', ')}]`,
      );
    }
    for (const [name, v] of params) {
      const t = tensors.get(name) as tf.Tensor;
      if (t.shape.join(',') !== v.shape.join(','))
        throw new CheckpointError(
          `${source}: '${name}' has shape [${t.shape.join(', ')}], the model [${v.shape.join(', ')}]`,
        );
      v.assign(t);
    }
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Restores an optimiser's moments and counters from a checkpoint. */
export function loadOptimizerState(optimizer: Adam, checkpoint: LoadedCheckpoint): void {
  const state = checkpoint.state.optimizer;
  if (state === null)
    throw new CheckpointError(
      `${checkpoint.path}/training-state.json: field "optimizer" is null; the checkpoint has no optimiser state`,
    );
  if (checkpoint.optimizer === null) throw new CheckpointError(`${checkpoint.path}: optimizer.safetensors is missing`);
  const tensors = safetensorsToTensors(checkpoint.optimizer, `${checkpoint.path}/optimizer.safetensors`);
  try {
    optimizer.loadState(state, tensors);
  } catch (e) {
    if (e instanceof OptimizerError) throw new CheckpointError(`${checkpoint.path}: ${e.message}`);
    throw e;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs training until `maxSteps` / `maxEpochs` or a stop request.
 *
 * @throws {NonFiniteLossError} when a loss (or the gradient norm) is NaN or infinite: names the step, the
 *   batch ids and the last good checkpoint; the bad step's update is not applied
 * @throws {TensorLeakError} with `leakCheck` when the number of live tensors grows
 * @example
 * ```ts
 * const result = await trainLoop({
 *   model, optimizer: new Adam(model, { learningRate: 2e-4 }), data: loader,
 *   loss: (batch, { rng }) => criterion(model, batch, rng),
 *   maxEpochs: 25, gradientClip: { value: 0.1 }, rng: new Random(42),
 *   checkpoints: 'runs/aoanet', resume: true,
 *   onEpochEnd: async () => ({ score: (await validate(model)).CIDEr }),
 * });
 * ```
 */
export async function trainLoop<B>(options: TrainLoopOptions<B>): Promise<TrainLoopResult> {
  const { model, optimizer, data } = options;
  if (options.maxSteps === undefined && options.maxEpochs === undefined) {
    throw new OptimizerError('trainLoop: give maxSteps or maxEpochs');
  }
  const rng = options.rng ?? null;
  const store =
    typeof options.checkpoints === 'string' ? new CheckpointStore(options.checkpoints) : (options.checkpoints ?? null);
  const components = options.components ?? {};
  const scoreMode = options.scoreMode ?? 'max';
  const progress = new TrainingProgress(options.progress, { stepsPerEpoch: data.batchesPerEpoch ?? null });
  const ownStop = options.stop === undefined || options.stop === true;
  const stop =
    options.stop instanceof GracefulStop
      ? options.stop
      : ownStop
        ? new GracefulStop({ log: (m) => progress.message(m) }).install()
        : null;

  let step = 0;
  let epoch = 0;
  let stepInEpoch = 0;
  let bestScore: number | null = null;
  let lastCheckpoint: string | null = null;
  let lastSavedStep = -1;

  if (rng !== null) model.useRandom?.(rng);

  const trainingState = (): TrainingState => ({
    format: 'caption-training-state',
    version: 1,
    step,
    epoch,
    stepInEpoch,
    bestScore,
    rng: rng === null ? null : rng.getState(),
    data: data.getState(),
    optimizer: optimizer.getState() as AdamState,
    components: Object.fromEntries(Object.entries(components).map(([k, c]) => [k, c.getState()])),
    config: options.config ?? null,
  });
  const save = (best: boolean): void => {
    if (store === null) return;
    lastCheckpoint = store.save(
      { weights: modelWeights(model), optimizer: optimizer.stateTensors(), state: trainingState() },
      { best },
    );
    lastSavedStep = step;
    progress.message(
      `saved ${best ? 'latest and best' : 'latest'} checkpoint ${lastCheckpoint} (step ${step}, epoch ${epoch})`,
    );
  };

  try {
    const resumeTag =
      options.resume === true
        ? 'latest'
        : options.resume === false || options.resume === undefined
          ? null
          : options.resume;
    if (resumeTag !== null && store !== null) {
      const loaded = store.load(resumeTag);
      if (loaded === null) {
        progress.message(`no ${resumeTag} checkpoint in ${store.directory}: starting from scratch`);
      } else {
        const s = loaded.state;
        loadModelWeights(model, loaded);
        loadOptimizerState(optimizer, loaded);
        if (rng !== null) {
          if (s.rng === null)
            throw new CheckpointError(
              `${loaded.path}/training-state.json: field "rng" is null but this run has a generator`,
            );
          rng.setState(s.rng as RandomState);
        }
        data.setState(s.data);
        for (const [name, c] of Object.entries(components)) {
          if (!(name in s.components))
            throw new CheckpointError(`${loaded.path}/training-state.json: field "components.${name}" is missing`);
          c.setState(s.components[name]);
        }
        step = s.step;
        epoch = s.epoch;
        stepInEpoch = s.stepInEpoch;
        bestScore = s.bestScore;
        lastCheckpoint = loaded.path;
        lastSavedStep = step;
        progress.message(`resumed from ${loaded.path} at step ${step} (epoch ${epoch})`);
      }
    }
    model.train?.(true);

    let reason: TrainLoopResult['reason'];
    let leakBaseline: number | null = null;
    for (;;) {
      if (stop?.requested === true) {
        reason = 'stopped';
        break;
      }
      if (options.maxSteps !== undefined && step >= options.maxSteps) {
        reason = 'max-steps';
        break;
      }
      if (options.maxEpochs !== undefined && epoch >= options.maxEpochs) {
        reason = 'max-epochs';
        break;
      }
      const item = await data.next();
      const schedule = options.learningRate;
      const learningRate =
        typeof schedule === 'function' ? schedule({ step, epoch }) : (schedule ?? optimizer.learningRate);
      const context: StepContext = { step, epoch, learningRate, rng };
      const batchIds = item.ids ?? null;

      const { loss, grads } = computeGradients(model, () => options.loss(item.batch, context));
      const lossValue = loss.dataSync()[0] as number;
      loss.dispose();
      let current = grads;
      let gradientNorm: number | null = null;
      try {
        if (!Number.isFinite(lossValue)) {
          throw new NonFiniteLossError({
            step: step + 1,
            epoch,
            value: lossValue,
            quantity: 'loss',
            batchIds,
            lastCheckpoint,
          });
        }
        const clip = options.gradientClip ?? {};
        if (clip.norm === undefined || clip.value !== undefined) {
          // without norm clipping nothing else would see a NaN / infinite gradient of a finite loss (and
          // clipping by value turns ±Infinity into ±clip), so check the raw gradients here
          const rawNorm = globalGradientNorm(current);
          if (clip.norm === undefined) gradientNorm = rawNorm;
          if (!Number.isFinite(rawNorm)) {
            throw new NonFiniteLossError({
              step: step + 1,
              epoch,
              value: rawNorm,
              quantity: 'gradient norm',
              batchIds,
              lastCheckpoint,
            });
          }
        }
        if (clip.value !== undefined) {
          const next = clipGradientsByValue(current, clip.value);
          tf.dispose([...current.values()]);
          current = next;
        }
        if (clip.norm !== undefined) {
          const { grads: next, totalNorm } = clipGradientsByNorm(current, clip.norm);
          gradientNorm = totalNorm.dataSync()[0] as number;
          totalNorm.dispose();
          tf.dispose([...current.values()]);
          current = next;
          if (!Number.isFinite(gradientNorm)) {
            throw new NonFiniteLossError({
              step: step + 1,
              epoch,
              value: gradientNorm,
              quantity: 'gradient norm',
              batchIds,
              lastCheckpoint,
            });
          }
        }
        optimizer.step(current, learningRate);
      } finally {
        tf.dispose([...current.values()]);
      }
      step += 1;
      stepInEpoch += 1;

      if (options.leakCheck === true) {
        const live = tf.memory().numTensors;
        if (leakBaseline === null) leakBaseline = live;
        else if (live !== leakBaseline) throw new TensorLeakError(step, leakBaseline, live);
      }
      const tokens = item.tokens ?? null;
      progress.step({ step, epoch, stepInEpoch, loss: lossValue, learningRate, tokens });
      await options.onStep?.({ step, epoch, loss: lossValue, learningRate, tokens, gradientNorm, batchIds });

      if (item.lastOfEpoch) {
        epoch += 1;
        stepInEpoch = 0;
        const result = await options.onEpochEnd?.({ epoch, step });
        model.train?.(true);
        let isBest = false;
        const score = result === undefined ? undefined : result.score;
        if (score !== undefined) {
          if (!Number.isFinite(score))
            progress.message(`epoch ${epoch}: the validation score is ${score}; not a best checkpoint`);
          else if (bestScore === null || (scoreMode === 'max' ? score > bestScore : score < bestScore)) {
            bestScore = score;
            isBest = true;
          }
        }
        if (isBest || options.saveAtEpochEnd !== false) save(isBest);
      } else if (options.saveEvery !== undefined && step % options.saveEvery === 0) {
        save(false);
      }
      await yieldToEventLoop(); // lets SIGINT / SIGTERM handlers run between steps
    }

    if (lastSavedStep !== step) save(false);
    const result: TrainLoopResult = { reason, step, epoch, bestScore, lastCheckpoint, signal: stop?.signal ?? null };
    if (reason === 'stopped' && stop?.signal !== null && options.exitOnStop !== false) {
      progress.message(
        `stopped by ${String(stop?.signal)} after ` +
          `step ${step}; ${lastCheckpoint === null ? 'nothing saved (no checkpoint store)' : `resume from ${lastCheckpoint}`}`,
      );
      progress.close();
      if (ownStop) stop?.uninstall();
      process.exit(signalExitCode(stop?.signal ?? 'SIGTERM'));
    }
    return result;
  } finally {
    progress.close();
    if (ownStop) stop?.uninstall();
  }
}
