/**
 * Learning-rate and scheduled-sampling schedules with the reference's formulas (husthuaan/AoANet
 * `train.py` and `misc/utils.py`; PyTorch's `ReduceLROnPlateau`). All are pure functions of the epoch or
 * iteration, except {@link ReduceLROnPlateau}, whose JSON state goes into checkpoints.
 */
import { OptimizerError } from './adam';

/** The reference's step decay (`learning_rate_decay_start/every/rate`). */
export interface StepDecayOptions {
  /** `learning_rate`: the base rate. */
  learningRate: number;
  /** `learning_rate_decay_start`: first epoch after which the rate decays; negative disables decay. */
  decayStart: number;
  /** `learning_rate_decay_every`: epochs per decay step (reference default 3). */
  decayEvery: number;
  /** `learning_rate_decay_rate`: factor per decay step (reference default 0.8). */
  decayRate: number;
}

/**
 * `lr₀ · rate^⌊(epoch − start) / every⌋` when `epoch > start ≥ 0`, else `lr₀` (AoANet `train.py`, applied
 * at the start of every epoch).
 *
 * @example
 * ```ts
 * stepDecayLearningRate({ learningRate: 2e-4, decayStart: 0, decayEvery: 3, decayRate: 0.8 }, 7); // 2e-4 · 0.8²
 * ```
 */
export function stepDecayLearningRate(o: StepDecayOptions, epoch: number): number {
  if (!(o.decayEvery > 0))
    throw new OptimizerError(`stepDecayLearningRate: decayEvery must be positive, got ${o.decayEvery}`);
  if (epoch > o.decayStart && o.decayStart >= 0) {
    return o.learningRate * o.decayRate ** Math.floor((epoch - o.decayStart) / o.decayEvery);
  }
  return o.learningRate;
}

/** The Transformer ("Noam") warm-up schedule of the reference's `NoamOpt`. */
export interface NoamOptions {
  /** `d_model` (the reference passes the model width). */
  modelSize: number;
  /** `noamopt_factor`, default 1. */
  factor?: number;
  /** `noamopt_warmup`, default 2000. */
  warmup?: number;
}

/**
 * `factor · d^(−1/2) · min(step^(−1/2), step · warmup^(−3/2))` for the 1-based update number `step`
 * (`NoamOpt` increments its counter before computing the rate, so the first update uses step 1).
 */
export function noamLearningRate(o: NoamOptions, step: number): number {
  const warmup = o.warmup ?? 2000;
  const factor = o.factor ?? 1;
  if (!(step >= 1)) throw new OptimizerError(`noamLearningRate: step is 1-based, got ${step}`);
  return factor * (o.modelSize ** -0.5 * Math.min(step ** -0.5, step * warmup ** -1.5));
}

/** Linear warm-up of the base rate (the reference's `use_warmup`). */
export interface LinearWarmupOptions {
  /** `learning_rate`: the rate reached at the end of the warm-up. */
  learningRate: number;
  /** `noamopt_warmup`: number of warm-up iterations. */
  warmup: number;
}

/**
 * `lr₀ · (iteration + 1) / warmup` for the 0-based `iteration < warmup`, else `afterWarmup` (default
 * `lr₀`; pass the step-decayed rate to combine the two as the reference does).
 */
export function linearWarmupLearningRate(
  o: LinearWarmupOptions,
  iteration: number,
  afterWarmup: number = o.learningRate,
): number {
  if (!(o.warmup > 0)) throw new OptimizerError(`linearWarmupLearningRate: warmup must be positive, got ${o.warmup}`);
  return iteration < o.warmup ? (o.learningRate * (iteration + 1)) / o.warmup : afterWarmup;
}

/** The reference's scheduled-sampling options (`scheduled_sampling_*`). */
export interface ScheduledSamplingOptions {
  /** `scheduled_sampling_start`: negative disables scheduled sampling. */
  start: number;
  /** `scheduled_sampling_increase_every` (reference default 5). */
  increaseEvery: number;
  /** `scheduled_sampling_increase_prob` (reference default 0.05). */
  increaseProb: number;
  /** `scheduled_sampling_max_prob` (reference default 0.25). */
  maxProb: number;
}

/**
 * The probability of feeding the model its own sample instead of the ground-truth word:
 * `min(increaseProb · ⌊(epoch − start) / every⌋, maxProb)` when `epoch > start ≥ 0`, else 0.
 */
export function scheduledSamplingProbability(o: ScheduledSamplingOptions, epoch: number): number {
  if (!(o.increaseEvery > 0))
    throw new OptimizerError(`scheduledSamplingProbability: increaseEvery must be positive, got ${o.increaseEvery}`);
  if (epoch > o.start && o.start >= 0)
    return Math.min(o.increaseProb * Math.floor((epoch - o.start) / o.increaseEvery), o.maxProb);
  return 0;
}

