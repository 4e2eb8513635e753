/**
 * The example of docs/meteor.md ("## Use") runs as it is written (in a child process, `@caption/metrics` mapped to
 * this package's source, the jar's path to the shared METEOR resource files, no paraphrase table as in the
 * expected values), and prints the jar's score for its captions (fixtures/meteor/jar-cases.json).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithShared, markdownSection, runTypeScriptExample, typescriptBlocks } from '@caption/test-support';
import { expect, it } from 'vitest';
import { readJarCases, SHARED_METEOR_FILES } from './test-fixtures';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describeWithShared('docs/meteor.md example', SHARED_METEOR_FILES, (data) => {
  it('"Use" runs and gives the jar\'s score', () => {
    const doc = readFileSync(join(packageRoot, 'docs', 'meteor.md'), 'utf8');
    const [code, ...others] = typescriptBlocks(markdownSection(doc, 'Use'));
    expect(code, 'docs/meteor.md section "## Use" has a ts block').toBeDefined();
    expect(others).toEqual([]);
    const jar = readJarCases().segments.find((s) => s.what.startsWith('long candidate against long reference'));
    expect(jar, "jar-cases.json has the example's segment").toBeDefined();
    expect(code).toContain(JSON.stringify(jar?.candidate).replaceAll('"', "'"));
    const run = runTypeScriptExample(code as string, {
      dir: join(packageRoot, 'node_modules', '.cache', 'meteor-docs-example'),
      name: 'use',
      env: { CAPTION_METEOR_PARAPHRASE: 'none', CAPTION_METEOR_DATA: undefined },
      replace: {
        "from '@caption/metrics'": `from '${join(packageRoot, 'src', 'index.ts')}'`,
        "'pycocoevalcap/meteor/meteor-1.5.jar'": JSON.stringify(data.path('meteor')),
      },
    });
    expect(run.status, run.stderr).toBe(0);
    const [first, ...rest] = run.stdout.trim().split('\n');
    const [score, chunks] = (first as string).split(' ').map(Number);
    expect(Math.abs((score as number) - (jar?.score as number))).toBeLessThan(1e-12);
    expect(chunks).toBe(Number(jar?.stats.split(' ')[20])); // the 21st number of the jar's statistics line
    expect(rest).toEqual(['true', 'true']);
  }, 60_000);
});
