/**
 * A vitest reporter, wired into every workspace's `vitest.config.ts`, that makes skipped tests visible: it
 * lists them at the end of a run, and under CI (`CI=true`) fails the run when any test was skipped or left
 * as a todo, so that a green CI run is one in which every test ran.
 *
 * A `vitest.config.ts` names it by its module path (vitest then loads this TypeScript file itself; an
 * `import` in the config would go through Node, which cannot load `.ts` from a package).
 *
 * @example
 * ```ts
 * import { defineConfig } from 'vitest/config';
 * export default defineConfig({ test: { reporters: ['default', '@caption/test-support/ci-reporter'] } });
 * ```
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';
import { isCi } from './ci.js';

/** Options of {@link SkippedTestsReporter}. */
export interface SkippedTestsReporterOptions {
  /** Environment read for `CI` (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Where the summary goes (default `console.error`). */
  log?: (line: string) => void;
  /** Called with exit code 1 when the run must fail (default: sets `process.exitCode`). */
  fail?: () => void;
}

/**
 * Lists the skipped tests of a run and, under CI, fails the run when there is any (exit code 1, with the
 * names of the tests and their files); a CI run without skipped tests says so (`0 tests skipped`).
 */
export class SkippedTestsReporter implements Reporter {
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: (line: string) => void;
  private readonly fail: () => void;

  /** @param options where to read `CI` and to write the summary (defaults: `process.env`, `console.error`) */
  constructor(options: SkippedTestsReporterOptions = {}) {
    this.env = options.env ?? process.env;
    this.log = options.log ?? ((line) => console.error(line));
    this.fail = options.fail ?? (() => void (process.exitCode = 1));
  }

  /** Counts the skipped and todo tests of the finished run. */
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: TestCase[] = [];
    for (const module of testModules) for (const test of module.children.allTests('skipped')) skipped.push(test);
    if (skipped.length === 0) {
      if (isCi(this.env)) this.log('0 tests skipped (CI=true allows none)');
      return;
    }
    const lines = skipped.map((t) => `  ${t.module.relativeModuleId} > ${t.fullName}`);
    if (isCi(this.env)) {
      this.log(
        `\n${skipped.length} test(s) were skipped, and CI=true allows none (missing reference data fails instead; ` +
          `see @caption/test-support):\n${lines.join('\n')}\n`,
      );
      this.fail();
    } else {
      this.log(`\n${skipped.length} test(s) skipped (a CI run would fail on them):\n${lines.join('\n')}\n`);
    }
  }
}

// eslint-disable-next-line import-x/no-default-export -- vitest loads a reporter named by its module path from the default export
export default SkippedTestsReporter;
