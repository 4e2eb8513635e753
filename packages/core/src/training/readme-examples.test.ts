/**
 * The README's example runs as written (in a child process, `@caption/core` mapped to this package's source) and
 * prints exactly the lines the README shows; the examples of `docs/*.md` run too; and every file the README's
 * "Where things are" table links to exists. So the documentation cannot drift from the code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  documentedExamples,
  markdownSection,
  missingMapTargets,
  printedLines,
  readReadme,
  runTypeScriptExample,
  typescriptBlocks,
} from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { SOURCE_CHILD_NODE_ARGS } from '../testing/source-child';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (code: string, name: string) =>
  runTypeScriptExample(code, {
    // inside the package's node_modules so that its dependencies resolve; ignored by git
    dir: join(packageRoot, 'node_modules', '.cache', 'caption-readme-examples'),
    name,
    replace: { "from '@caption/core'": `from '${join(packageRoot, 'src', 'index.ts')}'` },
    // tfjs-core's ES-module registrations, which the package's build bundles, loaded from source
    nodeArgs: SOURCE_CHILD_NODE_ARGS,
  });

describe('README', () => {
  it('links only to files that exist (the concept → file table)', () => {
    expect(missingMapTargets(readReadme(packageRoot), packageRoot)).toEqual([]);
  });

  it('has an example that prints what the README says it prints', () => {
    const examples = documentedExamples(markdownSection(readReadme(packageRoot), 'Example'));
    expect(examples.length).toBe(1);
    const { code, output } = examples[0] as { code: string; output: string | null };
    expect(output, 'a ```text block after the example').not.toBeNull();
    const result = run(code, 'readme-example');
    expect(result.status, result.stderr).toBe(0);
    expect(printedLines(result.stdout)).toEqual(printedLines(output as string));
  }, 120_000);
});

describe('docs examples', () => {
  const docs = readdirSync(join(packageRoot, 'docs')).filter((f) => f.endsWith('.md'));
  for (const doc of docs) {
    const blocks = typescriptBlocks(readFileSync(join(packageRoot, 'docs', doc), 'utf8'));
    if (blocks.length === 0) continue;
    it(`docs/${doc}: every example runs and prints`, () => {
      blocks.forEach((code, i) => {
        const result = run(code, `${doc.replace(/\W+/g, '-')}-${i}`);
        expect(result.status, `docs/${doc} example ${i}:\n${result.stderr}`).toBe(0);
        expect(result.stdout.length).toBeGreaterThan(0);
      });
    }, 120_000);
  }
});
