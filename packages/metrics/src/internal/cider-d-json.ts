/**
 * The n-gram table of a `CiderDScorer` in its compact JSON form (format `caption-cider-d/v2`, documented on
 * `CiderDScorerJsonV2`): the tokens once, then every n-gram as (prefix, last token, document frequency) in
 * base-64 VLQ digits, sorted so that most numbers are small deltas. For the 40,504-image val2014 corpus this
 * is about 6 MB where format v1 (an object keyed by space-joined n-grams) takes 28-36 MB, and it is written and
 * read without building 1.6 M strings.
 *
 * @internal
 */
import { MetricsInputError } from '../errors';
import { ROOT } from './ngram-table';
import { NgramVocabulary } from './ngram-vocabulary';
import { isPythonSpace } from './token-table';
import { VlqReader, VlqWriter } from './vlq';

/** The n-gram part of format v2. */
export interface CompactNgrams {
  tokens: string[];
  ngramCounts: number[];
  ngrams: string;
}

/**
 * Stable counting sort of `items` by `keys[i]` (integers in [0, `range`)), returning the sorted items;
 * `keys` is aligned with `items`.
 */
function sortByKey(items: Int32Array, keys: Int32Array, range: number): { items: Int32Array; keys: Int32Array } {
  const starts = new Int32Array(range + 1);
  for (let i = 0; i < keys.length; i++)
    starts[(keys[i] as number) + 1] = (starts[(keys[i] as number) + 1] as number) + 1;
  for (let r = 0; r < range; r++) starts[r + 1] = (starts[r + 1] as number) + (starts[r] as number);
  const sortedItems = new Int32Array(items.length);
  const sortedKeys = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const key = keys[i] as number;
    const at = starts[key] as number;
    starts[key] = at + 1;
    sortedItems[at] = items[i] as number;
    sortedKeys[at] = key;
  }
  return { items: sortedItems, keys: sortedKeys };
}

/**
 * Encodes the n-grams of `vocab` (ids 0 .. `vocab.endId`) that have a document frequency above 0 in
 * `documentFrequency` (ids past its end have 0), with the prefixes they need.
 */
export function encodeCompactNgrams(
  vocab: NgramVocabulary,
  documentFrequency: Int32Array,
  maxOrder: number,
): CompactNgrams {
  const total = vocab.endId;
  const frequency = (id: number): number => (id < documentFrequency.length ? (documentFrequency[id] as number) : 0);
  // Which n-grams to write: those with a frequency, and their prefixes (a prefix always has a smaller id).
  const needed = new Uint8Array(total);
  for (let id = total - 1; id >= 0; id--) {
    if (frequency(id) > 0) needed[id] = 1;
    if (needed[id] === 1 && vocab.prefixOf(id) !== ROOT) needed[vocab.prefixOf(id)] = 1;
  }
  const order = new Uint8Array(total);
  for (let id = 0; id < total; id++) {
    const prefix = vocab.prefixOf(id);
    order[id] = prefix === ROOT ? 1 : (order[prefix] as number) + 1;
  }
  // Tokens: those the written n-grams end with, by ascending token id.
  const tokenPosition = new Int32Array(vocab.tokenCount).fill(-1);
  for (let id = 0; id < total; id++) if (needed[id] === 1) tokenPosition[vocab.lastTokenOf(id)] = 0;
  const tokens: string[] = [];
  tokenPosition.forEach((mark, token) => {
    if (mark === 0) tokenPosition[token] = tokens.push(vocab.tokenText(token)) - 1;
  });

  // Order by order, n-grams sorted by (prefix position, token position): two stable counting sorts.
  const position = new Int32Array(total);
  const writer = new VlqWriter();
  const ngramCounts: number[] = [];
  let previousOrderCount = 1;
  for (let k = 1; k <= maxOrder; k++) {
    let count = 0;
    for (let id = 0; id < total; id++) if (needed[id] === 1 && order[id] === k) count++;
    const ids = new Int32Array(count);
    const tokenKeys = new Int32Array(count);
    count = 0;
    for (let id = 0; id < total; id++) {
      if (needed[id] !== 1 || order[id] !== k) continue;
      ids[count] = id;
      tokenKeys[count++] = tokenPosition[vocab.lastTokenOf(id)] as number;
    }
    const byToken = sortByKey(ids, tokenKeys, tokens.length).items;
    const prefixKeys = byToken.map((id) => (k === 1 ? 0 : (position[vocab.prefixOf(id)] as number)));
    const sorted = sortByKey(byToken, prefixKeys, previousOrderCount).items;
    let previousPrefix = 0;
    let previousToken = 0;
    sorted.forEach((id, i) => {
      position[id] = i;
      const prefix = k === 1 ? 0 : (position[vocab.prefixOf(id)] as number);
      const token = tokenPosition[vocab.lastTokenOf(id)] as number;
      if (k > 1) writer.write(prefix - previousPrefix);
      const delta = i > 0 && prefix === previousPrefix;
      writer.write(delta ? token - previousToken : token);
      writer.write(frequency(id));
      previousPrefix = prefix;
      previousToken = token;
    });
    ngramCounts.push(sorted.length);
    previousOrderCount = Math.max(1, sorted.length);
  }
  return { tokens, ngramCounts, ngrams: writer.text() };
}

