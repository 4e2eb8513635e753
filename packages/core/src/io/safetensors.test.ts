import { describe, expect, it } from 'vitest';
import { describeWithShared } from '@caption/test-support';
import { parseSafetensors, serializeSafetensors, SafetensorsError } from './safetensors';

describe('safetensors', () => {
  it('round-trips tensors of several dtypes bit for bit, header padded to 8', () => {
    const a = new Float32Array([1.5, -2, Math.PI, 0]);
    const b = new Int32Array([7, -9, 2147483647]);
    const c = new Uint8Array([1, 0, 1]);
    const bytes = serializeSafetensors(
      { a: { data: a, shape: [2, 2] }, b: { data: b, shape: [3] }, c: { data: c, shape: [3], dtype: 'BOOL' } },
      { format: 'pt' },
    );
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect([...parsed.tensors.keys()]).toEqual(['a', 'b', 'c']);
    expect(parsed.tensors.get('a')).toEqual({ dtype: 'F32', shape: [2, 2], data: a });
    expect(parsed.tensors.get('b')?.data).toEqual(b);
    expect(parsed.tensors.get('c')?.dtype).toBe('BOOL');
    // contiguous data, as the official reader requires
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<
      string,
      { data_offsets: number[] }
    >;
    expect(header.a?.data_offsets).toEqual([0, 16]);
    expect(header.b?.data_offsets).toEqual([16, 28]);
    expect(header.c?.data_offsets).toEqual([28, 31]);
  });

  it('rejects a shape that does not match the data, and a truncated file', () => {
    expect(() => serializeSafetensors({ x: { data: new Float32Array(3), shape: [2, 2] } })).toThrow(SafetensorsError);
    const ok = serializeSafetensors({ x: { data: new Float32Array(4), shape: [4] } });
    expect(() => parseSafetensors(ok.subarray(0, ok.length - 2), 'cut.safetensors')).toThrow(/cut.safetensors/);
  });
});

describeWithShared(
  'safetensors: PyTorch-written reference file',
  ['aoanet-reference/model-small.safetensors'],
  (data) => {
    it('reads the AoANet reference weights and writes them back identically', () => {
      const bytes = data.readBytes('aoanet-reference/model-small.safetensors');
      const parsed = parseSafetensors(bytes);
      expect(parsed.tensors.get('embed.0.weight')?.shape).toEqual([41, 32]);
      let params = 0;
      for (const t of parsed.tensors.values()) params += t.data.length;
      expect(params).toBe(67817);
      const again = parseSafetensors(serializeSafetensors(parsed.tensors, parsed.metadata));
      for (const [name, t] of parsed.tensors) expect(again.tensors.get(name)).toEqual(t);
    });
  },
);
