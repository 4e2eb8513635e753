/**
 * Differential check of the PTB lexer against the lexer of an earlier revision (by default the last one whose
 * grammar was written as JFlex-style pattern strings, before it was restated with the builders of
 * `src/tokenizer/regex.ts`). The old files are read with `git show <rev>:<path>` into a temporary folder,
 * imported from there, and deleted at the end; nothing of them is written into the repository.
 *
 * Three checks, each counting differences (the bar is 0):
 * 1. Automata: the old and new grammars compiled to DFAs on one character-class partition and explored
 *    together over every reachable pair of states. At each pair the accepted rules must do the same thing:
 *    same action and replacement, and, for a rule with a trailing context, the same way of finding the token
 *    in the match (as `ptb-lexer.ts` does it: minus the context's length when that is fixed, else the
 *    pattern's length when that is fixed, else the general split, for which the rule's pattern and context
 *    are compared alone with the corresponding old rule's). Equal automata scan every input identically, so
 *    this is a proof for all inputs, not a sample.
 * 2. Data: every string in the shared coco-caption files (each line of the `.txt.gz` files, every string
 *    value of the JSON files), each alone and, per file, all joined by newlines as one text (the tokenizer
 *    sees a whole call's captions as one text): the token streams (tokens as printed, before lower-casing,
 *    and line breaks) must be identical.
 * 3. Random strings from a seeded generator weighted toward what the grammar treats specially.
 *
 * `ptb-tokenizer.ts` (everything after the lexer) must be the same file in both revisions; the script checks
 * that, so equal token streams mean equal `ptbTokenize` output.
 *
 *   npx tsx scripts/ptb-differential.ts [--old <rev>] [--random <count>] [--seed <n>]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Command } from 'commander';
import { seededRandom } from '@caption/bench-support';
import { sharedDataDir } from '@caption/test-support';
import { CharSet } from '../src/tokenizer/char-set';
import { CharClassPartition, charSetsOf, DEAD, LazyDfa } from '../src/tokenizer/lazy-dfa';
import { Action, TOKEN_RULES } from '../src/tokenizer/ptb-grammar';
import { scanPtb, type PtbTokenSink } from '../src/tokenizer/ptb-lexer';
import * as wordLists from '../src/tokenizer/ptb-word-lists';
import { fixedLength, type Regex } from '../src/tokenizer/regex';

/** The last revision with the pattern-string grammar. */
const DEFAULT_OLD_REVISION = '2d9bfa294fa357588fb0a4e23b57fef52c3d27a7';
const TOKENIZER_DIR = 'packages/metrics/src/tokenizer';

const program = new Command('ptb-differential')
  .option('--old <rev>', 'git revision holding the old lexer', DEFAULT_OLD_REVISION)
  .option('--random <count>', 'random strings to compare', '250000')
  .option('--seed <n>', 'seed of the random strings', '20261123')
  .parse(process.argv);
const options = program.opts<{ old: string; random: string; seed: string }>();

// --- The old lexer, from git ---------------------------------------------------------------------------

/** The old regular expressions: the same shape, with the old module's character sets. */
type OldRegex =
  | { readonly kind: 'set'; readonly set: { pairs(): [number, number][] } }
  | { readonly kind: 'concat'; readonly parts: readonly OldRegex[] }
  | { readonly kind: 'alt'; readonly alternatives: readonly OldRegex[] }
  | { readonly kind: 'repeat'; readonly body: OldRegex; readonly min: number; readonly max: number };

interface OldRule {
  readonly pattern: string;
  readonly lookahead?: string;
  readonly action: number;
  readonly argument?: string | number;
}

interface OldModules {
  scanPtb: typeof scanPtb;
  parseMacros(definitions: readonly (readonly [string, string])[]): Map<string, OldRegex>;
  parseRegex(source: string, macros: ReadonlyMap<string, OldRegex>): OldRegex;
  MACROS: readonly (readonly [string, string])[];
  RULES: readonly OldRule[];
  Action: Record<number, string>;
}

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const git = (...args: string[]): string =>
  execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 26 });

