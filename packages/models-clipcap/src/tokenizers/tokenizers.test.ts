import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import { gpt2ConfigFromHuggingFace } from '../gpt2/config';
import { BertWordPieceTokenizer } from './bert-chinese';
import { GPT2BPETokenizer } from './gpt2-bpe';
import { JiebaWordTokenizer } from './jieba-words';
import { assertTokenizerFitsModel, encodeCaptions, TokenizerVocabularyError } from './text-tokenizer';

describe('GPT-2 BPE (js-tiktoken r50k_base)', () => {
  const tokenizer = new GPT2BPETokenizer();
  it('gives GPT-2 ids: "Hello world", ClipCap\'s stop token, <|endoftext|>', () => {
    expect(tokenizer.vocabularySize).toBe(50257);
    expect(tokenizer.encode('Hello world')).toEqual([15496, 995]);
    expect(tokenizer.encode('.')).toEqual([13]);
    expect(tokenizer.encode('a man <|endoftext|> x')).toEqual([64, 582, 220, 50256, 2124]);
    const caption = 'A man riding a wave on top of a surfboard, café & 中文.';
    expect(tokenizer.decode(tokenizer.encode(caption))).toBe(caption);
  });

  it("a tokenizer whose vocabulary is not the model's is a TokenizerVocabularyError naming both sizes", () => {
    expect(() => assertTokenizerFitsModel(tokenizer, 50257)).not.toThrow();
    expect(() => assertTokenizerFitsModel(tokenizer, 21128)).toThrow(TokenizerVocabularyError);
    expect(() => encodeCaptions(tokenizer, ['a dog'], { vocabSize: 100, maxLength: 4 })).toThrow(
      /gpt2-bpe .* has 50257 ids but the model's vocabulary has 100/,
    );
    expect([
      ...encodeCaptions(tokenizer, ['Hello world', 'Hello world, hello world'], {
        vocabSize: 50257,
        maxLength: 3,
        endToken: 13,
      }),
    ]).toEqual([15496, 995, 13, 15496, 995, 11]);
    expect([...encodeCaptions(tokenizer, ['.'], { vocabSize: 50257, maxLength: 3 })]).toEqual([13, -1, -1]);
  });
});

describeWithShared(
  'BERT WordPiece on the bert-base-chinese vocabulary',
  ['tokenizers/bert-base-chinese/vocab.txt', 'tokenizers/bert-base-chinese/clipcap-chinese-gpt2.config.json'],
  (data) => {
    const path = data.path('tokenizers/bert-base-chinese/vocab.txt');
    const lines = data.readText('tokenizers/bert-base-chinese/vocab.txt').split('\n');
    const id = (token: string) => lines.indexOf(token);

    it('one id per Chinese character (the line number), English words lower-cased and split into WordPieces', () => {
      const tokenizer = BertWordPieceTokenizer.fromFile(path);
      expect(tokenizer.vocabularySize).toBe(21128);
      expect([tokenizer.padId, tokenizer.unkId, tokenizer.clsId, tokenizer.sepId]).toEqual([0, 100, 101, 102]);
      expect(tokenizer.encode('一个男人在海边。')).toEqual([...'一个男人在海边。'].map(id));
      expect(lines.includes('dogs')).toBe(false);
      expect(tokenizer.basicTokens('The  Dogs,\tcafé!')).toEqual(['the', 'dogs', ',', 'cafe', '!']);
      expect(tokenizer.encode('The Dogs')).toEqual([id('the'), id('dog'), id('##s')]);
      expect(tokenizer.encode('[CLS] 狗 😀')).toEqual([101, id('狗'), 100]);
      expect(tokenizer.decode(tokenizer.encode('一个男人 the dogs'))).toBe('一个男人 the dogs');
    });

    it('fits the Chinese GPT-2 of ClipCap-Chinese (its HF config.json read: vocab_size 21128) and not GPT-2 English', () => {
      const tokenizer = BertWordPieceTokenizer.fromFile(path);
      const hf = data.readJson<Record<string, unknown>>(
        'tokenizers/bert-base-chinese/clipcap-chinese-gpt2.config.json',
      );
      const config = gpt2ConfigFromHuggingFace(hf, 'clipcap-chinese-gpt2.config.json');
      expect(config).toMatchObject({ vocabSize: 21128, nPositions: 1024, nEmbd: 768, nLayer: 12, nHead: 12 });
      expect(() => assertTokenizerFitsModel(tokenizer, config.vocabSize)).not.toThrow();
      expect(() => assertTokenizerFitsModel(tokenizer, 50257)).toThrow(
        /has 21128 ids but the model's vocabulary has 50257/,
      );
      expect(() => new BertWordPieceTokenizer(['a', 'b'])).toThrow(/no \[UNK\] token/);
    });
  },
);

describeWithShared('jieba words', ['zh-expected/jieba_segmentation.json'], (data) => {
  it('segments as Python jieba 0.42.1 on the 200 sampled real captions, and builds a frequency-ordered vocabulary', async () => {
    const sample = data.readJson<{ sample: Array<{ raw: string; jieba_raw: string[] }> }>(
      'zh-expected/jieba_segmentation.json',
    ).sample;
    const tokenizer = await JiebaWordTokenizer.fromCaptions(
      sample.map((s) => s.raw),
      { keepPunctuation: true },
    );
    for (const s of sample) expect(tokenizer.segment(s.raw)).toEqual(s.jieba_raw.filter((w) => w.trim() !== ''));
    expect(tokenizer.words.slice(0, 2)).toEqual(['<eos>', '<unk>']);
    const counts = new Map<string, number>();
    for (const s of sample) for (const w of s.jieba_raw) if (w.trim() !== '') counts.set(w, (counts.get(w) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    expect(tokenizer.words[2]).toBe(top);
    const words = await JiebaWordTokenizer.fromCaptions(['一个男人在海边', '一个女人在海边'], { minCount: 2 });
    expect(words.words).toEqual(['<eos>', '<unk>', '一个', '在', '海边']);
    expect(words.encode('一个男人在海边。')).toEqual([2, 1, 3, 4]);
    expect(words.decode([2, 3, 4])).toBe('一个在海边');
  });
});
