/**
 * The README's library example runs as it is written (in a child process, from the repository root, with
 * `@caption/data-coco` mapped to this package's source and `../shared/data` to the shared data folder in use),
 * and prints what its comments say.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  describeWithShared,
  markdownSection,
  repoRoot,
  runTypeScriptExample,
  typescriptBlocks,
} from '@caption/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describeWithShared('README example', ['flickr8k/dataset_flickr8k.json.gz'], (data) => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'data-coco-readme-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('"Library" runs: prepares Flickr8k, loads a batch of the documented shapes and passes preflight', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const [code, ...others] = typescriptBlocks(markdownSection(readme, 'Library'));
    expect(code, 'README section "## Library" has a ts block').toBeDefined();
    expect(others).toEqual([]);
    const run = runTypeScriptExample(code as string, {
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
    // the shapes follow from the example's options: batchSize 10, 36 regions of 8, seqPerImg 5, max length 16 + 2
    expect(run.stdout.split('\n').slice(0, 2)).toEqual(['[ 10, 36, 8 ] [ 10, 5, 18 ]', 'true []']);
  }, 150_000);
});
