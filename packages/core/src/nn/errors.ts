/**
 * Typed errors of the layer library. Messages name the module class, the parameter or argument and the
 * offending value, so a failed load or a wrong shape can be fixed without a debugger.
 */

/** Invalid module configuration, wrong argument shapes or misuse of a module (e.g. after `dispose()`). */
export class ModuleError extends Error {
  /** @param message what is wrong, naming the module class, the argument or parameter and the offending value */
  constructor(message: string) {
    super(message);
    this.name = 'ModuleError';
  }
}

/** One weight whose shape in a state dict differs from the module's parameter. */
export interface ShapeMismatch {
  /** Dotted PyTorch-style name, e.g. `core.att_lstm.weight_ih`. */
  name: string;
  /** Shape of the module's parameter (PyTorch layout). */
  expected: number[];
  /** Shape found in the state dict. */
  actual: number[];
}

/**
 * A state dict that does not fit a module: missing weights, unexpected weights (only reported as an error
 * with `strict: true`) and weights whose shape differs (always an error). Nothing is loaded when it is thrown.
 */
export class StateDictError extends ModuleError {
  /** Parameter names of the module that the state dict lacks. */
  readonly missing: string[];
  /** Names in the state dict that the module has no parameter for. */
  readonly unexpected: string[];
  /** Names present on both sides with different shapes. */
  readonly mismatched: ShapeMismatch[];

  /**
   * Builds the message from the three lists (each capped at 12 names, with the total when longer).
   *
   * @param moduleName the module's class name, shown as `loadStateDict(<moduleName>)`
   * @param missing parameter names of the module absent from the state dict
   * @param unexpected state-dict names the module has no parameter for
   * @param mismatched names present on both sides with different shapes
   */
  constructor(moduleName: string, missing: string[], unexpected: string[], mismatched: ShapeMismatch[]) {
    const parts: string[] = [];
    const list = (names: string[]): string =>
      names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')}, … (${names.length} in all)`;
    if (missing.length > 0) parts.push(`missing weights: ${list(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected weights: ${list(unexpected)}`);
    if (mismatched.length > 0) {
      parts.push(
        `shape mismatch: ${mismatched
          .slice(0, 12)
          .map((m) => `${m.name} expected [${m.expected.join(', ')}] got [${m.actual.join(', ')}]`)
          .join('; ')}${mismatched.length > 12 ? ` … (${mismatched.length} in all)` : ''}`,
      );
    }
    super(`loadStateDict(${moduleName}): ${parts.join('; ')}`);
    this.name = 'StateDictError';
    this.missing = missing;
    this.unexpected = unexpected;
    this.mismatched = mismatched;
  }
}
