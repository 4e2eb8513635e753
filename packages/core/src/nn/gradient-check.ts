/**
 * `checkGradients`: compares tfjs's analytic gradients with central finite differences.
 *
 * tfjs has no float64 tensors, so the check runs in float32 on whatever backend is active and keeps the
 * float32 noise small: the outputs are reduced to the scalar `Σ_k sum(out_k · R_k)` (fixed random `R_k`,
 * as the reference fixtures do) in float64 on the JavaScript side, the step is a relative-size `epsilon`
 * (default 1e-2, where truncation error, ∝ ε², and rounding error, ∝ 1/ε, are both ~1e-5 for unit-scale
 * layers), and an element passes when `|analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../random';
import { ModuleError } from './errors';
import './tfjs-gradients';

/** Options of {@link checkGradients}. */
export interface GradientCheckOptions {
  /** Finite-difference step (default 1e-2). */
  epsilon?: number;
  /** Absolute tolerance (default 2e-3). */
  atol?: number;
  /** Relative tolerance (default 2e-2). */
  rtol?: number;
  /** Elements checked per tensor, chosen at random without replacement when the tensor is larger (default 32). */
  maxElementsPerTensor?: number;
  /** Seed of the projection `R` and of the element choice (default 0). */
  seed?: number;
}

/** The outcome for one checked tensor. */
export interface GradientCheckEntry {
  /** The name under which the tensor was passed. */
  name: string;
  /** Number of elements compared. */
  checked: number;
  /** Largest |analytic − numeric| over the checked elements. */
  maxAbsError: number;
  /** The element with the largest excess over the tolerance (or the largest error when all pass). */
  worst: {
    /** Flat (row-major) index of the element in the tensor; -1 when no element was checked. */
    index: number;
    /** The element's gradient from the tape, of the projected scalar `Σ_k sum(out_k · R_k)`. */
    analytic: number;
    /** The central finite difference of the same scalar at that element (step `epsilon · max(1, |x|)`). */
    numeric: number;
  };
  /** Whether every checked element is within tolerance. */
  passed: boolean;
}

/** The outcome of {@link checkGradients}. */
export interface GradientCheckReport {
  /** True when every entry passed. */
  passed: boolean;
  /** One entry per tensor, in the order given. */
  entries: GradientCheckEntry[];
  /** One line per tensor, for assertion messages. */
  summary: string;
}

/** What the checked function may return: one tensor, several, or a named map. */
export type GradientCheckOutput = tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

function outputList(out: GradientCheckOutput): tf.Tensor[] {
  if (out instanceof tf.Tensor) return [out];
  if (Array.isArray(out)) return out;
  return Object.keys(out)
    .sort()
    .map((k) => out[k] as tf.Tensor);
}

function chooseIndices(size: number, max: number, rng: Random): number[] {
  const all = Array.from({ length: size }, (_, i) => i);
  if (size <= max) return all;
  for (let i = 0; i < max; i++) {
    const j = i + rng.nextInt(size - i);
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, max).sort((a, b) => a - b);
}

/**
 * Checks the gradients of `f` with respect to `wrt` (module parameters and/or inputs wrapped in
 * `tf.variable`) against central finite differences. `f` must be deterministic: put modules in eval mode,
 * or reset the random source inside `f` (`module.useRandom(new Random(seed))`) so every call draws the same
 * dropout mask. Kinks (ReLU at 0) and masked −1e9 scores can make a finite difference meaningless: use
 * inputs away from them.
 *
 * The variables are restored exactly afterwards; no tensor is left behind.
 *
 * @param f builds the outputs from the current variable values (called under `tf.tidy`)
 * @param wrt the tensors to check, by name
 * @example
 * ```ts
 * const layer = new Linear({ inFeatures: 3, outFeatures: 2 });
 * const x = tf.variable(tf.randomNormal([4, 3]));
 * const report = checkGradients(() => layer.apply(x), { ...Object.fromEntries(layer.namedParameters()), x });
 * if (!report.passed) throw new Error(report.summary);
 * ```
 */
