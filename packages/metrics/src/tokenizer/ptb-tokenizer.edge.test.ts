import { describe, expect, it } from 'vitest';
import { HAND_PICKED_CASES, JAR_CASES } from './fixtures/jar-cases';
import { PTB_PUNCTUATION, ptbTokenize, ptbTokenizeLine } from './index';

// Runs in vitest's edge-runtime environment (no Node APIs): the tokenizer needs none.
describe('PTB tokenizer in an edge runtime', () => {
  it('prints what the CoreNLP 3.4.1 lexer prints for the hand-picked one-line cases', () => {
    const oneLine = JAR_CASES.slice(0, HAND_PICKED_CASES).filter(
      (c) => !/[\n\r\u000b\u000c\u2028\u2029]/.test(c.input),
    );
    expect(oneLine.length).toBeGreaterThan(50);
    for (const c of oneLine) {
      expect(ptbTokenizeLine(c.input, { removePunctuation: false }).join(' '), JSON.stringify(c.input)).toBe(c.jar);
    }
  });

  it('tokenizes captions as coco-caption does: the jar output of each line without its punctuation tokens', () => {
    const oneLine = JAR_CASES.slice(0, HAND_PICKED_CASES).filter(
      (c) => !/[\n\r\u000b\u000c\u2028\u2029]/.test(c.input),
    );
    // One call per caption, so that each ends the text as the fixture's inputs did (a trailing context such as
    // "'99" + space or line break can match only when something follows).
    // coco-caption right-strips each line with Python's str.rstrip (these are the characters str.isspace accepts).
    const pythonTrailingSpace = /[\t-\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/;
    for (const c of oneLine) {
      const expected = c.jar
        .replace(pythonTrailingSpace, '')
        .split(' ')
        .filter((token) => !PTB_PUNCTUATION.includes(token))
        .join(' ');
      expect(ptbTokenize({ '1': [c.input] }), JSON.stringify(c.input)).toEqual({ '1': [expected] });
    }
  });
});
