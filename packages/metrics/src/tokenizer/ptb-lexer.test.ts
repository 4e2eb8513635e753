import { describe, expect, it } from 'vitest';
import { JAR_CASES } from './fixtures/jar-cases';
import { javaLowerCase } from './java-lower-case';
import { ptbLines } from './ptb-tokenizer';

/** What `PTBTokenizer -preserveLines -lowerCase` prints, from our lexer. */
function printed(text: string): string {
  return ptbLines(text)
    .map((line) => line.map((token) => javaLowerCase(token)).join(' '))
    .join('\n');
}

describe('PTB lexer against the CoreNLP 3.4.1 lexer (fixtures/ptb-jar-cases.json, made by the real lexer)', () => {
  it('prints what the jar prints for every hand-picked and random input', () => {
    const mismatches = JAR_CASES.filter((c) => printed(c.input) !== c.jar).map(
      (c) => `${JSON.stringify(c.input)}\n  ours ${JSON.stringify(printed(c.input))}\n  jar  ${JSON.stringify(c.jar)}`,
    );
    expect(mismatches).toEqual([]);
  });
});
