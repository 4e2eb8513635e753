/**
 * Every workspace's vitest config wires `@caption/test-support/ci-reporter`, the reporter that fails a CI run with
 * a skipped test: a workspace added without it could skip tests under CI unnoticed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './packages';

const configs = execFileSync('git', ['ls-files', '*vitest.config.ts', '*vitest.config.mts'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter((line) => line !== '');

describe('vitest configs', () => {
  it('there is one per workspace with tests (found by git ls-files)', () => {
    expect(configs.length).toBeGreaterThanOrEqual(10);
  });

  it.each(configs)('%s uses the CI reporter that fails on skipped tests', (config) => {
    expect(readFileSync(join(repoRoot, config), 'utf8')).toContain("'@caption/test-support/ci-reporter'");
  });
});
