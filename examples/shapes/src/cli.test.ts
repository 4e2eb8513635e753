import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'shapes-cli-'));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, INIT_CWD: root },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('generate CLI', () => {
  it('writes the data set under --out (relative to INIT_CWD), then finds it current', () => {
    const first = run(['--out', 'data', '--train', '6', '--val', '2', '--test', '2', '--seed', '4']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/6 train \/ 2 val \/ 2 test, en\) written in/);
    expect(first.stderr).toMatch(/images: 10\/10/); // plain progress lines when not on a TTY
    expect(existsSync(join(root, 'data', 'dataset_shapes.json'))).toBe(true);
    const again = run(['--out', 'data', '--train', '6', '--val', '2', '--test', '2', '--seed', '4']);
    expect(again.stdout).toMatch(/already current/);
  });

  it('rejects bad options with a message and a non-zero exit', () => {
    const bad = run(['--out', 'data', '--train', '-3']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/option train: must be a non-negative integer/);
  });
});
