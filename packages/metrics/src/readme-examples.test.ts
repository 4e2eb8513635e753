/**
 * The TypeScript examples of README.md (section "Example", which must print exactly the lines the README shows),
 * docs/library.md and docs/tokenizer.md run as they are written, each in a child process with
 * `@caption/metrics` mapped to this package's source, and every file the README's concept → file table links to
 * exists, so that the documentation cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  documentedExamples,
  markdownSection,
  missingMapTargets,
  printedLines,
  runTypeScriptExample,
  typescriptBlocks,
} from '@caption/test-support';
import { describe, expect, it } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Each document's name and its examples. */
const DOCUMENTS: [string, () => string[]][] = [
  ['docs/library.md', () => typescriptBlocks(readFileSync(join(packageRoot, 'docs', 'library.md'), 'utf8'))],
  ['docs/tokenizer.md', () => typescriptBlocks(readFileSync(join(packageRoot, 'docs', 'tokenizer.md'), 'utf8'))],
  [
    'README.md, section "WMD, SPICE, Chinese, human judgement"',
    () =>
      typescriptBlocks(
        markdownSection(readFileSync(join(packageRoot, 'README.md'), 'utf8'), 'WMD, SPICE, Chinese, human judgement'),
      ),
  ],
];

const run = (code: string, name: string) =>
  runTypeScriptExample(code, {
    // inside the package's node_modules so that its dependencies resolve; ignored by git
    dir: join(packageRoot, 'node_modules', '.cache', 'caption-readme-examples'),
    name,
    replace: { "from '@caption/metrics'": `from '${join(packageRoot, 'src', 'index.ts')}'` },
  });

describe('README', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  it('links only to files that exist (the concept → file table)', () => {
    expect(missingMapTargets(readme, packageRoot)).toEqual([]);
  });

  it('has an example that prints what the README says it prints', () => {
    const [example, ...others] = documentedExamples(markdownSection(readme, 'Example'));
    expect(others).toEqual([]);
    expect(example?.output, 'a ```text block after the example').toBeDefined();
    const result = run(example?.code ?? '', 'metrics-readme-example');
    expect(result.status, result.stderr).toBe(0);
    expect(printedLines(result.stdout)).toEqual(printedLines(example?.output ?? ''));
  }, 90_000);
});

describe('documentation examples', () => {
  for (const [document, examples] of DOCUMENTS) {
    it(`${document}: every example runs and prints`, () => {
      const blocks = examples();
      expect(blocks.length, document).toBeGreaterThan(0);
      blocks.forEach((code, i) => {
        const result = run(code, `metrics-${document.replace(/\W+/g, '-').toLowerCase()}-${i}`);
        expect(result.status, `${document} example ${i}:\n${result.stderr}`).toBe(0);
        expect(result.stdout.length, `${document} example ${i} prints nothing`).toBeGreaterThan(0);
      });
    }, 90_000);
  }
});