export function checkGradients(
  f: () => GradientCheckOutput,
  wrt: Readonly<Record<string, tf.Variable>> | ReadonlyArray<readonly [string, tf.Variable]>,
  options: GradientCheckOptions = {},
): GradientCheckReport {
  const epsilon = options.epsilon ?? 1e-2;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const maxElements = options.maxElementsPerTensor ?? 32;
  const rng = new Random(options.seed ?? 0);
  const named: Array<readonly [string, tf.Variable]> = Array.isArray(wrt)
    ? [...(wrt as ReadonlyArray<readonly [string, tf.Variable]>)]
    : Object.entries(wrt as Readonly<Record<string, tf.Variable>>);
  for (const [name, v] of named) {
    if (v.dtype !== 'float32')
      throw new ModuleError(`checkGradients: '${name}' has dtype ${v.dtype}; only float32 can be checked`);
  }

  // Fixed projections R_k, one per output, drawn once from the shapes of a first evaluation.
  let outputSizes: number[] = [];
  tf.tidy(() => {
    outputSizes = outputList(f()).map((o) => o.size);
  });
  const projections: Float64Array[] = outputSizes.map((size) => {
    const r = new Float64Array(size);
    for (let i = 0; i < size; i++) r[i] = 2 * rng.next() - 1;
    return r;
  });
  const projectedLoss = (): number =>
    tf.tidy(() => {
      const outs = outputList(f());
      if (outs.length !== projections.length)
        throw new ModuleError('checkGradients: f returned a different number of outputs between calls');
      let total = 0;
      outs.forEach((o, k) => {
        const values = o.dataSync();
        const r = projections[k] as Float64Array;
        if (values.length !== r.length) throw new ModuleError(`checkGradients: output ${k} changed size between calls`);
        for (let i = 0; i < values.length; i++) total += (values[i] as number) * (r[i] as number);
      });
      return total;
    });

  const analytic: Float32Array[] = tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () =>
        tf.addN(
          outputList(f()).map((o, k) =>
            tf.sum(tf.mul(o, tf.tensor(Float32Array.from(projections[k] as Float64Array), o.shape))),
          ),
        ) as tf.Scalar,
      named.map(([, v]) => v),
    );
    // A tensor that does not reach the outputs has no gradient entry: its analytic gradient is 0, which
    // the finite differences then confirm or refute.
    return named.map(([, v]) => {
      const g = grads[v.name];
      return g === undefined ? new Float32Array(v.size) : (g.dataSync() as Float32Array).slice();
    });
  });

  const entries: GradientCheckEntry[] = [];
  named.forEach(([name, variable], t) => {
    const original = variable.dataSync().slice() as Float32Array;
    const grad = analytic[t] as Float32Array;
    const indices = chooseIndices(original.length, maxElements, rng);
    const evaluateWith = (index: number, value: number): number => {
      const perturbed = original.slice();
      perturbed[index] = value;
      tf.tidy(() => variable.assign(tf.tensor(perturbed, variable.shape, 'float32')));
      return projectedLoss();
    };
    let maxAbsError = 0;
    let worstExcess = -Infinity;
    let worst = { index: -1, analytic: 0, numeric: 0 };
    try {
      for (const index of indices) {
        const x0 = original[index] as number;
        const step = epsilon * Math.max(1, Math.abs(x0));
        const plus = Math.fround(x0 + step);
        const minus = Math.fround(x0 - step);
        const numeric = (evaluateWith(index, plus) - evaluateWith(index, minus)) / (plus - minus);
        const a = grad[index] as number;
        const error = Math.abs(a - numeric);
        const excess = Number.isFinite(a) ? error - (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric))) : Infinity;
        maxAbsError = Math.max(maxAbsError, Number.isFinite(a) ? error : Infinity);
        if (excess > worstExcess) {
          worstExcess = excess;
          worst = { index, analytic: a, numeric };
        }
      }
    } finally {
      tf.tidy(() => variable.assign(tf.tensor(original, variable.shape, 'float32')));
    }
    entries.push({ name, checked: indices.length, maxAbsError, worst, passed: worstExcess <= 0 });
  });

  const summary = entries
    .map(
      (e) =>
        `${e.passed ? 'ok  ' : 'FAIL'} ${e.name}: ${e.checked} elements, max ` +
        `|error| ${e.maxAbsError.toExponential(2)}` +
        ` (worst at ${e.worst.index}: analytic ${e.worst.analytic.toPrecision(6)}, numeric ${e.worst.numeric.toPrecision(6)})`,
    )
    .join('\n');
  return { passed: entries.every((e) => e.passed), entries, summary };
}
