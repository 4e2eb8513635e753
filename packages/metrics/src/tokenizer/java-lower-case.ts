/**
 * Java's `String.toLowerCase(Locale.ENGLISH)` as the JVM that runs the CoreNLP jar does it (OpenJDK 17,
 * Unicode 13.0; the oracle's JVM), from the JavaScript engine's `toLowerCase()`.
 *
 * Both follow Unicode's case mappings, so they agree except where Unicode added a lower-case mapping after
 * 13.0: the JavaScript engine (Node 20: Unicode 17) lower-cases those characters, Java 17 keeps them. They are
 * listed here and kept. Java's final-sigma rule (U+03A3 → ς or σ) looks at word boundaries while JavaScript
 * uses Unicode's Final_Sigma context, so a capital sigma next to a non-letter inside one token (e.g. `ΑΣ_x`)
 * may lower-case differently; see docs/tokenizer.md.
 *
 * @internal
 */

/** Characters with a lower-case mapping newer than Unicode 13.0 (checked against OpenJDK 17 on every code point). */
const NEWER_UPPERCASE =
  /[\u1c89\u2c2f\ua7c0\ua7cb\ua7cc\ua7ce\ua7d0\ua7d2\ua7d4\ua7d6\ua7d8\ua7da\ua7dc\u{10570}-\u{1057a}\u{1057c}-\u{1058a}\u{1058c}-\u{10592}\u{10594}\u{10595}\u{10d50}-\u{10d65}\u{16ea0}-\u{16eb8}]/u;

const NEWER_UPPERCASE_RUNS = new RegExp(`(${NEWER_UPPERCASE.source}+)`, 'u');

/** Whether `text` has a character that Java 17 does not lower-case but a newer JavaScript engine does. */
export function hasNewerUppercase(text: string): boolean {
  return NEWER_UPPERCASE.test(text);
}

/** `text.toLowerCase(Locale.ENGLISH)` of Java 17. */
export function javaLowerCase(text: string): string {
  if (!NEWER_UPPERCASE.test(text)) return text.toLowerCase();
  // Odd pieces of the split are runs of the newer characters: keep them as they are.
  return text
    .split(NEWER_UPPERCASE_RUNS)
    .map((piece, i) => (i % 2 === 1 ? piece : piece.toLowerCase()))
    .join('');
}
