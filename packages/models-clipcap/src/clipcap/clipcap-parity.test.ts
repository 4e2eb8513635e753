import { expect, it } from 'vitest';
import { describeWithReference } from '../clipcap-reference.test-util';
import { generationParityResults, mapperParityResults } from './clipcap-parity.test-util';

const FILES = ['mapper.json', 'mapper.safetensors', 'gpt2-tiny.json', 'gpt2-tiny.safetensors'];

describeWithReference('ClipCap parity with the reference folder', FILES, (ref) => {
  it('both mappers: prefixes, full logits, losses (ClipCap ignore_index 0, both epoch masks; our padding) and every gradient', () => {
    const results = mapperParityResults(ref);
    expect(results.length).toBeGreaterThanOrEqual(2 * 6);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('generate2 and generate_beam ids, without and with a stop token, with the KV cache and with full re-runs', () => {
    const results = generationParityResults(ref);
    expect(results).toHaveLength(16);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });
});
