/**
 * The few Java library behaviours METEOR 1.5 depends on, reproduced exactly: `String.hashCode` (the jar
 * compares words by hash), `String.trim`, `java.util.StringTokenizer` with its default delimiters, and
 * `String.split` of a literal separator (trailing empty pieces dropped).
 *
 * @internal
 */

/** Java's `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in 32-bit arithmetic. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Java's `String.trim()`: removes every code unit `<= U+0020` (controls included) from both ends. */
export function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** The default delimiters of `java.util.StringTokenizer`: space, tab, newline, carriage return, form feed. */
const STRING_TOKENIZER_DELIMITERS = /[ \t\n\r\f]+/;

/** The tokens `new StringTokenizer(text)` yields: maximal runs of characters other than ` \t\n\r\f`. */
export function javaTokenize(text: string): string[] {
  const parts = text.split(STRING_TOKENIZER_DELIMITERS);
  let start = 0;
  let end = parts.length;
  if (end > 0 && parts[0] === '') start = 1;
  if (end > start && parts[end - 1] === '') end -= 1;
  return start === 0 && end === parts.length ? parts : parts.slice(start, end);
}

/**
 * `text.split(Pattern.quote(separator))` in Java: split on each non-overlapping occurrence, left to right, then
 * drop the empty strings at the end (Java's `split(regex)` with limit 0).
 */
export function javaSplitLiteral(text: string, separator: string): string[] {
  const parts = text.split(separator);
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return end === parts.length ? parts : parts.slice(0, end);
}

/**
 * Java's `Double.toString(double)` for the values METEOR's statistics take: whole numbers of ordinary size
 * print as `12.0`. Other values fall back to JavaScript's shortest representation (not used by the stats line).
 */
export function javaDoubleToString(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return `${value}.0`;
  return String(value);
}
