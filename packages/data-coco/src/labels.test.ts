import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithShared } from '@caption/test-support';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { DataWriteError } from './errors.js';
import { type CaptionLabels, encodeCaptions, readLabelsH5, validateLabels, writeLabelsH5 } from './labels.js';
import { fixturePath, readFixtureJson } from './test-fixtures.js';
import { Vocabulary } from './vocabulary.js';

const dir = mkdtempSync(join(tmpdir(), 'data-coco-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The datasets' layout as HDF5 stores it, read through h5wasm's own API (independent of our reader). */
async function layout(path: string): Promise<Record<string, unknown>> {
  const h5wasm = (await import('h5wasm/node')).default;
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  const out: Record<string, unknown> = {};
  for (const key of f.keys()) {
    const d = f.get(key) as InstanceType<typeof h5wasm.Dataset>;
    const m = d.metadata;
    out[key] = {
      shape: d.shape,
      dtype: d.dtype,
      chunks: m.chunks,
      signed: m.signed,
      size: m.size,
      attrs: Object.keys(d.attrs),
    };
  }
  f.close();
  return out;
}

describe('cocotalk_label.h5', () => {
  it('reads a file written by h5py exactly as prepro_labels.py writes it', async () => {
    const want = readFixtureJson<Record<string, number[] | number[][]>>('labels-h5py.json');
    const got = await readLabelsH5(fixturePath('labels-h5py.h5'));
    expect(got.count).toBe(6);
    expect(got.seqLength).toBe(5);
    expect(Array.from(got.labels)).toEqual((want.labels as number[][]).flat());
    expect(Array.from(got.labelStartIx)).toEqual(want.label_start_ix);
    expect(Array.from(got.labelEndIx)).toEqual(want.label_end_ix);
    expect(Array.from(got.labelLength)).toEqual(want.label_length);
  });

  it('writes the reference layout (same datasets, dtypes, shapes, storage as the h5py file) and reads it back identically', async () => {
    const ours = await readLabelsH5(fixturePath('labels-h5py.h5'));
    const path = join(dir, 'ours_label.h5');
    await writeLabelsH5(path, ours);
    expect(await readLabelsH5(path)).toEqual(ours);
    expect(await layout(path)).toEqual(await layout(fixturePath('labels-h5py.h5')));
  });

  it('encodes captions like encode_captions: 1-based inclusive ranges, clipping, zero padding, UNK', () => {
    const vocab = new Vocabulary(['a', 'dog', 'UNK']);
    const labels = encodeCaptions(
      [
        [
          ['a', 'dog'],
          ['a', 'cat', 'a', 'dog'],
        ],
        [['dog']],
      ],
      vocab,
      3,
    );
    expect(Array.from(labels.labels)).toEqual([1, 2, 0, 1, 3, 1, 2, 0, 0]);
    expect(Array.from(labels.labelStartIx)).toEqual([1, 3]);
    expect(Array.from(labels.labelEndIx)).toEqual([2, 3]);
    expect(Array.from(labels.labelLength)).toEqual([2, 3, 1]);
  });

  it('rejects inconsistent labels, naming the dataset', () => {
    const bad: CaptionLabels = {
      labels: new Uint32Array(4),
      count: 2,
      seqLength: 2,
      labelStartIx: Uint32Array.of(1),
      labelEndIx: Uint32Array.of(3),
      labelLength: Uint32Array.of(1, 1),
    };
    expect(() => validateLabels(bad, 'x.h5')).toThrow(
      /file x\.h5, field "label_end_ix": image index 0: 3 is outside 1\.\.2/,
    );
    const emptyCaption = { ...bad, labelEndIx: Uint32Array.of(2), labelLength: Uint32Array.of(1, 0) };
    expect(() => validateLabels(emptyCaption, 'x.h5')).toThrow(
      /file x\.h5, field "label_length": row 2: 0 is outside 1\.\.2/,
    );
    expect(() => validateLabels({ ...emptyCaption, labelLength: Uint32Array.of(3, 1) }, 'x.h5')).toThrow(
      /row 1: 3 is outside 1\.\.2/,
    );
    expect(() => validateLabels({ ...emptyCaption, labelLength: Uint32Array.of(2, 1) })).not.toThrow();
  });

  it('names a truncated file as such, in one line, without printing HDF5 diagnostics', async () => {
    const labels = encodeCaptions(
      [[['a', 'dog']], [['a', 'cat', 'sits'], ['cat']]],
      new Vocabulary(['a', 'dog', 'cat', 'sits']),
      16,
    );
    const whole = join(dir, 'whole.h5');
    await writeLabelsH5(whole, labels);
    const bytes = readFileSync(whole);
    const stderrWrites = vi.spyOn(fs, 'writeSync');
    try {
      for (const keep of [bytes.length - 8, Math.floor(bytes.length / 2), 60, 20]) {
        const cut = join(dir, `cut-${keep}.h5`);
        writeFileSync(cut, bytes.subarray(0, keep));
        await expect(readLabelsH5(cut)).rejects.toThrow(
          new RegExp(`^file ${cut}: not a complete HDF5 file \\(${keep} bytes[^\\n]*; truncated\\?\\)$`),
        );
      }
      expect(stderrWrites.mock.calls.filter(([fd]) => fd === 2)).toEqual([]);
    } finally {
      stderrWrites.mockRestore();
    }
  });

  it('writes through a temporary file: no file under the name when the write fails, "cannot write FILE: reason"', async () => {
    const labels = encodeCaptions([[['a']]], new Vocabulary(['a']), 4);
    const folder = join(dir, 'a-folder.h5');
    mkdirSync(folder);
    await expect(writeLabelsH5(folder, labels)).rejects.toThrow(`cannot write ${folder}: it is a directory (EISDIR)`);
    const blocked = join(dir, 'a-file', 'labels.h5');
    writeFileSync(join(dir, 'a-file'), 'x');
    await expect(writeLabelsH5(blocked, labels)).rejects.toThrow(DataWriteError);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('names the file when it is missing or not HDF5', async () => {
    await expect(readLabelsH5(join(dir, 'nope.h5'))).rejects.toThrow(/nope\.h5: file not found/);
    await expect(readLabelsH5(fixturePath('xoshiro128.json'))).rejects.toThrow(/xoshiro128\.json: not an HDF5 file/);
  });
});

describeWithShared(
  'cocotalk_label.h5 made by ImageCaptioning.pytorch (UCM)',
  ['ucm-captions-prepro/cocotalk_label.h5'],
  (data) => {
    it('has the layout our writer produces', async () => {
      const ref = data.path('ucm-captions-prepro/cocotalk_label.h5');
      const labels = await readLabelsH5(ref);
      const path = join(dir, 'ucm_label.h5');
      await writeLabelsH5(path, labels);
      expect(await layout(path)).toEqual(await layout(ref));
    });
  },
);
