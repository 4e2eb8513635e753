/**
 * The `Module` base class: a tree of named sub-modules and parameters with PyTorch-style dotted names
 * (`core.att_lstm.weight_ih`, `refiner.layers.0.self_attn.linears.1.bias`), train/eval mode, state dicts
 * that load PyTorch weights as they are, and a JSON config that rebuilds the same architecture.
 *
 * Contract for subclasses:
 * - the constructor normalises its config (defaults filled in, validated), calls `super(config, options)`,
 *   then creates its parameters with {@link Module.addParameter} and its children with
 *   {@link Module.addModule}, in the order PyTorch's `__init__` registers them (that order is the
 *   state-dict order);
 * - children are constructed with `{ rng: this.rng }` so that a whole model draws its initial weights from
 *   one seeded stream;
 * - `apply(...)` is pure: it reads parameters and creates tensors only, so it can run under `tf.tidy`
 *   and inside `tf.variableGrads`; randomness (dropout) comes from {@link Module.rng} and only in training
 *   mode;
 * - the class sets `static override readonly className` (the name {@link moduleFromJSON} finds it under) and
 *   inherits the one generic {@link Module.fromConfig} (`new this(config, options)`); containers whose
 *   constructor takes something else than a config override it. A package registers its classes explicitly
 *   with {@link registerModuleClass}, in one list in its `index.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../random';
import { ModuleError, StateDictError, type ShapeMismatch } from './errors';
import type { Initializer } from './init';
import './tfjs-gradients';

/** Options every module constructor accepts besides its config. */
export interface ModuleOptions {
  /**
   * Source of the initial weights and, later, of the dropout masks. Defaults to the process-wide stream
   * of {@link defaultRandom} (seeded 0 unless {@link manualSeed} is called).
   */
  rng?: Random;
}

/** The serialised form of a module: its class name and its (JSON-safe) config. Weights are not included. */
export interface ModuleJSON<C extends object = object> {
  /** The name the class was registered under (`registerModuleClass`). */
  className: string;
  /** The module's JSON config. */
  config: C;
}

/**
 * A module's weights by dotted name. {@link Module.stateDict} returns the live variables (not copies):
 * read them, do not dispose them.
 */
export type StateDict = Map<string, tf.Tensor>;

/** What {@link Module.loadStateDict} accepts: a `Map` or a plain object from names to tensors. */
export type StateDictInput = ReadonlyMap<string, tf.Tensor> | Readonly<Record<string, tf.Tensor>>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /**
   * When true (the default), missing and unexpected names are errors. When false they are reported in the
   * result and the matching weights are loaded. Shape mismatches are always errors.
   */
  strict?: boolean;
}

/** What {@link Module.loadStateDict} did not use or did not find (empty lists with `strict: true`). */
export interface LoadStateDictResult {
  /** Expected names the state dict did not provide. */
  missing: string[];
  /** Names in the state dict the module does not have. */
  unexpected: string[];
}

let processRandom: Random | undefined;

/** The process-wide generator used by modules constructed without an explicit `rng`. */
export function defaultRandom(): Random {
  processRandom ??= new Random(0);
  return processRandom;
}

/**
 * Re-seeds the process-wide default generator (as `torch.manual_seed`): modules built afterwards without
 * an explicit `rng` get reproducible weights.
 */
export function manualSeed(seed: number): void {
  processRandom = new Random(seed);
}

let variableCounter = 0;

function uniqueVariableName(className: string, parameterName: string): string {
  const registered = tf.engine().registeredVariables;
  let name: string;
  do {
    variableCounter += 1;
    name = `caption/${className}_${variableCounter}/${parameterName}`;
  } while (registered[name] !== undefined);
  return name;
}

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