/**
 * Rebuilds an n-gram vocabulary and the document frequencies (by n-gram id) from their compact form.
 *
 * @throws MetricsInputError naming the field when the form is malformed (a token that is not one token, a
 *   repeated token or n-gram, a position out of range, digits left over or missing)
 */
export function decodeCompactNgrams(
  data: CompactNgrams,
  maxOrder: number,
): { vocab: NgramVocabulary; documentFrequency: Int32Array } {
  const fail = (problem: string, field: string): never => {
    throw new MetricsInputError(`CIDEr-D scorer JSON: ${problem}`, { field });
  };
  if (!Array.isArray(data.tokens)) return fail('tokens must be an array of strings', 'tokens');
  if (!Array.isArray(data.ngramCounts) || data.ngramCounts.length !== maxOrder) {
    return fail(`ngramCounts must list ${maxOrder} counts`, 'ngramCounts');
  }
  if (typeof data.ngrams !== 'string') return fail('ngrams must be a string', 'ngrams');
  let total = 0;
  for (const count of data.ngramCounts) {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
      return fail('ngramCounts must be non-negative integers', 'ngramCounts');
    total += count;
  }
  const vocab = new NgramVocabulary(maxOrder, total);
  data.tokens.forEach((token: unknown, position) => {
    if (typeof token !== 'string' || token.length === 0 || [...token].some((c) => isPythonSpace(c.charCodeAt(0)))) {
      fail(`token ${position} is not a non-empty string without whitespace`, 'tokens');
    }
    if (vocab.internTokenText(token as string) !== position)
      fail(`token ${position} (${JSON.stringify(token)}) is listed twice`, 'tokens');
  });
  const documentFrequency = new Int32Array(total);
  const reader = new VlqReader(data.ngrams, 'ngrams');
  let previousIds = new Int32Array(0);
  for (let k = 1; k <= maxOrder; k++) {
    const count = data.ngramCounts[k - 1] as number;
    const ids = new Int32Array(count);
    let prefix = 0;
    let token = 0;
    for (let i = 0; i < count; i++) {
      const prefixDelta = k === 1 ? 0 : reader.read();
      const tokenNumber = reader.read();
      const sharesPrefix = i > 0 && prefixDelta === 0;
      prefix += prefixDelta;
      token = sharesPrefix ? token + tokenNumber : tokenNumber;
      if (sharesPrefix && tokenNumber === 0) fail(`n-gram ${i} of order ${k} is listed twice`, 'ngrams');
      if (k > 1 && prefix >= previousIds.length) fail(`n-gram ${i} of order ${k} has no prefix ${prefix}`, 'ngrams');
      if (token >= data.tokens.length)
        fail(`n-gram ${i} of order ${k} ends with token ${token}, past the tokens`, 'ngrams');
      const known = vocab.endId;
      const id = vocab.internExtension(k === 1 ? ROOT : (previousIds[prefix] as number), token);
      if (vocab.endId === known) fail(`n-gram ${i} of order ${k} is listed twice`, 'ngrams');
      ids[i] = id;
      documentFrequency[id] = reader.read();
    }
    previousIds = ids;
  }
  if (!reader.done) fail('digits are left after the last n-gram', 'ngrams');
  return { vocab, documentFrequency };
}