async function loadOldModules(revision: string, folder: string): Promise<OldModules> {
  const files = git('ls-tree', '--name-only', `${revision}:${TOKENIZER_DIR}`)
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const file of files) writeFileSync(join(folder, file), git('show', `${revision}:${TOKENIZER_DIR}/${file}`));
  const load = (file: string): Promise<Record<string, unknown>> => import(pathToFileURL(join(folder, file)).href);
  const [lexer, regex, grammar] = await Promise.all([load('ptb-lexer.ts'), load('regex.ts'), load('ptb-grammar.ts')]);
  return { ...lexer, ...regex, ...grammar } as unknown as OldModules;
}

// --- 1. Automata ------------------------------------------------------------------------------------------

function toNewRegex(re: OldRegex): Regex {
  switch (re.kind) {
    case 'set':
      return { kind: 'set', set: CharSet.fromPairs(re.set.pairs()) };
    case 'concat':
      return { kind: 'concat', parts: re.parts.map(toNewRegex) };
    case 'alt':
      return { kind: 'alt', alternatives: re.alternatives.map(toNewRegex) };
    case 'repeat':
      return { kind: 'repeat', body: toNewRegex(re.body), min: re.min, max: re.max };
  }
}

const concat = (a: Regex, b: Regex | undefined): Regex => (b === undefined ? a : { kind: 'concat', parts: [a, b] });

/**
 * Explores the product of the DFAs of `a` and `b` (pattern lists; `keyA`/`keyB` say what accepting each
 * pattern means) and returns the number of state pairs visited and the shortest input on which the accepted
 * meanings differ, if any.
 */
function equivalent(
  a: readonly Regex[],
  keyA: (rule: number) => string,
  b: readonly Regex[],
  keyB: (rule: number) => string,
): { pairs: number; counterexample?: string } {
  const partition = new CharClassPartition(charSetsOf([...a, ...b]));
  const representative = new Int32Array(partition.size).fill(-1);
  for (let code = 0xffff; code >= 0; code--) representative[partition.classOf[code] as number] = code;
  const dfaA = new LazyDfa(a, partition);
  const dfaB = new LazyDfa(b, partition);
  const meaning = (dfa: LazyDfa, key: (rule: number) => string, state: number): string => {
    const rule = dfa.acceptOf(state);
    return rule < 0 ? 'nothing' : key(rule);
  };
  const seen = new Map<number, { parent: number; code: number }>();
  const pairKey = (sa: number, sb: number): number => sa * 0x100000 + sb;
  const start = pairKey(dfaA.startState, dfaB.startState);
  seen.set(start, { parent: -1, code: -1 });
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const pair = queue[head] as number;
    const sa = Math.floor(pair / 0x100000);
    const sb = pair % 0x100000;
    if (meaning(dfaA, keyA, sa) !== meaning(dfaB, keyB, sb)) {
      let text = '';
      for (let p = pair; ;) {
        const step = seen.get(p) as { parent: number; code: number };
        if (step.parent < 0) break;
        text = String.fromCharCode(step.code) + text;
        p = step.parent;
      }
      return { pairs: seen.size, counterexample: text };
    }
    if (sa === DEAD && sb === DEAD) continue;
    for (let cls = 0; cls < partition.size; cls++) {
      const code = representative[cls] as number;
      const next = pairKey(dfaA.step(sa, code), dfaB.step(sb, code));
      if (!seen.has(next)) {
        seen.set(next, { parent: pair, code });
        queue.push(next);
      }
    }
  }
  return { pairs: seen.size };
}

