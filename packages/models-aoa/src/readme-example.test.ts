/**
 * The README's example runs as written (in a child process, `@caption/models-aoa` mapped to this package's
 * source and the fixture folder to `$AOANET_REFERENCE_DIR` or the shared one), and prints the values the
 * PyTorch reference computed for the same weights and inputs, exactly as the README shows them; every file the
 * README's concept → file table links to exists.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { documentedExamples, markdownSection, missingMapTargets, printedLines } from '@caption/test-support';
import { expect, it } from 'vitest';
import { describeWithReference, readReferenceJson, referenceDir } from './test-helpers';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describeWithReference(
  'README example',
  ['model-small.json', 'model-small.safetensors', 'model-small-io.safetensors'],
  () => {
    it('builds the small model from reference options, loads the PyTorch weights, reproduces the loss and decodes', () => {
      const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
      const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
        .map((m) => m[1] as string)
        .find((code) => code.includes('fromReferenceOptions'));
      expect(example, 'README: a ts block building the model with fromReferenceOptions').toBeDefined();
      const dir = join(packageRoot, 'node_modules', '.cache', 'models-aoa-readme');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'example.mts');
      const code = (example as string)
        .replaceAll("from '@caption/models-aoa'", `from '${join(packageRoot, 'src', 'index.ts')}'`)
        .replaceAll("'../shared/data/aoanet-reference'", JSON.stringify(referenceDir()));
      writeFileSync(file, code);
      const run = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 90_000 });
      rmSync(file, { force: true });
      expect(run.status, run.stderr).toBe(0);
      const reference = readReferenceJson<{
        num_parameters: number;
        results: { loss_label_smoothing: number; greedy: { seq: number[][] } };
      }>('model-small.json');
      expect(run.stdout).toContain(`${reference.num_parameters} parameters`);
      const loss = Number(/label-smoothed loss (\S+)/.exec(run.stdout)?.[1]);
      expect(Math.abs(loss - reference.results.loss_label_smoothing)).toBeLessThan(1e-5);
      const row = reference.results.greedy.seq[1] ?? [];
      const firstGreedy = (row.includes(0) ? row.slice(0, row.indexOf(0)) : row).join(' ');
      expect(run.stdout).toContain(`image 1: greedy ${firstGreedy} |`);
      const shown = documentedExamples(markdownSection(readme, 'Example')).find((e) => e.code === example)?.output;
      expect(shown, 'README: a ```text block with what the example prints').toBeDefined();
      expect(printedLines(run.stdout)).toEqual(printedLines(shown ?? ''));
    }, 120_000);
  },
);

it('README links only to files that exist (the concept → file table)', () => {
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  expect(missingMapTargets(readme, packageRoot)).toEqual([]);
});
