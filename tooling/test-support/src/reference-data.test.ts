/**
 * The reference-data rule: outside CI a block whose files are absent is skipped with its reason; under CI it
 * fails, naming the missing folder; the reporter fails a CI run that skipped any test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCi } from './ci';
import { SkippedTestsReporter } from './ci-reporter';
import { fixtureFolder, missingFilesReason, repoRoot, sharedSkipReason } from './index';

// inside the repository (git ignores node_modules), so that the child run resolves vitest from here
const cache = join(repoRoot, 'tooling', 'test-support', 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, 'reference-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a one-file vitest project in `dir` with `env`, configured as the workspaces are (this package's reporter). */
function runVitest(name: string, source: string, env: Record<string, string | undefined>) {
  writeFileSync(join(dir, `${name}.test.ts`), source);
  writeFileSync(
    join(dir, 'vitest.config.ts'),
    `import { defineConfig } from 'vitest/config';
export default defineConfig({ test: { include: ['*.test.ts'], reporters: ['default', '@caption/test-support/ci-reporter'] } });
`,
  );
  const childEnv: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  const vitest = join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', '--root', dir, `${name}.test.ts`], {
    encoding: 'utf8',
    env: childEnv,
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

const USES_SHARED = (helpers: string) => `
import { it, expect } from 'vitest';
import { describeWithShared } from ${JSON.stringify(helpers)};
describeWithShared('needs shared data', ['some/file.json'], () => {
  it('reads it', () => expect(1).toBe(1));
});
it('runs anyway', () => expect(1).toBe(1));
`;

describe('reference data and CI', () => {
  it('isCi reads CI as CI services set it', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '0' })).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({})).toBe(false);
  });

  it('names the absent folder or the missing files', () => {
    const folder = { dir: join(dir, 'nowhere'), hint: 'set X_DIR', label: 'X folder' };
    expect(missingFilesReason(folder, ['a'])).toBe(`X folder ${folder.dir} is absent (set X_DIR)`);
    writeFileSync(join(dir, 'present.txt'), '');
    expect(missingFilesReason({ dir, hint: '' }, ['present.txt', 'absent.txt'])).toBe(`missing in ${dir}: absent.txt`);
    expect(missingFilesReason({ dir, hint: '' }, ['present.txt'])).toBeNull();
  });

  it('fixtureFolder: the environment variable, else a folder under the shared data', () => {
    const saved = process.env.TEST_SUPPORT_FIXTURE_DIR;
    try {
      delete process.env.TEST_SUPPORT_FIXTURE_DIR;
      expect(fixtureFolder('TEST_SUPPORT_FIXTURE_DIR', 'x-reference').dir).toMatch(/x-reference$/);
      process.env.TEST_SUPPORT_FIXTURE_DIR = dir;
      expect(fixtureFolder('TEST_SUPPORT_FIXTURE_DIR', 'x-reference')).toMatchObject({
        dir,
        label: 'TEST_SUPPORT_FIXTURE_DIR folder',
      });
    } finally {
      if (saved === undefined) delete process.env.TEST_SUPPORT_FIXTURE_DIR;
      else process.env.TEST_SUPPORT_FIXTURE_DIR = saved;
    }
  });

  it('the shared data folder named by CAPTION_SHARED_DATA is what a missing-data message names', () => {
    const saved = process.env.CAPTION_SHARED_DATA;
    try {
      process.env.CAPTION_SHARED_DATA = '/nonexistent';
      expect(sharedSkipReason(['x'])).toMatch(/^shared data folder \/nonexistent is absent \(set CAPTION_SHARED_DATA/);
    } finally {
      if (saved === undefined) delete process.env.CAPTION_SHARED_DATA;
      else process.env.CAPTION_SHARED_DATA = saved;
    }
  });

  const helpers = join(repoRoot, 'tooling/test-support/src/index.ts');
  it('outside CI, missing shared data skips the block with its reason and the run passes', () => {
    const run = runVitest('outside', USES_SHARED(helpers), { CI: undefined, CAPTION_SHARED_DATA: '/nonexistent' });
    expect(run.status, run.output).toBe(0);
    expect(run.output).toMatch(/\[skip\] needs shared data: shared data folder \/nonexistent is absent/);
    expect(run.output).toMatch(/1 test\(s\) skipped \(a CI run would fail on them\)/);
  });

  it('under CI=true, missing shared data fails the run, naming the folder', () => {
    const run = runVitest('in-ci', USES_SHARED(helpers), { CI: 'true', CAPTION_SHARED_DATA: '/nonexistent' });
    expect(run.status, run.output).toBe(1);
    expect(run.output).toMatch(/shared data folder \/nonexistent is absent/);
    expect(run.output).toMatch(/under CI=true a test may not be skipped/);
  });

  it('under CI=true, any skipped test fails the run, naming it (the reporter)', () => {
    const source = `import { it, expect } from 'vitest';\nit.skip('is skipped', () => {});\nit('passes', () => expect(1).toBe(1));\n`;
    const run = runVitest('skipped', source, { CI: 'true' });
    expect(run.status, run.output).toBe(1);
    expect(run.output).toMatch(/1 test\(s\) were skipped, and CI=true allows none/);
    expect(run.output).toMatch(/skipped\.test\.ts > is skipped/);
    const outside = runVitest('skipped', source, { CI: undefined });
    expect(outside.status, outside.output).toBe(0);
  });

  it('without skipped tests the reporter passes the run, and says so under CI', () => {
    const lines: string[] = [];
    let failed = false;
    const options = { log: (l: string) => lines.push(l), fail: () => (failed = true) };
    new SkippedTestsReporter({ ...options, env: { CI: 'true' } }).onTestRunEnd([]);
    expect(lines).toEqual(['0 tests skipped (CI=true allows none)']);
    new SkippedTestsReporter({ ...options, env: {} }).onTestRunEnd([]);
    expect(lines).toHaveLength(1);
    expect(failed).toBe(false);
  });
});
