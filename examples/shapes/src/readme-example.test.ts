/**
 * The README's API example runs as it is written (in a child process, `@caption/example-shapes` mapped to this
 * package's source) and prints what its comments say.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownSection, runTypeScriptExample, typescriptBlocks } from '@caption/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { sceneFor } from './generate';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'shapes-readme-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('"API" runs: generates a small set and extracts its region features', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const [code, ...others] = typescriptBlocks(markdownSection(readme, 'API'));
    expect(code, 'README section "## API" has a ts block').toBeDefined();
    expect(others).toEqual([]);
    const run = runTypeScriptExample(code as string, {
      dir: join(packageRoot, 'node_modules', '.cache', 'shapes-readme'),
      name: 'api',
      env: { TMPDIR: scratch }, // where the example's mkdtemp goes, removed after the test
      replace: { "from '@caption/example-shapes'": `from '${join(packageRoot, 'src', 'index.ts')}'` },
      timeoutMs: 50_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => !line.startsWith('[@caption/core]'));
    expect(lines[0]).toBe('{ train: 80, val: 20, test: 20 } { images: false, captions: false }');
    // the val split is imgid 80..99 (train, val, test in imgid order): count their objects from the scenes alone
    const valObjects = Array.from({ length: 20 }, (_, k) => sceneFor(1, 80 + k, 64).objects.length).reduce(
      (a, b) => a + b,
      0,
    );
    expect(lines[1]).toBe(`128 ${valObjects}`);
  }, 60_000);
});