/** Options of {@link ReduceLROnPlateau} (PyTorch's names and defaults). */
export interface ReduceLROnPlateauOptions {
  /** `'min'`: lower metrics are better (a loss); `'max'`: higher are better (CIDEr). Default `'min'`. */
  mode?: 'min' | 'max';
  /** Multiplies the rate on a plateau; default 0.1 (the reference passes 0.5). */
  factor?: number;
  /** Bad evaluations tolerated before reducing; default 10 (the reference passes 3). */
  patience?: number;
  /** Minimal improvement that counts; default 1e-4. */
  threshold?: number;
  /** `'rel'` (default): relative to the best; `'abs'`: absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Evaluations to wait after a reduction before counting bad ones again; default 0. */
  cooldown?: number;
  /** Lower bound of the rate; default 0. */
  minLearningRate?: number;
  /** Reductions smaller than this are skipped; default 1e-8. */
  eps?: number;
}

/** The JSON state of a {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauState {
  /** The current learning rate. */
  learningRate: number;
  /** Best metric so far, or null before the first step (PyTorch: ±inf). */
  best: number | null;
  /** Evaluations since the last improvement (`num_bad_epochs`). */
  badEpochs: number;
  /** Evaluations still ignored after a reduction (`cooldown_counter`). */
  cooldownCounter: number;
  /** Number of `step` calls so far (`last_epoch`). */
  lastEpoch: number;
}

/**
 * `torch.optim.lr_scheduler.ReduceLROnPlateau` for one learning rate: call {@link ReduceLROnPlateau.step}
 * with each validation metric; read {@link ReduceLROnPlateau.learningRate}.
 *
 * @example
 * ```ts
 * // AoANet's self-critical stage: stepped with −CIDEr after each validation
 * const plateau = new ReduceLROnPlateau(2e-5, { mode: 'min', factor: 0.5, patience: 3 });
 * optimizer.learningRate = plateau.step(-cider);
 * ```
 */
export class ReduceLROnPlateau {
  private state: ReduceLROnPlateauState;
  private readonly mode: 'min' | 'max';
  private readonly factor: number;
  private readonly patience: number;
  private readonly threshold: number;
  private readonly thresholdMode: 'rel' | 'abs';
  private readonly cooldown: number;
  private readonly minLearningRate: number;
  private readonly eps: number;

  /**
   * @param initialLearningRate the rate before any reduction (the optimiser's `lr`); >= 0
   * @param options PyTorch's constructor arguments, camel-cased, with PyTorch's defaults
   * @throws {OptimizerError} for a negative rate or a `factor` outside [0, 1)
   */
  constructor(initialLearningRate: number, options: ReduceLROnPlateauOptions = {}) {
    this.mode = options.mode ?? 'min';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    this.cooldown = options.cooldown ?? 0;
    this.minLearningRate = options.minLearningRate ?? 0;
    this.eps = options.eps ?? 1e-8;
    if (!(this.factor < 1 && this.factor >= 0))
      throw new OptimizerError(`ReduceLROnPlateau: factor must be in [0, 1), got ${this.factor}`);
    if (!(initialLearningRate >= 0))
      throw new OptimizerError(`ReduceLROnPlateau: learning rate must be >= 0, got ${initialLearningRate}`);
    this.state = { learningRate: initialLearningRate, best: null, badEpochs: 0, cooldownCounter: 0, lastEpoch: 0 };
  }

  /** The current learning rate. */
  get learningRate(): number {
    return this.state.learningRate;
  }

  private isBetter(a: number, best: number | null): boolean {
    if (best === null) return true; // PyTorch starts from +inf (min) or -inf (max)
    if (this.mode === 'min')
      return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Records one evaluation and returns the (possibly reduced) learning rate. */
  step(metric: number): number {
    if (Number.isNaN(metric)) throw new OptimizerError('ReduceLROnPlateau.step: the metric is NaN');
    const s = this.state;
    s.lastEpoch += 1;
    if (this.isBetter(metric, s.best)) {
      s.best = metric;
      s.badEpochs = 0;
    } else {
      s.badEpochs += 1;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter -= 1;
      s.badEpochs = 0;
    }
    if (s.badEpochs > this.patience) {
      const reduced = Math.max(s.learningRate * this.factor, this.minLearningRate);
      if (s.learningRate - reduced > this.eps) s.learningRate = reduced;
      s.cooldownCounter = this.cooldown;
      s.badEpochs = 0;
    }
    return s.learningRate;
  }

  /** The JSON state, for checkpoints. */
  getState(): ReduceLROnPlateauState {
    return { ...this.state };
  }

  /** Restores a state from {@link ReduceLROnPlateau.getState}. */
  setState(state: ReduceLROnPlateauState): void {
    this.state = { ...state };
  }
}
