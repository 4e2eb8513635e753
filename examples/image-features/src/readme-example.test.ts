/** The README's API example runs as written (from the repository root, in a child process) and prints what it says. */
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
import { afterAll, expect, it } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describeWithShared('README example', ['images/val2014'], (data) => {
  const scratch = mkdtempSync(join(tmpdir(), 'image-features-readme-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('"API" runs: 40 images written, then all found done', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const [code, ...others] = typescriptBlocks(markdownSection(readme, 'API'));
    expect(code, 'README section "## API" has a ts block').toBeDefined();
    expect(others).toEqual([]);
    const run = runTypeScriptExample(code as string, {
      dir: join(packageRoot, 'node_modules', '.cache', 'image-features-readme'),
      name: 'api',
      cwd: repoRoot,
      env: { TMPDIR: scratch },
      replace: {
        "from '@caption/example-image-features'": `from '${join(packageRoot, 'src', 'index.ts')}'`,
        "'../shared/data/images/val2014'": JSON.stringify(data.path('images/val2014')),
      },
      timeoutMs: 200_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(['40 64', '40']);
  }, 240_000);
});
