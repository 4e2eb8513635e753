/**
 * The built `caption-data` (dist/cli.js, what `npm install` puts on the PATH) on the two faults a user can hit that
 * must never pass silently: a labels file that cannot be written whole (here the file-size limit of `ulimit -f`
 * cuts it short, as a full disk does), and a data file whose image paths lead outside `--images-root`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'data-coco-built-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the built CLI in `dir` through bash (for `ulimit`); exit status and output. */
function runBuilt(args: string[], limitKb?: number): { status: number | null; stdout: string; stderr: string } {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const limit = limitKb === undefined ? '' : `ulimit -f ${limitKb}; `;
  const run = spawnSync('bash', ['-c', `${limit}exec '${process.execPath}' '${cli}' ${quoted}`], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const dataset = (images: Array<{ filename: string; imgid: number }>): string =>
  JSON.stringify({
    dataset: 'small',
    images: images.map(({ filename, imgid }, i) => ({
      split: i === 0 ? 'val' : 'train',
      filepath: 'imgs',
      filename,
      imgid,
      sentences: [{ tokens: ['a', 'dog', 'on', 'the', 'grass', String(i)], raw: 'a dog' }],
    })),
  });

describe('the built caption-data CLI', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build the package first (npm run build)`);
  });

  it('prepro-labels: a labels file cut short (file-size limit, as a full disk) is "cannot write", exit 1, nothing left, no HDF5-DIAG', () => {
    const input = join(dir, 'many.json');
    // enough captions for a labels file well over the 4 KiB limit, while the input stays readable
    writeFileSync(input, dataset(Array.from({ length: 400 }, (_, i) => ({ filename: `${i}.jpg`, imgid: i + 1 }))));
    const out = join(dir, 'out');
    const args = ['prepro-labels', '--input-json', input, '--output-json', join(out, 'data.json')];
    const r = runBuilt([...args, '--output-h5', join(out, 'data'), '--word-count-threshold', '0'], 4);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^caption-data: cannot write ${join(out, 'data_label.h5')}: .+\\n$`));
    expect(r.stderr).not.toContain('HDF5-DIAG');
    expect(r.stdout).not.toContain('wrote');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    // the same command without the limit writes both files
    const ok = runBuilt([...args, '--output-h5', join(out, 'data'), '--word-count-threshold', '0']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['data.json', 'data_label.h5']);
  });

  it('check-images: a filename with ../ is refused naming the image id and field, not decoded and counted ok', async () => {
    const root = join(dir, 'root');
    mkdirSync(join(root, 'imgs'), { recursive: true });
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(root, 'imgs', 'a.jpg'), jpeg);
    writeFileSync(join(dir, 'outside.jpg'), jpeg);
    const input = join(dir, 'escape.json');
    writeFileSync(
      input,
      dataset([
        { filename: 'a.jpg', imgid: 1 },
        { filename: '../../outside.jpg', imgid: 2 },
      ]),
    );
    const r = runBuilt(['check-images', '--input-json', input, '--images-root', root, '--no-progress']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `caption-data: file ${input}, image id 2, field "images[1].filename": "imgs/../../outside.jpg" leads outside the images root ${root}`,
    );
    expect(r.stdout).not.toContain('ok');
  });
});
