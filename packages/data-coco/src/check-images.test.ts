import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describeWithShared } from '@caption/test-support';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ImageEntry,
  checkImages,
  imageEntriesFromJson,
  readSkipList,
  truncationOf,
  writeSkipList,
} from './check-images.js';

describeWithShared(
  'checkImages on real and broken JPEGs',
  ['images/val2014/COCO_val2014_000000000139.jpg', 'images/val2014/COCO_val2014_000000022192.jpg'],
  (data) => {
    const dir = mkdtempSync(join(tmpdir(), 'data-coco-images-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const entries: ImageEntry[] = [];

    beforeAll(async () => {
      const good = data.path('images/val2014/COCO_val2014_000000000139.jpg');
      copyFileSync(good, join(dir, 'good1.jpg'));
      copyFileSync(data.path('images/val2014/COCO_val2014_000000022192.jpg'), join(dir, 'good2.jpg'));
      const bytes = readFileSync(good);
      writeFileSync(join(dir, 'truncated.jpg'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      writeFileSync(join(dir, 'png.jpg'), await sharp(bytes).png().toBuffer());
      writeFileSync(join(dir, 'empty.jpg'), new Uint8Array(0));
      const names = ['good1', 'truncated', 'png', 'missing', 'empty', 'good2'];
      names.forEach((n, i) => entries.push({ id: 1000 + i, path: join(dir, `${n}.jpg`) }));
    });

    it('reports the truncated JPEG, the PNG renamed .jpg, the missing and the zero-byte file by id and path, and goes past them', async () => {
      const report = await checkImages(entries);
      expect(report.checked).toBe(6);
      expect(report.ok).toBe(2);
      expect(report.problems.map((p) => [p.id, p.path, p.kind])).toEqual([
        [1001, join(dir, 'truncated.jpg'), 'truncated'],
        [1002, join(dir, 'png.jpg'), 'wrong-format'],
        [1003, join(dir, 'missing.jpg'), 'missing'],
        [1004, join(dir, 'empty.jpg'), 'empty'],
      ]);
      expect(report.problems[1]?.message).toBe('PNG data in a .jpg file');
    });

    it("tells a cut-off JPEG or PNG from its bytes (libvips' message can be 'Unknown error' under concurrent decodes)", async () => {
      const jpeg = readFileSync(data.path('images/val2014/COCO_val2014_000000000139.jpg'));
      expect(truncationOf(jpeg, 'jpeg')).toBeUndefined();
      for (const share of [0.2, 0.6, 0.99])
        expect(truncationOf(jpeg.subarray(0, Math.floor(jpeg.length * share)), 'jpeg')).toMatch(/end-of-image marker/);
      // bytes after the end-of-image marker (some cameras append them) are not a truncation
      expect(truncationOf(Buffer.concat([jpeg, Buffer.from('trailing')]), 'jpeg')).toBeUndefined();
      const png = await sharp(jpeg).png().toBuffer();
      expect(truncationOf(png, 'png')).toBeUndefined();
      expect(truncationOf(Buffer.concat([png, Buffer.from([0, 0])]), 'png')).toBeUndefined();
      expect(truncationOf(png.subarray(0, png.length - 1), 'png')).toMatch(/IEND/);
      expect(truncationOf(png.subarray(0, 100), 'png')).toMatch(/IEND/);
    });

    it('stops at the first problem when asked, and writes a skip list the next stage can read', async () => {
      const first = await checkImages(entries, { failFast: true, concurrency: 1 });
      expect(first.problems.map((p) => p.id)).toEqual([1001]);
      expect(first.checked).toBe(2);
      const path = join(dir, 'skip.json');
      await writeSkipList(path, (await checkImages(entries)).problems);
      expect(await readSkipList(path)).toEqual(new Set(['1001', '1002', '1003', '1004']));
    });

    it('prints plain progress lines when not on a TTY', async () => {
      let text = '';
      const sink = new Writable({
        write: (chunk, _enc, done) => {
          text += String(chunk);
          done();
        },
      });
      await checkImages(entries, { progress: sink });
      expect(text).toContain('check-images: 6/6 done');
    });

    it('lists the images of a cocotalk.json or Karpathy file under an images root', async () => {
      const cocotalk = join(dir, 'cocotalk.json');
      writeFileSync(
        cocotalk,
        JSON.stringify({ ix_to_word: {}, images: [{ id: 5, split: 'val', file_path: 'val2014/x.jpg' }] }),
      );
      expect(await imageEntriesFromJson(cocotalk, '/data')).toEqual([{ id: 5, path: '/data/val2014/x.jpg' }]);
      const karpathy = join(dir, 'dataset.json');
      writeFileSync(
        karpathy,
        JSON.stringify({
          images: [{ filepath: 'val2014', filename: 'y.jpg', cocoid: 6, split: 'test', sentences: [] }],
        }),
      );
      expect(await imageEntriesFromJson(karpathy, '/data')).toEqual([{ id: 6, path: '/data/val2014/y.jpg' }]);
    });

    it('refuses a listed path that leads outside the images root, naming the image id and the field', async () => {
      const escaping = [
        { images: [{ filepath: 'val2014', filename: '../../secret.jpg', cocoid: 7, split: 'test', sentences: [] }] },
        { images: [{ filepath: '../outside', filename: 'z.jpg', imgid: 8, split: 'test', sentences: [] }] },
        { images: [{ id: 9, split: 'val', file_path: '/etc/passwd' }] },
      ];
      const fields = ['images[0].filename', 'images[0].filepath', 'images[0].file_path'];
      for (const [i, json] of escaping.entries()) {
        const file = join(dir, `escaping-${i}.json`);
        writeFileSync(file, JSON.stringify(json));
        const error = await imageEntriesFromJson(file, join(dir, 'root')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(
          new RegExp(
            `^file ${file}, image id ${7 + i}, field "${fields[i]?.replace(/[[\].]/g, '\\$&')}": .* leads outside the images root`,
          ),
        );
      }
    });

    it('reports a JPEG with bytes overwritten mid-file (it decodes, with a libvips warning) in one line', async () => {
      const jpeg = readFileSync(data.path('images/val2014/COCO_val2014_000000000139.jpg'));
      const damaged = Buffer.from(jpeg);
      let state = 12345; // a fixed byte pattern (LCG), 1 KB in the middle of the entropy-coded data
      const start = Math.floor(damaged.length / 2);
      for (let i = 0; i < 1024; i++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        damaged[start + i] = state >>> 24;
      }
      writeFileSync(join(dir, 'overwritten.jpg'), damaged);
      const report = await checkImages([
        { id: 1, path: join(dir, 'good1.jpg') },
        { id: 2, path: join(dir, 'overwritten.jpg') },
      ]);
      expect(report.ok).toBe(1);
      expect(report.problems.map((p) => [p.id, p.kind])).toEqual([[2, 'warning']]);
      expect(report.problems[0]?.message).toMatch(
        /^decodes only with warnings, its data is corrupt \(.*Corrupt JPEG data/,
      );
      expect(report.problems[0]?.message).not.toContain('\n');
    });
  },
);
