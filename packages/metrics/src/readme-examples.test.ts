/**
 * The TypeScript examples of README.md (section "Library", which holds the `CiderDScorer` one too) and of
 * docs/tokenizer.md run as they are written, each in a child process with `@caption/metrics` mapped to this
 * package's source, so that the documentation cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownSection, runTypeScriptExample, typescriptBlocks } from '@caption/test-support';
import { describe, expect, it } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Each document's name and its examples. */
const DOCUMENTS: [string, () => string[]][] = [
  [
    'README.md, section "Library"',
    () => typescriptBlocks(markdownSection(readFileSync(join(packageRoot, 'README.md'), 'utf8'), 'Library')),
  ],
  ['docs/tokenizer.md', () => typescriptBlocks(readFileSync(join(packageRoot, 'docs', 'tokenizer.md'), 'utf8'))],
  [
    'README.md, section "WMD, SPICE, Chinese, human judgement"',
    () =>
      typescriptBlocks(
        markdownSection(readFileSync(join(packageRoot, 'README.md'), 'utf8'), 'WMD, SPICE, Chinese, human judgement'),
      ),
  ],
];

describe('documentation examples', () => {
  for (const [document, examples] of DOCUMENTS) {
    it(`${document}: every example runs and prints`, () => {
      const blocks = examples();
      expect(blocks.length, document).toBeGreaterThan(0);
      blocks.forEach((code, i) => {
        const run = runTypeScriptExample(code, {
          // inside the package's node_modules so that its dependencies resolve; ignored by git
          dir: join(packageRoot, 'node_modules', '.cache', 'caption-readme-examples'),
          name: `metrics-${document.replace(/\W+/g, '-').toLowerCase()}-${i}`,
          replace: { "from '@caption/metrics'": `from '${join(packageRoot, 'src', 'index.ts')}'` },
        });
        expect(run.status, `${document} example ${i}:\n${run.stderr}`).toBe(0);
        expect(run.stdout.length, `${document} example ${i} prints nothing`).toBeGreaterThan(0);
      });
    }, 90_000);
  }
});
