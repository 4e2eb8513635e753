/**
 * `runExampleCli`'s exit statuses and messages for problems of the user's files: one message naming the
 * file and field, exit status 1, no stack trace.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExampleCli } from './cli';

const root = mkdtempSync(join(tmpdir(), 'caption-cli-'));

/** Runs the CLI with stderr captured. */
async function run(argv: string[]): Promise<{ status: number; stderr: string }> {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const status = await runExampleCli(argv, { name: 'test', factories: [] });
    return { status, stderr: chunks.join('') };
  } finally {
    process.stderr.write = write;
  }
}

describe("runExampleCli: errors of the user's files", () => {
  it('prepro on a missing Karpathy file: exit 1, the file named, no stack trace', async () => {
    const missing = join(root, 'no-such-dataset.json');
    const { status, stderr } = await run(['prepro', '--input-json', missing, '--output-json', join(root, 'c.json')]);
    expect(status).toBe(1);
    expect(stderr).toContain(missing);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('prepro on a malformed Karpathy file: exit 1, the field named, no stack trace', async () => {
    const bad = join(root, 'bad-dataset.json');
    writeFileSync(bad, JSON.stringify({ images: [{ split: 'train' }] }));
    const { status, stderr } = await run([
      'prepro',
      '--input-json',
      bad,
      '--output-json',
      join(root, 'c.json'),
      '--output-h5',
      join(root, 'c'),
      '--output-pkl',
      join(root, 'p'),
    ]);
    expect(status).toBe(1);
    expect(stderr).toContain('images[0].filename');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('report on a run folder without history.json: exit 1, the file and what writes it named', async () => {
    const runDir = join(root, 'unfinished-run');
    const { status, stderr } = await run(['report', '--runs', `x=${runDir}`, '--out', join(root, 'r.html')]);
    expect(status).toBe(1);
    expect(stderr).toContain(join(runDir, 'history.json'));
    expect(stderr).toContain('`train` writes it');
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
