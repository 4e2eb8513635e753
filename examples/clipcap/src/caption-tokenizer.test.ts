import { describe, expect, it } from 'vitest';
import { buildCaptionTokenizer, captionTokenizerFromSpec, encodeCaptionRows } from './caption-tokenizer';

const english = ['A red circle to the left of a blue square.', 'Two shapes: a green star and a small disc.'];

describe('caption tokenizers', () => {
  it('English: GPT-2 BPE restricted to the training tokens, end-of-text the largest id, text round trip', async () => {
    const tokenizer = await buildCaptionTokenizer('en', english);
    const ids = tokenizer.encode(english[0] as string);
    expect(Math.max(...ids)).toBeLessThan(tokenizer.vocabularySize - 2);
    expect(tokenizer.endOfText).toBe(tokenizer.vocabularySize - 1);
    expect(tokenizer.captionText([...ids, tokenizer.endOfText, 3, 4])).toBe(english[0]);
    // a word no training caption has is <unk> (id vocabularySize − 2), dropped from the text
    const unknown = tokenizer.encode('A purple hexagon.');
    expect(unknown).toContain(tokenizer.vocabularySize - 2);
    expect(tokenizer.captionText(unknown)).not.toContain('hexagon');
    const rebuilt = await captionTokenizerFromSpec(JSON.parse(JSON.stringify(tokenizer.spec)));
    expect(rebuilt.encode(english[1] as string)).toEqual(tokenizer.encode(english[1] as string));
    expect(rebuilt.vocabularySize).toBe(tokenizer.vocabularySize);
  });

  it("English 'full': GPT-2's own ids (50,257, <|endoftext|> = 50256)", async () => {
    const tokenizer = await buildCaptionTokenizer('en', english, 'full');
    expect(tokenizer.vocabularySize).toBe(50257);
    expect(tokenizer.endOfText).toBe(50256);
    expect(tokenizer.encode('A man riding a wave.')).toEqual([32, 582, 10311, 257, 6769, 13]);
  });

  it('Chinese: jieba words of the training captions, <eos> ends a caption, spec round trip', async () => {
    const captions = ['红色的圆在蓝色正方形的左边', '一个小的红色正方形'];
    const tokenizer = await buildCaptionTokenizer('zh', captions);
    expect(tokenizer.endOfText).toBe(0);
    const ids = tokenizer.encode(captions[0] as string);
    expect(tokenizer.captionText([...ids, 0])).toBe(captions[0]);
    const rebuilt = await captionTokenizerFromSpec(JSON.parse(JSON.stringify(tokenizer.spec)));
    expect(rebuilt.encode(captions[1] as string)).toEqual(tokenizer.encode(captions[1] as string));
  });

  it('encodeCaptionRows ends every row with end-of-text, also a cut one', async () => {
    const tokenizer = await buildCaptionTokenizer('en', english);
    const width = 6;
    const rows = encodeCaptionRows(tokenizer, ['A red circle.', english[1] as string], width, -1);
    const first = [...rows.subarray(0, width)];
    const second = [...rows.subarray(width)];
    expect(first.slice(0, 4)).toEqual([...tokenizer.encode('A red circle.'), tokenizer.endOfText].slice(0, 4));
    expect(first.slice(first.indexOf(tokenizer.endOfText) + 1).every((v) => v === -1)).toBe(true);
    expect(second[width - 1]).toBe(tokenizer.endOfText);
    expect(second.slice(0, width - 1)).toEqual(tokenizer.encode(english[1] as string).slice(0, width - 1));
  });
});
