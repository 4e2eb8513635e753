/**
 * AoANet's options come from the model's schema: each one is a train option (flag, config key, reference
 * spelling) with the schema's range, and defaults to `opts.py`'s value where the schema records one, else to
 * the schema's (`train.sh`'s).
 */
import { AOA_MODEL_OPTIONS, TRAIN_SH_MODEL_OPTIONS } from '@caption/models-aoa';
import { describe, expect, it } from 'vitest';
import { ExampleOptionsError } from './errors';
import { TRAIN_OPTIONS, trainOptionParser } from './options';

describe("train options from AoANet's schema", () => {
  it('has every model option of the schema (vocabSize comes from the data)', () => {
    const modelOptions = Object.keys(AOA_MODEL_OPTIONS.shape).filter((k) => k !== 'vocabSize');
    expect(modelOptions.filter((k) => !(k in TRAIN_OPTIONS))).toEqual([]);
  });

  it("defaults to opts.py's value where the schema records it, else to train.sh's", () => {
    const { values } = trainOptionParser.parse({ argv: [] });
    const table = values as unknown as Record<string, unknown>;
    for (const [key, field] of Object.entries(AOA_MODEL_OPTIONS.shape)) {
      const optsPy = (field.meta() as { optsPy?: number } | undefined)?.optsPy;
      if (optsPy !== undefined) expect(table[key], key).toBe(optsPy);
    }
    expect(values.outRes).toBe(TRAIN_SH_MODEL_OPTIONS.outRes ? 1 : 0);
    expect(values.decoderType).toBe(TRAIN_SH_MODEL_OPTIONS.decoderType);
  });

  it('takes the flags in both spellings and refuses values outside the schema', () => {
    const { values } = trainOptionParser.parse({ argv: ['--out-res', '1', '--decoder_type', 'LSTM'] });
    expect(values.outRes).toBe(1);
    expect(values.decoderType).toBe('LSTM');
    expect(() => trainOptionParser.parse({ argv: ['--dropout-aoa', '1'] })).toThrow(ExampleOptionsError);
    expect(() => trainOptionParser.parse({ argv: ['--decoder-type', 'GRU'] })).toThrow(/decoderType/);
  });
});