function compareAutomata(old: OldModules): number {
  const macros = old.parseMacros(old.MACROS);
  const oldRules = old.RULES.map((rule) => ({
    pattern: toNewRegex(old.parseRegex(rule.pattern, macros)),
    context: rule.lookahead === undefined ? undefined : toNewRegex(old.parseRegex(rule.lookahead, macros)),
    action: old.Action[rule.action] as string,
    argument: rule.argument,
  }));
  const newRules = TOKEN_RULES.map((rule) => ({
    pattern: rule.pattern,
    context: rule.followedBy,
    action: Action[rule.action],
    argument: rule.replacement ?? rule.pushBack,
  }));
  type Compared = (typeof newRules)[number];
  /**
   * Whether the token of a match of `r` needs the general split (neither the context nor the pattern has a fixed
   * length).
   */
  const needsSplit = (r: Compared): boolean =>
    r.context !== undefined && fixedLength(r.context) === undefined && fixedLength(r.pattern) === undefined;
  // What accepting a rule means: its action and argument, and how the token is cut from the match.
  const keys = (rules: readonly Compared[]): string[] => {
    let splitRule = 0;
    return rules.map((r) => {
      const does = `${r.action} ${String(r.argument ?? '')}`;
      if (r.context === undefined) return does;
      const contextLength = fixedLength(r.context);
      if (contextLength !== undefined) return `${does}, token = match minus ${contextLength}`;
      const patternLength = fixedLength(r.pattern);
      if (patternLength !== undefined) return `${does}, token = first ${patternLength}`;
      return `${does}, split rule ${splitRule++}`;
    });
  };
  const oldKeys = keys(oldRules);
  const newKeys = keys(newRules);
  let found = 0;
  const whole = equivalent(
    oldRules.map((r) => concat(r.pattern, r.context)),
    (i) => oldKeys[i] as string,
    newRules.map((r) => concat(r.pattern, r.context)),
    (i) => newKeys[i] as string,
  );
  console.log(
    `automata: old ${oldRules.length} rules, new ${newRules.length} rules; ${whole.pairs} state pairs explored; ` +
      (whole.counterexample === undefined ? 'equivalent' : `DIFFER on ${JSON.stringify(whole.counterexample)}`),
  );
  if (whole.counterexample !== undefined) found++;
  const oldSplit = oldRules.filter(needsSplit);
  const newSplit = TOKEN_RULES.filter((_, i) => needsSplit(newRules[i] as Compared));
  if (oldSplit.length !== newSplit.length) {
    console.log(`  rules needing the general split: old ${oldSplit.length}, new ${newSplit.length}: DIFFER`);
    return found + 1;
  }
  let pairs = 0;
  newSplit.forEach((rule, k) => {
    const before = oldSplit[k] as (typeof oldRules)[number];
    const same = (x: Regex, y: Regex, what: string): void => {
      const result = equivalent(
        [x],
        () => 'match',
        [y],
        () => 'match',
      );
      pairs += result.pairs;
      if (result.counterexample !== undefined) {
        console.log(`  "${rule.name}": ${what} DIFFER on ${JSON.stringify(result.counterexample)}`);
        found++;
      }
    };
    same(before.pattern, rule.pattern, 'pattern');
    same(before.context as Regex, rule.followedBy as Regex, 'context');
  });
  console.log(
    `  ${newSplit.length} rules needing the general split: patterns and contexts compared alone (${pairs} state pairs)`,
  );
  return found;
}

// --- 2 and 3. Token streams ------------------------------------------------------------------------------

/** The lexer's output for `text` as one string: tokens separated by U+0001, line breaks as U+0002. */
function tokenStream(scan: typeof scanPtb, text: string): string {
  const parts: string[] = [];
  const sink: PtbTokenSink = {
    token: (start, end, replacement) => void parts.push(replacement ?? text.slice(start, end)),
    newline: () => (parts.push('\u0002'), true),
  };
  scan(text, sink);
  return parts.join('\u0001');
}

/** Compares old and new on each text; prints up to `show` differing inputs; returns the number of differences. */
function compareTexts(old: OldModules, texts: Iterable<string>, label: string, show = 10): number {
  let count = 0;
  let differing = 0;
  for (const text of texts) {
    count++;
    const before = tokenStream(old.scanPtb, text);
    const after = tokenStream(scanPtb, text);
    if (before !== after) {
      if (differing < show) {
        console.log(
          `  DIFFER ${JSON.stringify(text.slice(0, 300))}\n    old ${JSON.stringify(before)}\n    new ${JSON.stringify(
            after,
          )}`,
        );
      }
      differing++;
    }
  }
  console.log(`${label}: ${count} texts, ${differing} differ`);
  return differing;
}

function collectStrings(value: unknown, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, into);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectStrings(v, into);
}

