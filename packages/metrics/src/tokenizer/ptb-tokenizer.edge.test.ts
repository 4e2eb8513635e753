import { describe, expect, it } from 'vitest';
import { HAND_PICKED_CASES, JAR_CASES } from './fixtures/jar-cases';
import { ptbTokenize, ptbTokenizeLine } from './index';

// Runs in vitest's edge-runtime environment (no Node APIs): the tokenizer needs none.
describe('PTB tokenizer in an edge runtime', () => {
  it('prints what the CoreNLP 3.4.1 lexer prints for the hand-picked one-line cases', () => {
    const oneLine = JAR_CASES.slice(0, HAND_PICKED_CASES).filter(
      (c) => !/[\n\r\u000b\u000c\u2028\u2029]/.test(c.input)
    );
    expect(oneLine.length).toBeGreaterThan(50);
    for (const c of oneLine) {
      expect(ptbTokenizeLine(c.input, { removePunctuation: false }).join(' '), JSON.stringify(c.input)).toBe(c.jar);
    }
  });

  it('tokenizes a small caption set', () => {
    const input = Object.fromEntries(JAR_CASES.slice(0, 10).map((c, i) => [String(i), [c.input]]));
    expect(Object.keys(ptbTokenize(input))).toEqual(Object.keys(input));
  });
});
