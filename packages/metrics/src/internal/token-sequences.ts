/**
 * Many captions as token ids, back to back in one flat array: the common input of BLEU, ROUGE-L and CIDEr-D
 * once `evaluate` (or one metric) has scanned the text. Tokens are Python's `split()` tokens; a caption whose
 * `split(" ")` tokens (what ROUGE-L uses) would differ is flagged, so ROUGE-L re-splits only those.
 *
 * @internal
 */
import { type TokenTable, finishTokenHash, isPythonSpace, TOKEN_HASH_OFFSET, TOKEN_HASH_PRIME } from './token-table';
import { grown } from './typed-arrays';

/** Token ids of a list of captions. */
export class TokenSequences {
  /** Token ids of every caption, back to back. */
  tokens: Int32Array;
  /** `starts[c]`: offset of caption c in {@link tokens}; `starts[count]`: the end of the last one. */
  starts: Int32Array;
  /**
   * 1 when caption c's `split(" ")` differs from its `split()`: an empty caption, a space at either end, two
   * spaces in a row, or whitespace other than U+0020 (PTB output never has these; `tokenize: 'none'` may).
   */
  irregular: Uint8Array;
  /** Number of captions. */
  count = 0;

  /**
   * @param vocabulary where token texts get their ids (shared with whoever reads the ids)
   * @param expectedCaptions captions to make room for
   * @param expectedTokens tokens to make room for (grows when exceeded)
   */
  constructor(
    readonly vocabulary: TokenTable,
    expectedCaptions: number,
    expectedTokens: number,
  ) {
    this.tokens = new Int32Array(Math.max(16, expectedTokens));
    this.starts = new Int32Array(Math.max(16, expectedCaptions) + 1);
    this.irregular = new Uint8Array(Math.max(16, expectedCaptions));
  }

  /** Token count of caption `c`. */
  length(c: number): number {
    return (this.starts[c + 1] as number) - (this.starts[c] as number);
  }

  /**
   * Appends a caption: splits it as Python's `str.split()` and interns each token. Returns its index.
   *
   * This is the innermost loop of an evaluation (10 M characters for the 40,504-image val2014 case), so the
   * split, the hash and the regularity check are one pass over the characters, and the table is called
   * directly (not through a callback as in `scanTokens`, which the other users share).
   */
  add(text: string): number {
    const c = this.count;
    if (c + 2 > this.starts.length) this.starts = grown(this.starts, c + 2);
    if (c + 1 > this.irregular.length) {
      const irregular = new Uint8Array(this.irregular.length * 2);
      irregular.set(this.irregular);
      this.irregular = irregular;
    }
    const length = text.length;
    let at = this.starts[c] as number;
    // At most one token per two characters (plus one): grow once here, not per token.
    if (at + (length >> 1) + 1 > this.tokens.length) this.tokens = grown(this.tokens, at + (length >> 1) + 1);
    const tokens = this.tokens;
    const vocabulary = this.vocabulary;
    // Regular (split(" ") === split()) iff non-empty, no whitespace but U+0020, and every space lies between
    // two tokens: no space first or last, no two in a row.
    let regular = length > 0;
    let i = 0;
    while (i < length) {
      let code = text.charCodeAt(i);
      if (code === 0x20 || isPythonSpace(code)) {
        if (code !== 0x20 || i === 0 || i === length - 1 || text.charCodeAt(i + 1) === 0x20) regular = false;
        i++;
        continue;
      }
      const start = i;
      let hash = TOKEN_HASH_OFFSET;
      for (;;) {
        hash = Math.imul(hash ^ code, TOKEN_HASH_PRIME);
        if (++i === length) break;
        code = text.charCodeAt(i);
        if (code === 0x20 || isPythonSpace(code)) break;
      }
      tokens[at++] = vocabulary.intern(text, start, i, finishTokenHash(hash));
    }
    this.irregular[c] = regular ? 0 : 1;
    this.starts[c + 1] = at;
    this.count = c + 1;
    return c;
  }
}
