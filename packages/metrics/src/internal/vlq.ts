/**
 * Unsigned integers as base-64 VLQ text: the digit scheme of JavaScript source maps, without the sign bit.
 * Each character is one of `A-Z a-z 0-9 + /` (values 0-63); its low 5 bits carry 5 bits of the number, least
 * significant group first, and value 32 (bit 5) says that more digits follow. 0-31 take one character,
 * 32-1,023 two, up to 32,767 three. Used where many small numbers must travel in JSON: one string is parsed
 * at memory speed, where a JSON array of millions of numbers is not.
 *
 * @internal
 */
import { MetricsInputError } from '../errors';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** ASCII code of each digit value. */
const DIGIT_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** Digit value of each ASCII code, −1 for characters outside the alphabet. */
const DIGIT_VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let v = 0; v < 64; v++) values[DIGIT_CODES[v] as number] = v;
  return values;
})();

/** Appends unsigned integers (below 2^31) as VLQ digits; {@link text} gives the string. */
export class VlqWriter {
  private bytes: Uint8Array = new Uint8Array(1 << 16);
  private length = 0;

  /** Appends `value` (an integer in [0, 2^31)). */
  write(value: number): void {
    if (this.length + 7 > this.bytes.length) {
      const bytes = new Uint8Array(this.bytes.length * 2);
      bytes.set(this.bytes);
      this.bytes = bytes;
    }
    let rest = value;
    for (;;) {
      const digit = rest & 31;
      rest >>>= 5;
      if (rest === 0) {
        this.bytes[this.length++] = DIGIT_CODES[digit] as number;
        return;
      }
      this.bytes[this.length++] = DIGIT_CODES[digit | 32] as number;
    }
  }

  /** The digits written so far. */
  text(): string {
    // ASCII bytes decode to the same characters in UTF-8 (TextDecoder exists in Node and in browsers).
    return new TextDecoder().decode(this.bytes.subarray(0, this.length));
  }
}

/** Reads the unsigned integers of a VLQ string in order. */
export class VlqReader {
  private position = 0;

  /** @param field the JSON field the text came from (named in errors) */
  constructor(
    private readonly text: string,
    private readonly field: string,
  ) {}

  /** Whether every digit has been read. */
  get done(): boolean {
    return this.position >= this.text.length;
  }

  /**
   * The next integer.
   *
   * @throws MetricsInputError on a character outside the alphabet, a number cut short or one of 2^31 or more
   */
  read(): number {
    const text = this.text;
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.position >= text.length) throw this.fail('the text ends inside a number');
      const code = text.charCodeAt(this.position++);
      const digit = code < 128 ? (DIGIT_VALUES[code] as number) : -1;
      if (digit < 0) throw this.fail(`character ${JSON.stringify(text[this.position - 1])} is not a base-64 digit`);
      value += (digit & 31) * 2 ** shift;
      if ((digit & 32) === 0) break;
      shift += 5;
      if (shift > 30) throw this.fail('a number is 2^31 or more');
    }
    if (value >= 2 ** 31) throw this.fail('a number is 2^31 or more');
    return value;
  }

  private fail(problem: string): MetricsInputError {
    return new MetricsInputError(`${problem} (at character ${this.position})`, { field: this.field });
  }
}
