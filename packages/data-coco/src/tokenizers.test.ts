import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describeWithShared } from '@caption/test-support';
import { describe, expect, it } from 'vitest';
import {
  JIEBA_LIBRARY,
  createTokenizer,
  jiebaSegment,
  parseTokenizerSpec,
  readCaptionLines,
  replaceCaptions,
} from './tokenizers.js';
import { readFixtureJson } from './test-fixtures.js';
import { parseKarpathyDataset } from './karpathy.js';

describe('Chinese tokenization', () => {
  it("segments like Python jieba 0.42.1's jieba.cut(s, cut_all=False) on 1,130 real Flickr8k-CN and COCO-CN sentences", async () => {
    // fixtures/jieba-tokens.json: every 40th sentence of both files, tokens made by Debian's python3-jieba
    const fixture = readFixtureJson<{ sentences: Array<[string, string[]]> }>('jieba-tokens.json');
    expect(fixture.sentences.length).toBe(1130);
    for (const [sentence, tokens] of fixture.sentences) expect(await jiebaSegment(sentence)).toEqual(tokens);
  });

  it('drops whitespace and (unless kept) punctuation pieces; char mode splits per character', async () => {
    const jieba = await createTokenizer({ kind: 'jieba', library: JIEBA_LIBRARY, keepPunctuation: false });
    const segmented = await jiebaSegment('一对恋人在公园河边拥抱。');
    expect(jieba('一对恋人在公园河边拥抱。')).toEqual(segmented.filter((t) => t !== '。'));
    const keep = await createTokenizer({ kind: 'jieba', library: JIEBA_LIBRARY, keepPunctuation: true });
    expect(keep('一对恋人 拥抱。')).toEqual((await jiebaSegment('一对恋人 拥抱。')).filter((t) => t.trim() !== ''));
    const chars = await createTokenizer({ kind: 'char', keepPunctuation: false });
    expect(chars('马场 一匹马，火堆。')).toEqual(['马', '场', '一', '匹', '马', '火', '堆']);
    const given = await createTokenizer({ kind: 'given' });
    expect(given(' a  dog\truns ')).toEqual(['a', 'dog', 'runs']);
  });

  it('records the pinned jieba-wasm version and parses tokenizer records', () => {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(
      readFileSync(join(dirname(require.resolve('jieba-wasm')), '..', '..', 'package.json'), 'utf8'),
    ) as { version: string };
    expect(JIEBA_LIBRARY).toBe(`jieba-wasm@${pkg.version}`);
    expect(parseTokenizerSpec({ kind: 'char', keepPunctuation: true })).toEqual({
      kind: 'char',
      keepPunctuation: true,
    });
    expect(() => parseTokenizerSpec({ kind: 'bpe' }, 'v.json')).toThrow(/file v\.json, field "tokenizer"/);
  });
});

describeWithShared(
  'Chinese caption files',
  ['flickr8k-cn/flickr8kzhc.caption.txt.gz', 'coco-cn/coco-cn_ext.icap2020.txt.gz'],
  (data) => {
    it('reads Flickr8k-CN and COCO-CN caption lines by image, and swaps them into a Karpathy data set', async () => {
      const zhc = await readCaptionLines(data.path('flickr8k-cn/flickr8kzhc.caption.txt.gz'));
      expect([...zhc.values()].reduce((n, l) => n + l.length, 0)).toBe(40455);
      expect(zhc.get('667626_18933d713e.jpg')?.[0]).toBe('一个穿着泳装的女人躺在海水里。');
      const cn = await readCaptionLines(data.path('coco-cn/coco-cn_ext.icap2020.txt.gz'));
      expect([...cn.values()].reduce((n, l) => n + l.length, 0)).toBe(4712);
      expect(cn.size).toBe(4573);
      const en = parseKarpathyDataset({
        images: [
          { split: 'train', filename: '667626_18933d713e.jpg', imgid: 0, sentences: [{ tokens: ['a'] }] },
          { split: 'val', filename: 'unknown.jpg', imgid: 1, sentences: [{ tokens: ['b'] }] },
        ],
      });
      const tokenize = await createTokenizer({ kind: 'jieba', library: JIEBA_LIBRARY, keepPunctuation: false });
      const swapped = replaceCaptions(en, zhc, tokenize);
      expect(swapped.images).toHaveLength(1);
      expect(swapped.images[0]?.sentences[0]?.tokens).toEqual(tokenize('一个穿着泳装的女人躺在海水里。'));
    });
  },
);
