/**
 * CLIP BPE parity with openai/CLIP's `SimpleTokenizer` (+ ftfy 6.3.1) on `clip-bpe.json` of the clipcap-reference
 * folder: 30 real COCO captions and 12 hand-written edge cases; the vocabulary is CLIP's own file
 * (`../shared/data/tokenizers/clip/`).
 */
import { describeWithShared, sharedData } from '@caption/test-support';
import { expect, it } from 'vitest';
import { describeWithReference } from '../clipcap-reference.test-util';
import { ClipTokenizer, TokenizerError } from './clip-bpe';
import { fixText } from './fix-text';

interface Entry {
  text: string;
  ftfy_fix_text: string;
  cleaned: string;
  pre_tokens: string[];
  bpe_tokens: string[];
  ids: number[];
  decoded: string;
}

const VOCAB = 'tokenizers/clip/bpe_simple_vocab_16e6.txt.gz';

describeWithShared('CLIP BPE tokenizer', [VOCAB], () => {
  const tokenizer = ClipTokenizer.fromFile(sharedData().path(VOCAB));

  it("has CLIP's ids: 49,408 tokens, SOT 49406, EOT 49407", () => {
    expect([tokenizer.vocabSize, tokenizer.sotId, tokenizer.eotId]).toEqual([49408, 49406, 49407]);
  });

  describeWithReference("ids of every sentence of clip-bpe.json equal SimpleTokenizer's", ['clip-bpe.json'], (ref) => {
    const json = ref.json<{ entries: Entry[]; sot_id: number; eot_id: number }>('clip-bpe.json');
    it(`${json.entries.length} entries: ftfy, cleaning, pieces, BPE strings, ids, decoded text`, () => {
      expect(json.entries.length).toBeGreaterThanOrEqual(42);
      for (const e of json.entries) {
        const label = JSON.stringify(e.text);
        expect(fixText(e.text), `ftfy ${label}`).toBe(e.ftfy_fix_text);
        expect(tokenizer.clean(e.text), `cleaned ${label}`).toBe(e.cleaned);
        expect(tokenizer.preTokenize(e.cleaned), `pieces ${label}`).toEqual(e.pre_tokens);
        expect(tokenizer.bpeTokens(e.text), `bpe ${label}`).toEqual(e.bpe_tokens);
        const ids = [...tokenizer.tokenize([e.text], { contextLength: e.ids.length })];
        expect(ids, `ids ${label}`).toEqual(e.ids);
        expect(tokenizer.decode(e.ids.slice(1, -1)), `decoded ${label}`).toBe(e.decoded);
      }
    });
  });

  it('tokenize pads with zeros, and a text past the context is an error unless truncated (last id EOT)', () => {
    const rows = tokenizer.tokenize(['a dog', 'a cat on a mat'], { contextLength: 8 });
    expect([...rows.subarray(0, 8)]).toEqual([49406, 320, 1929, 49407, 0, 0, 0, 0]);
    expect(() => tokenizer.tokenize(['one two three four five six seven'], { contextLength: 5 })).toThrow(
      TokenizerError,
    );
    const cut = tokenizer.tokenize(['one two three four five six seven'], { contextLength: 5, truncate: true });
    expect(cut[0]).toBe(49406);
    expect(cut[4]).toBe(49407);
  });

  it('a file that is not the vocabulary is a TokenizerError naming it', () => {
    expect(() => new ClipTokenizer('header\na b\n', 'vocab.txt')).toThrow(/vocab\.txt: expected 48894 merges/);
    expect(() => ClipTokenizer.fromFile('/nonexistent/bpe.txt.gz')).toThrow(/\/nonexistent\/bpe\.txt\.gz/);
  });
});
