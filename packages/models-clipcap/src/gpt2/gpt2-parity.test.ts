import { expect, it } from 'vitest';
import { describeWithReference } from '../clipcap-reference.test-util';
import { gpt2ParityResults } from './gpt2-parity.test-util';

describeWithReference(
  'GPT-2 parity with the reference folder',
  ['gpt2-tiny.json', 'gpt2-tiny.safetensors', 'gpt2-tiny-io.safetensors'],
  (ref) => {
    it('logits (plain, with prefix, masked), every hidden state, gelu_new, greedy ids and step logits (cached and uncached)', () => {
      const results = gpt2ParityResults(ref);
      expect(results.length).toBeGreaterThanOrEqual(12);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    });
  },
);
