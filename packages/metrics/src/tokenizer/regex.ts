/**
 * Regular expressions as plain data, and the small set of functions the PTB grammar (`ptb-grammar.ts`) is
 * composed with. There is no pattern-string syntax: a grammar is TypeScript code that builds these values,
 * so every piece can be named, documented and reused.
 *
 * Letter case: a string given to {@link seq}, {@link oneOf} or {@link anyCase} is literal text whose ASCII
 * letters match in either case (the PTB tokenizer ignores case in fixed text such as `cannot` or `&amp;`);
 * a {@link chars} set matches exactly the code units it holds (so `chars('ye')` never matches `Y`).
 * Input is read as UTF-16 code units.
 *
 * @internal
 */
import { CharSet } from './char-set';

/** A regular expression over UTF-16 code units. */
export type Regex =
  | { readonly kind: 'set'; readonly set: CharSet }
  | { readonly kind: 'concat'; readonly parts: readonly Regex[] }
  | { readonly kind: 'alt'; readonly alternatives: readonly Regex[] }
  | { readonly kind: 'repeat'; readonly body: Regex; readonly min: number; readonly max: number };

/** `max` of a {@link Regex} `repeat` node without an upper bound. */
export const UNBOUNDED = Number.POSITIVE_INFINITY;

/** What the builders accept: a regular expression, or literal text matched with ASCII letters in any case. */
export type RegexPart = Regex | string;

/** One code unit of `set` (a string stands for the set of its code units, matched exactly as written). */
export function chars(set: CharSet | string): Regex {
  return { kind: 'set', set: typeof set === 'string' ? CharSet.of(set) : set };
}

/** One code unit that is not in `set` (nor, for a string, among its code units). */
export function charsExcept(set: CharSet | string): Regex {
  return chars((typeof set === 'string' ? CharSet.of(set) : set).complement());
}

/** Literal `text`; each ASCII letter matches its upper- and lower-case form. */
export function anyCase(text: string): Regex {
  const parts: Regex[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charAt(i);
    const isAsciiLetter = /[A-Za-z]/.test(unit);
    if (!isAsciiLetter && unit.toLowerCase() !== unit.toUpperCase()) {
      throw new RangeError(`anyCase: ${JSON.stringify(unit)} is a cased letter outside ASCII; use chars()`);
    }
    const forms = isAsciiLetter ? unit.toLowerCase() + unit.toUpperCase() : unit;
    parts.push(chars(forms));
  }
  return parts.length === 1 ? (parts[0] as Regex) : { kind: 'concat', parts };
}

/**
 * A word whose first letter must be the capital written here; the rest matches in any case (`The`, `THE`, not `the`).
 */
export function capitalized(word: string): Regex {
  return seq(chars(word.charAt(0)), word.slice(1));
}

function toRegex(part: RegexPart): Regex {
  return typeof part === 'string' ? anyCase(part) : part;
}

/** The parts one after the other. */
export function seq(...parts: RegexPart[]): Regex {
  const regexes = parts.filter((p) => p !== '').map(toRegex);
  return regexes.length === 1 ? (regexes[0] as Regex) : { kind: 'concat', parts: regexes };
}

/** Any one of the alternatives. */
export function oneOf(...alternatives: RegexPart[]): Regex {
  const regexes = alternatives.map(toRegex);
  return regexes.length === 1 ? (regexes[0] as Regex) : { kind: 'alt', alternatives: regexes };
}

/** `min` to `max` repetitions of `body` (`max` may be {@link UNBOUNDED}). */
export function repeat(body: RegexPart, min: number, max: number): Regex {
  if (!(min >= 0 && max >= min)) throw new RangeError(`repeat: bad bounds ${min}..${max}`);
  return { kind: 'repeat', body: toRegex(body), min, max };
}

/** Zero or one `body`. */
export function optional(body: RegexPart): Regex {
  return repeat(body, 0, 1);
}

/** Any number of `body`, none included. */
export function zeroOrMore(body: RegexPart): Regex {
  return repeat(body, 0, UNBOUNDED);
}

/** One or more `body`. */
export function oneOrMore(body: RegexPart): Regex {
  return repeat(body, 1, UNBOUNDED);
}

/** Every character set that occurs in `re`. */
export function collectSets(re: Regex, into: Set<CharSet>): void {
  switch (re.kind) {
    case 'set':
      into.add(re.set);
      return;
    case 'concat':
      for (const p of re.parts) collectSets(p, into);
      return;
    case 'alt':
      for (const a of re.alternatives) collectSets(a, into);
      return;
    case 'repeat':
      collectSets(re.body, into);
      return;
  }
}

/** The length of every string `re` matches, when they all have the same length; otherwise `undefined`. */
export function fixedLength(re: Regex): number | undefined {
  switch (re.kind) {
    case 'set':
      return 1;
    case 'concat': {
      let total = 0;
      for (const p of re.parts) {
        const n = fixedLength(p);
        if (n === undefined) return undefined;
        total += n;
      }
      return total;
    }
    case 'alt': {
      const first = fixedLength(re.alternatives[0] as Regex);
      return re.alternatives.every((a) => fixedLength(a) === first) ? first : undefined;
    }
    case 'repeat': {
      const n = fixedLength(re.body);
      return n !== undefined && re.min === re.max ? n * re.min : n === 0 ? 0 : undefined;
    }
  }
}
