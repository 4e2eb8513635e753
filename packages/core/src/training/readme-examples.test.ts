/**
 * The TypeScript examples of the README sections "Layers", "Losses", "Decoding", "Optimisation" and "Checkpoints and training"
 * run as they are (each in a child process, `@caption/core` mapped to this package's source), so the
 * documentation cannot drift from the code.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECTIONS = ['Backends', 'Layers', 'Losses', 'Decoding', 'Optimisation', 'Checkpoints and training'];

function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const next = markdown.indexOf('\n## ', start + title.length + 5);
  return markdown.slice(start, next < 0 ? undefined : next);
}

function tsBlocks(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe('README examples', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  for (const title of SECTIONS) {
    it(`"${title}" has examples that run`, () => {
      const blocks = tsBlocks(section(readme, title));
      expect(blocks.length, `README section "## ${title}"`).toBeGreaterThan(0);
      // inside the package's node_modules so that its dependencies resolve; ignored by git
      const dir = join(packageRoot, 'node_modules', '.cache', 'caption-readme-examples');
      mkdirSync(dir, { recursive: true });
      blocks.forEach((code, i) => {
        const file = join(dir, `${title.replace(/\W+/g, '-').toLowerCase()}-${i}.mts`);
        writeFileSync(file, code.replaceAll("from '@caption/core'", `from '${join(packageRoot, 'src', 'index.ts')}'`));
        const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
        rmSync(file, { force: true });
        expect(run.status, `${title} example ${i}:\n${run.stderr}`).toBe(0);
        expect(run.stdout.length).toBeGreaterThan(0);
      });
    }, 90_000);
  }
});
