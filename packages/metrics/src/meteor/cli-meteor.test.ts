/**
 * `caption-eval --metrics meteor` (the built CLI, as a child process): it works given the data path, and
 * without data it fails naming what to provide.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithShared } from '@caption/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REAL_CASES, loadRealCase } from '../testing/expected-cases';
import { SHARED_METEOR_FILES } from './test-fixtures';

const launcher = fileURLToPath(new URL('../../bin/caption-eval.js', import.meta.url));
const builtCli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Runs the CLI with METEOR's environment variables cleared and discovery of installations off. */
function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CAPTION_METEOR_DISCOVERY: 'off' };
  delete env.CAPTION_METEOR_DATA;
  delete env.CAPTION_METEOR_PARAPHRASE;
  const result = spawnSync(process.execPath, [launcher, ...args], { encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describeWithShared('caption-eval --metrics meteor', [...SHARED_METEOR_FILES, REAL_CASES.fakecap_first500], (data) => {
  let dir = '';
  let refs = '';
  let results = '';
  let expectedMeteor = 0;

  beforeAll(() => {
    if (!existsSync(builtCli))
      throw new Error(`${builtCli} is missing: build the package first (npm run build -w @caption/metrics)`);
    dir = mkdtempSync(join(tmpdir(), 'caption-eval-meteor-'));
    const expected = loadRealCase(data, REAL_CASES.fakecap_first500);
    expectedMeteor = expected.corpus.METEOR as number;
    const ids = Object.keys(expected.rawCands!);
    refs = join(dir, 'captions.json');
    results = join(dir, 'results.json');
    writeFileSync(
      refs,
      JSON.stringify({
        images: ids.map((id) => ({ id: Number(id) })),
        annotations: ids.flatMap((id) => expected.rawRefs![id]!.map((caption) => ({ image_id: Number(id), caption }))),
      }),
    );
    writeFileSync(
      results,
      JSON.stringify(ids.map((id) => ({ image_id: Number(id), caption: expected.rawCands![id] }))),
    );
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it("scores METEOR given the data path (fakecap_first500, no paraphrase table: the oracle's setting)", () => {
    const out = run([
      '--refs',
      refs,
      '--results',
      results,
      '--metrics',
      'meteor',
      '--json',
      '--meteor-data',
      data.path('meteor'),
      '--meteor-paraphrase',
      'none',
    ]);
    expect(out.status, out.stderr).toBe(0);
    const scores = JSON.parse(out.stdout) as Record<string, number>;
    expect(Object.keys(scores)).toEqual(['METEOR']);
    expect(Math.abs((scores.METEOR as number) - expectedMeteor)).toBeLessThan(1e-12);
  });

  it('without data, fails naming what is missing', () => {
    const out = run(['--refs', refs, '--results', results, '--metrics', 'meteor', '--json']);
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    for (const part of ['metric "meteor" cannot run', 'meteor-1.5.jar', '--meteor-data', 'CAPTION_METEOR_DATA']) {
      expect(out.stderr).toContain(part);
    }
  });

  it('with resource files but no paraphrase table, fails naming paraphrase-en.gz and --meteor-paraphrase none', () => {
    const out = run([
      '--refs',
      refs,
      '--results',
      results,
      '--metrics',
      'meteor',
      '--meteor-data',
      data.path('meteor'),
    ]);
    expect(out.status).toBe(1);
    for (const part of ['paraphrase-en.gz', '--meteor-paraphrase', '"none"']) expect(out.stderr).toContain(part);
  });
});