function entriesOf(input: StateDictInput): Array<[string, tf.Tensor]> {
  if (input instanceof Map) return [...(input as ReadonlyMap<string, tf.Tensor>).entries()];
  return Object.entries(input as Readonly<Record<string, tf.Tensor>>);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Base class of every layer and model. See the file comment for the subclass contract.
 *
 * @typeParam C the JSON config type of the subclass
 * @example
 * ```ts
 * class TwoLayer extends Module<{ dim: number }> {
 *   static override readonly className = 'TwoLayer';
 *   readonly first: Linear;
 *   readonly second: Linear;
 *   constructor(config: { dim: number }, options: ModuleOptions = {}) {
 *     super(config, options);
 *     const rng = { rng: this.rng };
 *     this.first = this.addModule('first', new Linear({ inFeatures: config.dim, outFeatures: config.dim }, rng));
 *     this.second = this.addModule('second', new Linear({ inFeatures: config.dim, outFeatures: 1 }, rng));
 *   }
 *   apply(x: tf.Tensor): tf.Tensor { return this.second.apply(tf.relu(this.first.apply(x))); }
 * }
 * // namedParameters(): first.weight, first.bias, second.weight, second.bias
 * ```
 */
export abstract class Module<C extends object = object> {
  /**
   * The name under which {@link moduleFromJSON} finds the class (usually the class name, prefixed by the
   * package for models: `aoa.AoAModel`). Every concrete subclass sets its own.
   */
  static readonly className: string = 'Module';

  /**
   * A new module of this class (fresh weights) with `config`: `new this(config, options)`, the one
   * `fromConfig` of every layer and model (the registry's factory for {@link moduleFromJSON}).
   */
  static fromConfig<M extends Module, K>(
    this: new (config: K, options?: ModuleOptions) => M,
    config: K,
    options?: ModuleOptions,
  ): M {
    return new this(config, options);
  }

  /** The normalised configuration (defaults filled in); `fromConfig(config)` rebuilds the architecture. */
  readonly config: C;

  private rngSource: Random;
  private isTraining = true;
  private isDisposed = false;
  private readonly ownParameters = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  protected constructor(config: C, options: ModuleOptions = {}) {
    this.config = config;
    this.rngSource = options.rng ?? defaultRandom();
  }

  /** The class's registered name (its static `className`). */
  get className(): string {
    return (this.constructor as typeof Module).className;
  }

  /** The generator this module draws dropout masks (and, in the constructor, initial weights) from. */
  get rng(): Random {
    return this.rngSource;
  }

  /** True in training mode (dropout active), false after {@link Module.eval}. New modules start in training mode. */
  get training(): boolean {
    return this.isTraining;
  }

  /**
   * Registers a sub-module under `name` (a PyTorch attribute name such as `att_lstm`, or a numeric index
   * inside a list). It inherits this module's training mode. Returns the module, for assignment to a field.
   */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.assertUsable();
    if (!NAME_PATTERN.test(name)) {
      throw new ModuleError(
        `${this.className}: sub-module name '${name}' must be letters, digits or '_' (dots separate levels)`,
      );
    }
    if (this.children.has(name) || this.ownParameters.has(name)) {
      throw new ModuleError(`${this.className}: the name '${name}' is already registered`);
    }
    module.train(this.isTraining);
    this.children.set(name, module);
    return module;
  }

  /**
   * Creates a trainable parameter `name` of the given shape (PyTorch layout), filled by `init` from
   * {@link Module.rng}, or from the given values. The tf.Variable gets a unique engine name.
   */
  protected addParameter(name: string, shape: readonly number[], init: Initializer | Float32Array): tf.Variable {
    this.assertUsable();
    if (!NAME_PATTERN.test(name)) {
      throw new ModuleError(`${this.className}: parameter name '${name}' must be letters, digits or '_'`);
    }
    if (this.children.has(name) || this.ownParameters.has(name)) {
      throw new ModuleError(`${this.className}: the name '${name}' is already registered`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const values = init instanceof Float32Array ? init : init(shape, this.rngSource);
    if (values.length !== size) {
      throw new ModuleError(
        `${this.className}.${name}: ${values.length} initial values for shape [${shape.join(', ')}]`,
      );
    }
    const variable = tf.tidy(() =>
      tf.variable(tf.tensor(values, [...shape], 'float32'), true, uniqueVariableName(this.className, name)),
    );
    this.ownParameters.set(name, variable);
    return variable;
  }

  /** Direct sub-modules in registration order. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children.entries()];
  }

  /** This module (name `''`) and every descendant, depth first, with dotted names. */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.children) {
      out.push(...child.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    }
    return out;
  }

  /**
   * Every parameter with its dotted name: this module's own parameters first, then each child's, in
   * registration order (PyTorch's `named_parameters` order). A variable shared by two sub-modules is
   * listed once, under its first name.
   */
  namedParameters(prefix = ''): Array<[string, tf.Variable]> {
    const seen = new Set<tf.Variable>();
    return this.allNamedParameters(prefix).filter(([, v]) => {
      if (seen.has(v)) return false;
      seen.add(v);
      return true;
    });
  }

  private allNamedParameters(prefix: string): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [name, v] of this.ownParameters) out.push([prefix === '' ? name : `${prefix}.${name}`, v]);
    for (const [name, child] of this.children) {
      out.push(...child.allNamedParameters(prefix === '' ? name : `${prefix}.${name}`));
    }
    return out;
  }

  /** The parameters of {@link Module.namedParameters}, e.g. the `varList` of `optimizer.minimize`. */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Number of scalar weights (shared variables counted once). */
  parameterCount(): number {
    return this.parameters().reduce((n, v) => n + v.size, 0);
  }

  /** The parameter with this dotted name (e.g. `att_lstm.weight_ih`). Throws {@link ModuleError} when there is none. */
  getParameter(name: string): tf.Variable {
    const found = this.allNamedParameters('').find(([n]) => n === name);
    if (found === undefined) throw new ModuleError(`${this.className}: no parameter named '${name}'`);
    return found[1];
  }

  /** The sub-module with this dotted name (`''` is this module). */
  getModule(name: string): Module {
    const found = this.namedModules().find(([n]) => n === name);
    if (found === undefined) throw new ModuleError(`${this.className}: no sub-module named '${name}'`);
    return found[1];
  }

  /** Sets training mode (dropout active) on this module and all descendants. Returns `this`. */
  train(mode = true): this {
    this.isTraining = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  /** Evaluation mode (dropout off) for this module and all descendants; same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Makes this module and all descendants draw their randomness (dropout masks) from `rng` from now on,
   * e.g. a generator whose state the training loop saves in its checkpoints. Returns `this`.
   */
  useRandom(rng: Random): this {
    this.rngSource = rng;
    for (const child of this.children.values()) child.useRandom(rng);
    return this;
  }

  /**
   * All weights by dotted name (PyTorch `state_dict` names and layouts, e.g. `Linear` weights are
   * `[out, in]`). The values are the live variables, not copies: do not dispose them.
   */
  stateDict(): StateDict {
    this.assertUsable();
    return new Map<string, tf.Tensor>(this.allNamedParameters(''));
  }

  /**
   * Copies weights into this module's parameters (values are cast to float32 when needed; the given
   * tensors are not disposed). Everything is checked before anything is written: a {@link StateDictError}
   * lists every missing, unexpected (with `strict`) and mis-shaped name.
   */
  loadStateDict(stateDict: StateDictInput, options: LoadStateDictOptions = {}): LoadStateDictResult {
    this.assertUsable();
    const strict = options.strict ?? true;
    const expected = new Map(this.allNamedParameters(''));
    const given = new Map(entriesOf(stateDict));
    const missing: string[] = [];
    const mismatched: ShapeMismatch[] = [];
    for (const [name, variable] of expected) {
      const value = given.get(name);
      if (value === undefined) missing.push(name);
      else if (!sameShape(value.shape, variable.shape)) {
        mismatched.push({ name, expected: [...variable.shape], actual: [...value.shape] });
      }
    }
    const unexpected = [...given.keys()].filter((name) => !expected.has(name));
    if (mismatched.length > 0 || (strict && (missing.length > 0 || unexpected.length > 0))) {
      throw new StateDictError(this.className, missing, strict ? unexpected : [], mismatched);
    }
    for (const [name, variable] of expected) {
      const value = given.get(name);
      if (value === undefined) continue;
      tf.tidy(() => variable.assign(value.dtype === variable.dtype ? value : tf.cast(value, variable.dtype)));
    }
    return { missing, unexpected };
  }

  /** The JSON form `{ className, config }` (weights excluded; save them with {@link Module.stateDict}). */
  toJSON(): ModuleJSON<C> {
    return { className: this.className, config: this.config };
  }

  /** True once {@link Module.dispose} has run. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Releases every parameter of this module and its descendants. Further use throws {@link ModuleError}. */
  dispose(): void {
    if (this.isDisposed) return;
    for (const v of this.ownParameters.values()) v.dispose();
    for (const child of this.children.values()) child.dispose();
    this.isDisposed = true;
  }

  /** Throws when the module was disposed; subclasses call it at the top of `apply`. */
  protected assertUsable(): void {
    if (this.isDisposed) throw new ModuleError(`${this.className}: used after dispose()`);
  }
}
