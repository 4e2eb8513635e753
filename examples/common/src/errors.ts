/**
 * Typed errors of the examples. Messages name the option, file, image id or field concerned, so a bad
 * run is fixed without reading the code.
 */

/** A bad option: unknown, mistyped, out of range, or inconsistent with another option. */
export class ExampleOptionsError extends Error {
  /** The option concerned (camelCase), or `null` when the problem is the command line as a whole. */
  readonly option: string | null;

  /**
   * @param option the option concerned (camelCase), or null
   * @param message what is wrong, in words (already naming the option)
   */
  constructor(option: string | null, message: string) {
    super(message);
    this.name = 'ExampleOptionsError';
    this.option = option;
  }
}

/**
 * The data cannot be used for the configured run (missing files, a vocabulary/label mismatch, a missing
 * CIDEr-D document-frequency cache, feature files of the wrong shape...). Raised before the first step.
 */
export class ExampleDataError extends Error {
  /** Every problem found, one line each (file, image id, field). */
  readonly problems: readonly string[];

  /**
   * @param summary one line saying what could not start
   * @param problems the individual problems
   */
  constructor(summary: string, problems: readonly string[]) {
    super(problems.length === 0 ? summary : `${summary}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ExampleDataError';
    this.problems = problems;
  }
}
