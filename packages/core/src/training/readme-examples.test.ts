/**
 * The TypeScript examples of the README sections "Layers", "Losses", "Decoding", "Optimisation" and "Checkpoints and training"
 * run as they are (each in a child process, `@caption/core` mapped to this package's source), so the
 * documentation cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownSection, runTypeScriptExample, typescriptBlocks } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { SOURCE_CHILD_NODE_ARGS } from '../testing/source-child';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECTIONS = ['Backends', 'Layers', 'Losses', 'Decoding', 'Optimisation', 'Checkpoints and training'];

describe('README examples', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  for (const title of SECTIONS) {
    it(`"${title}" has examples that run`, () => {
      const blocks = typescriptBlocks(markdownSection(readme, title));
      expect(blocks.length, `README section "## ${title}"`).toBeGreaterThan(0);
      blocks.forEach((code, i) => {
        const run = runTypeScriptExample(code, {
          // inside the package's node_modules so that its dependencies resolve; ignored by git
          dir: join(packageRoot, 'node_modules', '.cache', 'caption-readme-examples'),
          name: `${title.replace(/\W+/g, '-').toLowerCase()}-${i}`,
          replace: { "from '@caption/core'": `from '${join(packageRoot, 'src', 'index.ts')}'` },
          nodeArgs: SOURCE_CHILD_NODE_ARGS,
        });
        expect(run.status, `${title} example ${i}:\n${run.stderr}`).toBe(0);
        expect(run.stdout.length).toBeGreaterThan(0);
      });
    }, 90_000);
  }
});
