/**
 * The README's example runs as written (in a child process, `@caption/models-clipcap` mapped to this package's
 * source and the reference folder to `$CLIPCAP_REFERENCE_DIR` or the shared one), and prints what the PyTorch
 * reference computed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownSection, runTypeScriptExample, typescriptBlocks } from '@caption/test-support';
import { expect, it } from 'vitest';
import { clipcapReferenceDir, describeWithReference } from './clipcap-reference.test-util';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describeWithReference(
  'README example',
  ['gpt2-tiny.json', 'gpt2-tiny.safetensors', 'mapper.json', 'mapper.safetensors'],
  (ref) => {
    it('loads the tiny ClipCap, reproduces its loss, generate2 and generate_beam, and tokenizes', () => {
      const [code] = typescriptBlocks(markdownSection(readFileSync(join(packageRoot, 'README.md'), 'utf8'), 'Example'));
      expect(code, 'README: a ts block in ## Example').toBeDefined();
      const run = runTypeScriptExample(code!, {
        dir: join(packageRoot, 'node_modules', '.cache', 'readme-examples'),
        name: 'clipcap-example',
        replace: {
          "from '@caption/models-clipcap'": `from '${join(packageRoot, 'src', 'index.ts')}'`,
          "'../shared/data/clipcap-reference'": JSON.stringify(clipcapReferenceDir()),
        },
        timeoutMs: 90_000,
      });
      expect(run.status, run.stderr).toBe(0);
      const meta = ref.json<{
        loss: { values: { mlp: { mask_first_epoch: number } } };
        generation: { mlp: { generate_beam_best_first: number[][] } };
      }>('mapper.json');
      expect(Number(/ClipCap loss (\S+)/.exec(run.stdout)?.[1])).toBeCloseTo(meta.loss.values.mlp.mask_first_epoch, 5);
      expect(run.stdout).toMatch(/generate2 \[\s*\[ 72, 72, 9 \]/);
      expect(run.stdout.replace(/\s+/g, ' ')).toContain(
        `tokens: [ ${meta.generation.mlp.generate_beam_best_first[0]!.join(', ')} ]`,
      );
      expect(run.stdout.replace(/\s+/g, ' ')).toContain('[ 32, 582, 10311, 257, 6769, 13 ] 13');
    });
  },
);
