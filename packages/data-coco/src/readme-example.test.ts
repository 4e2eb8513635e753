/**
 * The README's library example runs as it is written (in a child process, from the repository root, with
 * `@caption/data-coco` mapped to this package's source and `../shared/data` to the shared data folder in use),
 * and prints exactly what the README shows; every file the README's concept → file table links to exists.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeWithShared,
  documentedExamples,
  markdownSection,
  missingMapTargets,
  printedLines,
  repoRoot,
  runTypeScriptExample,
} from '@caption/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describeWithShared('README example', ['flickr8k/dataset_flickr8k.json.gz'], (data) => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'data-coco-readme-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('"Example" runs: prepares Flickr8k, loads a batch of the documented shapes, passes preflight, prints it', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const [example, ...others] = documentedExamples(markdownSection(readme, 'Example'));
    expect(example, 'README section "## Example" has a ts block').toBeDefined();
    expect(others).toEqual([]);
    const run = runTypeScriptExample(example?.code as string, {
      dir: join(packageRoot, 'node_modules', '.cache', 'data-coco-readme'),
      name: 'library',
      cwd: repoRoot,
      env: { TMPDIR: scratch }, // where the example's mkdtemp goes, removed after the test
      replace: {
        "from '@caption/data-coco'": `from '${join(packageRoot, 'src', 'index.ts')}'`,
        "'../shared/data/": `'${data.path('')}/`,
      },
      timeoutMs: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(printedLines(run.stdout)).toEqual(printedLines(example?.output ?? ''));
    // the shapes follow from the example's options: batchSize 10, 36 regions of 8, seqPerImg 5, max length 16 + 2
    expect(run.stdout).toContain('batch: att [10, 36, 8], labels [10, 5, 18]');
    expect(run.stdout).toContain('preflight ok: true, errors: 0');
  }, 150_000);
});

it('README links only to files that exist (the concept → file table)', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  expect(missingMapTargets(readme, packageRoot)).toEqual([]);
});
