import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError } from './errors.js';
import {
  decodeNpy,
  decodeNpz,
  encodeNpy,
  encodeNpz,
  float16ToFloat32,
  readNpyHeader,
  readNpz,
  readNpzHeader,
  toFloat16Bits,
} from './npy.js';
import { fixturePath, readFixtureJson } from './test-fixtures.js';

type Expected = Record<string, Record<string, { shape: number[]; dtype: string; values: number[] }>>;

for (const folder of ['npy', 'npy-numpy2']) {
  const expected = readFixtureJson<Expected & { numpy_version: string }>(folder, 'expected.json');
  describe(`arrays written by numpy ${expected.numpy_version as unknown as string} (fixtures/${folder})`, () => {
    for (const [name, members] of Object.entries(expected)) {
      if (name === 'numpy_version') continue;
      it(`reads ${name}`, () => {
        const bytes = new Uint8Array(readFileSync(fixturePath(folder, name)));
        const arrays = name.endsWith('.npz') ? decodeNpz(bytes, name) : new Map([['feat', decodeNpy(bytes, name)]]);
        expect([...arrays.keys()].sort()).toEqual(Object.keys(members).sort());
        for (const [key, want] of Object.entries(members)) {
          const got = arrays.get(key);
          expect(got?.shape).toEqual(want.shape);
          expect(got?.dtype).toBe(want.dtype);
          expect(Array.from(got?.data ?? [])).toEqual(want.values);
        }
      });
    }

    it('reads shapes from headers only (npy, stored npz, deflated npz)', async () => {
      expect(await readNpyHeader(fixturePath(folder, 'f32_3x4.npy'))).toEqual({ shape: [3, 4], dtype: 'float32' });
      expect(await readNpzHeader(fixturePath(folder, 'stored.npz'))).toEqual({ shape: [4, 6], dtype: 'float32' });
      expect(await readNpzHeader(fixturePath(folder, 'deflated-f16.npz'))).toEqual({ shape: [5, 8], dtype: 'float16' });
      expect(await readNpzHeader(fixturePath(folder, 'key-z.npz'))).toEqual({ shape: [2, 2, 3], dtype: 'float32' });
      expect((await readNpz(fixturePath(folder, 'key-z.npz'))).shape).toEqual([2, 2, 3]);
      // the file reader (zlib inflating off the main thread) agrees with the in-memory decoder
      for (const name of ['stored.npz', 'deflated-f16.npz']) {
        const whole = decodeNpz(new Uint8Array(readFileSync(fixturePath(folder, name))));
        expect(await readNpz(fixturePath(folder, name))).toEqual(whole.get('feat'));
      }
    });
  });
}

describe('float16', () => {
  it('rounds float32 to float16 exactly as numpy astype(float16) (ties to even, subnormals, overflow)', () => {
    const fx = readFixtureJson<{ float32_bits: number[]; float16_bits: number[] }>('float16-rounding.json');
    const f32 = new Float32Array(new Uint32Array(fx.float32_bits).buffer);
    const got = Array.from(f32, (v) => toFloat16Bits(v));
    expect(got).toEqual(fx.float16_bits);
  });

  it('expands every finite float16 back to the value it rounds from', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const values = float16ToFloat32(all);
    for (let h = 0; h < 65536; h += 1) {
      const exp = (h >> 10) & 0x1f;
      if (exp === 0x1f && (h & 0x3ff) !== 0) expect(Number.isNaN(values[h])).toBe(true);
      else expect(toFloat16Bits(values[h] as number)).toBe(h);
    }
  });
});

describe('npy/npz writing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'data-coco-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips float32, float16 and integer arrays through npy and stored/deflated npz', () => {
    const data = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i) * 100);
    const a = { data, shape: [2, 3, 4] };
    expect(Array.from(decodeNpy(encodeNpy(a)).data)).toEqual(Array.from(data));
    const half = decodeNpy(encodeNpy(a, { dtype: 'float16' }));
    expect(half.dtype).toBe('float16');
    expect(Array.from(half.data)).toEqual(
      Array.from(float16ToFloat32(Uint16Array.from(data, (v) => toFloat16Bits(v)))),
    );
    const ints = decodeNpy(encodeNpy({ data: [1, 2, 3], shape: [3] }, { dtype: 'int32' }));
    expect(ints.data).toBeInstanceOf(Int32Array);
    for (const compress of [true, false]) {
      const npz = decodeNpz(encodeNpz({ feat: a, other: { data: [5], shape: [1] } }, { compress }));
      expect(npz.get('feat')?.shape).toEqual([2, 3, 4]);
      expect(Array.from(npz.get('feat')?.data ?? [])).toEqual(Array.from(data));
    }
  });

  it('reports a wrong data size, a bad magic and a missing member with the file name', async () => {
    const bytes = encodeNpy({ data: new Float32Array(6), shape: [6] });
    expect(() => decodeNpy(bytes.subarray(0, bytes.length - 4), 'a.npy')).toThrow(
      /file a\.npy, field "data": data has 20 bytes, expected 24/,
    );
    expect(() => decodeNpy(new Uint8Array(20), 'b.npy')).toThrow(DataFormatError);
    const path = join(dir, 'x.npz');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, encodeNpz({ other: { data: [1], shape: [1] } }));
    await expect(readNpz(path)).rejects.toThrow(/field "feat": member "feat.npy" not found/);
    await expect(readNpzHeader(path)).rejects.toThrow(/field "feat": member "feat.npy" not found/);
    // a deflate stream broken at its first byte (block type 11, reserved) is reported as such, not as a missing member
    const corrupt = encodeNpz({ feat: { data: new Float32Array(400), shape: [4, 100] } });
    corrupt[30 + 'feat.npy'.length] = 0xff;
    writeFileSync(path, corrupt);
    await expect(readNpzHeader(path)).rejects.toThrow(
      /x\.npz, field "feat": not a readable \.npz \(zip\) archive \(invalid block type\)/,
    );
    await expect(readNpz(path)).rejects.toThrow(/x\.npz.*not a readable \.npz \(zip\) archive/);
  });

  it('readNpyHeader (what preflight checks) finds a file shorter than its header says, reading the header only', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = join(dir, 'cut.npy');
    const whole = encodeNpy({ data: new Float32Array(2048), shape: [2048] });
    writeFileSync(path, whole);
    expect(await readNpyHeader(path)).toEqual({ shape: [2048], dtype: 'float32' });
    writeFileSync(path, whole.subarray(0, whole.length - 1000));
    await expect(readNpyHeader(path)).rejects.toThrow(
      /cut\.npy, field "data": data has 7192 bytes, expected 8192 for shape \[2048\] float32 \(truncated\?\)/,
    );
  });
});