function compareData(old: OldModules): number {
  const root = join(sharedDataDir(), 'coco-caption');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(json|txt)(\.gz)?$/.test(name)) files.push(path);
    }
  };
  walk(root);
  let found = 0;
  let total = 0;
  for (const path of files) {
    const bytes = readFileSync(path);
    const text = new TextDecoder().decode(path.endsWith('.gz') ? gunzipSync(bytes) : bytes);
    const strings: string[] = [];
    if (/\.json(\.gz)?$/.test(path)) collectStrings(JSON.parse(text), strings);
    else strings.push(...text.split('\n'));
    total += strings.length;
    const name = relative(root, path);
    found += compareTexts(old, strings, `  ${name}, each string alone`);
    found += compareTexts(old, [strings.join('\n')], `  ${name}, all strings as one text`);
  }
  console.log(`data: ${files.length} files, ${total} strings (each alone and per file as one text); ${found} differ`);
  return found;
}

/** Single characters the grammar treats specially. */
const TRICKY_CHARACTERS = [
  ...`'"\`-_.,;:!?&@#$%*()[]{}<>/\\=+~^|  \t\n\n\r0123456789aAnNtTsSyYiIoOxXdDlLmMcCfFpPuUeE`,
  ...'\u00a0\u00ad\u2019\u2018\u201b\u201c\u201d\u201e\u2039\u203a\u00ab\u00bb\u0091\u0092\u0093\u0094\u0096\u0097',
  ...'\u2010\u2011\u2013\u2014\u2015\u058a\u2026\u0085\u2028\u2029\u000b\u000c\u3000\u2002\u200b\u200e\ufeff\u007f\u0000',
  ...'\u00bc\u00bd\u00be\u2153\u215e\u2044\u00a2\u00a3\u00a4\u00a5\u20ac\u0080\u20a0\u0e3f\uffe5',
  ...'\u00b2\u00b9\u2070\u2075\u2082\u207a\u208b\u066b\u066c\u0660\u07c0\u0966',
  ...'\u00e9\u00fc\u00df\u00c9\u03a3\u03c3\u0416\u05d0\u0627\u4e2d\u3042\u0301\u0300\u093e\u02c2\u0370',
  ...'\u00a1\u00bf\u037e\u0589\u061f\u06d4\u0700\u07fa\u3002\u3001\u00a7\u00d7\u2192\u2200\uff01\u30fb',
];

/** Pieces of text the grammar treats specially. */
// prettier-ignore
const FRAGMENTS = [
  'http://', 'https://', 'https://a.b/c?d=1', 'www.', 'www.ab.cd', '.com', '.org', '.net', '.edu', 'a.com/x', 'foo@bar.com',
  '<a@b.org>', '&lt;', '&gt;', '&amp;', '&AMP;', '&quot;', '&apos;', '&nbsp;', '&eacute;', '&Uuml;', '&mdash;', '&ndash;', '&MD;',
  '&#8220;', '&odq;', "n't", "N'T", 'n\u2019t', "'s", "'S", "'ll", "'re", "'ve", "'m", "'d", ' The ', ' However ', ' Mr. ', ' <p> ',
  ':)', ';-D', '=P', ":'(", '>:(', '^_^', '(^_^)', '(^.^)', '(^-^)', 'x.[^x=~<>]', '^.[^X=~<>]', '...', '. . .', '.\u00a0.\u00a0.',
  '--', '---', '----', '-----', 'U.S.', 'U.S', 'u.s.', 'Sino-U.S.', 'U.S.-U.K.', 'non-U.S.', 'a.k.a.', 'I.', 'p.m.', 'Ph.D.', 'c++',
  'C#', 'f#', '3 1/2', '2-1\\/2', '1/2', '1\u20442', '555-123-4567', '(555) 123-4567', '+44 20 7946 0958', '555.123.4567',
  '12/31/1999', '1-2-03', '1,000.5', '-3', '+4.5', '.5', '10:30', 'a.jpg', 'file.txt', 'x.tar.gz', '<p>', '</a>', '<br/>',
  '<a href="x">', "<b c='d' e>", '<!-- c -->', '<?xml v?>', "O'Neill", "D'Arcy", "l'amour", "o'clock", "rock 'n' roll", "'n'",
  "'90s", "'99", "y'all", "Hawai'i", "O'o", "'em", "'cause", "'til", "Dunkin'", "somethin'", "ol'", "c'mon", "cont'd.",
  "nor'easter", 'AT&T', 'AT&amp;T', 'R+D', 'S&P-500', 'S&amp;Ls', "Cap'n", "c'est", 'C.D.s', '-LRB-', '-rcb-', 'pro-', 'anti-',
  'and/or', 'black-and-white/colour', 'US$', 'HK$', '#tag', '#', '@user_1', '@', '$', 'mother-in-law', 'snake_case', '3.5-inch',
  '1,000-strong', 'MFG.', 'Mfg.', 'mTg.', 'Pty. Ltd', 'PTy.', 'Co. lim', 'fig. 3', 'no.5', 'etc.', 'etc.,', 'Inc.;', 'Ill.', 'ill.',
  'Miss.', 'miss.', 'cannot', 'gonna', "'tis", "'twas", 'dont', 'don\u2019t', 'can\u2018t', 'ain`t', '\u00ad', 'co\u00adop',
  '\u00ad\u00ad', '\\*', '\\*\\*', '***', '?!', '!!!', '<<', '>>', '\r\n', ' \r\n ', '\u2028', 'Yahoo!Inc', 'Sept.', 'Kans.', 'Wis.',
  'al.', 'vs.', 'St.', 'Ste.', 'TREAS.', '\ud83d\ude00', 'a\ud83d',
];

