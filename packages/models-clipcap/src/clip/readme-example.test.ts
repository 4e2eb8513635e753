/**
 * The README's CLIP example runs as written (in a child process, `@caption/models-clipcap` mapped to this package's
 * source and the shared paths to the ones in use) and prints the loss PyTorch computed for the same weights.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownSection, runTypeScriptExample, sharedDataDir, typescriptBlocks } from '@caption/test-support';
import { expect, it } from 'vitest';
import { clipcapReferenceDir, describeWithReference } from '../clipcap-reference.test-util';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describeWithReference('README CLIP example', ['clip-tiny.json', 'clip-tiny.safetensors'], (ref) => {
  it('builds the tiny ViT CLIP from its OpenAI config, loads its weights, reproduces the loss, tokenizes and preprocesses', () => {
    const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
    const [code] = typescriptBlocks(markdownSection(readme, 'CLIP'));
    expect(code, 'README: a ts block in the CLIP section').toBeDefined();
    const run = runTypeScriptExample(code as string, {
      dir: join(packageRoot, 'node_modules', '.cache', 'readme-examples'),
      name: 'clip',
      replace: {
        "from '@caption/models-clipcap'": `from '${join(packageRoot, 'src', 'index.ts')}'`,
        "'../shared/data/clipcap-reference'": JSON.stringify(clipcapReferenceDir()),
        "'../shared/data/tokenizers/": `'${sharedDataDir()}/tokenizers/`,
        "'../shared/data/images/": `'${sharedDataDir()}/images/`,
      },
    });
    expect(run.status, run.stderr).toBe(0);
    const json = ref.json<{ models: { vit: { n_parameters: number; loss: number } } }>('clip-tiny.json');
    expect(run.stdout).toContain(`${json.models.vit.n_parameters} parameters`);
    const loss = Number(/contrastive loss (\S+)/.exec(run.stdout)?.[1]);
    expect(Math.abs(loss - json.models.vit.loss)).toBeLessThanOrEqual(1e-5 + 1e-4 * json.models.vit.loss);
    expect(run.stdout).toMatch(/ids 49406 .* 49407 0/);
    expect(run.stdout).toContain('preprocessed 150528');
  });
});