/** Every word of the word lists, so each list entry is exercised (with a period, in random case, below). */
const LIST_WORDS: readonly string[] = Object.values(wordLists).flatMap((value): string[] => {
  if (Array.isArray(value)) return value.map((entry) => (Array.isArray(entry) ? String(entry[0]) : String(entry)));
  if (typeof value === 'object' && value !== null)
    return Object.values(value).flatMap((v) => (Array.isArray(v) ? v.map(String) : [String(v)]));
  return [];
});

/**
 * A random string: 1 to 12 pieces, each a fragment, a listed word, a tricky character, an ASCII word or a random BMP
 * code unit.
 */
function randomText(random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const pieces = 1 + Math.floor(random() * 12);
  let text = '';
  for (let i = 0; i < pieces; i++) {
    const r = random();
    let piece: string;
    if (r < 0.25) piece = pick(FRAGMENTS);
    else if (r < 0.4) piece = pick(LIST_WORDS) + (random() < 0.6 ? '.' : '');
    else if (r < 0.7) piece = pick(TRICKY_CHARACTERS);
    else if (r < 0.85) {
      const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
      piece = '';
      for (let n = 1 + Math.floor(random() * 7); n > 0; n--) piece += pick([...letters]);
    } else piece = String.fromCharCode(Math.floor(random() * 0x10000));
    if (random() < 0.2) piece = [...piece].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
    text += piece;
    if (random() < 0.35) text += pick([' ', ' ', ' ', '  ', '\n', '\u00a0']);
  }
  return text;
}

function compareRandom(old: OldModules, count: number, seed: number): number {
  const random = seededRandom(seed);
  const texts = function* (): Generator<string> {
    for (let i = 0; i < count; i++) yield randomText(random);
  };
  return compareTexts(old, texts(), `random: seed ${seed}`);
}

/** Runs the three checks and sets the exit status (1 when anything differs). */
async function main(): Promise<void> {
  const oldFolder = mkdtempSync(join(tmpdir(), 'ptb-old-lexer-'));
  let differences = 0;
  try {
    const old = await loadOldModules(options.old, oldFolder);
    const sameDriver =
      git('show', `${options.old}:${TOKENIZER_DIR}/ptb-tokenizer.ts`) ===
      readFileSync(join(repoRoot, TOKENIZER_DIR, 'ptb-tokenizer.ts'), 'utf8');
    console.log(
      `old lexer: ${options.old} (${git('rev-parse', '--short', options.old).trim()}), read into ${oldFolder}`,
    );
    console.log(`ptb-tokenizer.ts (after the lexer) identical in both: ${sameDriver ? 'yes' : 'NO'}`);
    if (!sameDriver) differences++;
    differences += compareAutomata(old);
    differences += compareData(old);
    differences += compareRandom(old, Number(options.random), Number(options.seed));
  } finally {
    rmSync(oldFolder, { recursive: true, force: true });
  }
  console.log(differences === 0 ? 'no differences' : `${differences} difference(s)`);
  process.exitCode = differences === 0 ? 0 : 1;
}

await main();
