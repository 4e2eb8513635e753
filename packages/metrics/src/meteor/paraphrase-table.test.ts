/**
 * The compact paraphrase table: what the jar's trie answers (entries by reference phrase start, shorter phrases
 * first, file order within a phrase), the byte form, and the cached index written beside the table.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricsInputError } from '../errors';
import { loadParaphraseTable } from './node-data';
import { ParaphraseTable, ParaphraseTableBuilder } from './paraphrase-table';

/** A table in the jar's format: probability, reference phrase, paraphrase; repeated. */
const TABLE = [
  ['0.5', 'on top of', 'atop'],
  ['0.4', 'on', 'upon'],
  ['0.3', 'on top', 'above'],
  ['0.2', 'on', 'onto'],
  ['0.1', 'a man', 'a guy'],
  ['0.1', 'man', 'guy'],
  ['0.1', 'on top of', 'over'],
  ['0.1', 'zebra', ''],
]
  .map((entry) => entry.join('\n'))
  .join('\n')
  .concat('\n');

/** The (length, paraphrase text) pairs the table gives for `words` starting at `start`, in the jar's order. */
function paths(table: ParaphraseTable, words: string[], start: number): string[] {
  const ids = Int32Array.from(words, (w) => table.wordId(w));
  const phrases = new Int32Array(words.length);
  const depths = table.referencePhrases(ids, start, phrases);
  const result: string[] = [];
  for (let d = 0; d < depths; d++) {
    const source = phrases[d] as number;
    if (source < 0) continue;
    for (let e = table.entriesStart(source); e < table.entriesEnd(source); e++) {
      const phrase = table.paraphraseOf(e);
      const text: string[] = [];
      for (let i = 0; i < table.phraseLength(phrase); i++)
        text.push(wordOf(table, table.phraseWord(table.phraseStart(phrase) + i)));
      result.push(`${d + 1}:${text.join(' ')}`);
    }
  }
  return result;
}

function wordOf(table: ParaphraseTable, id: number): string {
  for (const w of ['atop', 'upon', 'above', 'onto', 'a', 'guy', 'over', 'on', 'top', 'of', 'man', 'zebra']) {
    if (table.wordId(w) === id) return w;
  }
  return `#${id}`;
}

describe('ParaphraseTable', () => {
  const table = ParaphraseTable.fromText(TABLE);

  it('lists entries starting at a position: shorter reference phrases first, file order within one', () => {
    expect(paths(table, ['on', 'top', 'of', 'it'], 0)).toEqual(['1:upon', '1:onto', '2:above', '3:atop', '3:over']);
    expect(paths(table, ['on', 'top', 'it'], 0)).toEqual(['1:upon', '1:onto', '2:above']);
    expect(paths(table, ['a', 'man'], 0)).toEqual(['2:a guy']);
    expect(paths(table, ['a', 'man'], 1)).toEqual(['1:guy']);
    expect(paths(table, ['top', 'of'], 0)).toEqual([]);
    expect(paths(table, ['unknown', 'on'], 0)).toEqual([]);
  });

  it('drops entries with an empty phrase (the jar would loop forever on an empty paraphrase)', () => {
    const builder = new ParaphraseTableBuilder();
    builder.push(TABLE);
    const built = builder.finish();
    expect(builder.droppedEntries).toBe(1);
    expect(built.stats.entries).toBe(7);
    expect(paths(built, ['zebra'], 0)).toEqual([]);
  });

  it('gives the same answers fed in pieces of any size, with \\r\\n line ends', () => {
    const builder = new ParaphraseTableBuilder();
    const text = TABLE.replaceAll('\n', '\r\n');
    for (let i = 0; i < text.length; i += 3) builder.push(text.slice(i, i + 3));
    const pieced = builder.finish();
    expect(paths(pieced, ['on', 'top', 'of'], 0)).toEqual(paths(table, ['on', 'top', 'of'], 0));
    expect(pieced.stats).toEqual(table.stats);
  });

  it('round-trips through bytes, also from an unaligned buffer', () => {
    const bytes = table.toBytes('key-1');
    expect(ParaphraseTable.isIndex(bytes)).toBe(true);
    expect(ParaphraseTable.keyOf(bytes)).toBe('key-1');
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    for (const copy of [ParaphraseTable.fromBytes(bytes), ParaphraseTable.fromBytes(shifted.subarray(1))]) {
      expect(copy.stats).toEqual(table.stats);
      expect(paths(copy, ['on', 'top', 'of'], 0)).toEqual(['1:upon', '1:onto', '2:above', '3:atop', '3:over']);
    }
  });

  it('rejects a table that ends inside an entry, and bytes that are not an index', () => {
    expect(() => ParaphraseTable.fromText('0.5\non top of\n', 'bad.gz')).toThrow(MetricsInputError);
    expect(() => ParaphraseTable.fromText('0.5\non top of\n', 'bad.gz')).toThrow(
      /bad\.gz.*ends inside an entry after line 2/,
    );
    expect(() =>
      ParaphraseTable.fromBytes(new TextEncoder().encode('not an index at all, just some text here....')),
    ).toThrow(/not a paraphrase index/);
  });
});

describe('loadParaphraseTable', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'meteor-index-'));
  });
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('parses a gzipped table once, writes its index beside it, then loads the index', async () => {
    const file = join(dir, 'paraphrase-en.gz');
    writeFileSync(file, gzipSync(TABLE));
    const first = await loadParaphraseTable(file);
    expect(first.fromIndex).toBe(false);
    expect(first.indexPath).toBe(join(dir, 'paraphrase-en.caption-meteor-index'));
    const second = await loadParaphraseTable(file);
    expect(second.fromIndex).toBe(true);
    expect(paths(second.table, ['on', 'top', 'of'], 0)).toEqual(paths(first.table, ['on', 'top', 'of'], 0));
  });

  it('rebuilds the index when the table changes, and loads an index given directly', async () => {
    const file = join(dir, 'changing.txt');
    writeFileSync(file, TABLE);
    const first = await loadParaphraseTable(file, join(dir, 'cache'));
    expect(first.fromIndex).toBe(false);
    writeFileSync(file, `${TABLE}0.1\nzebra\nhorse\n`);
    const later = new Date(statSync(file).mtimeMs + 5000);
    utimesSync(file, later, later);
    const changed = await loadParaphraseTable(file, join(dir, 'cache'));
    expect(changed.fromIndex).toBe(false);
    expect(changed.table.stats.entries).toBe(first.table.stats.entries + 1);
    const direct = await loadParaphraseTable(changed.indexPath as string);
    expect(direct.fromIndex).toBe(true);
    expect(direct.table.stats).toEqual(changed.table.stats);
    expect(readFileSync(changed.indexPath as string).length).toBeGreaterThan(0);
  });

  it('names the file of a truncated gzip table, and leaves no index behind', async () => {
    const file = join(dir, 'truncated.gz');
    const whole = gzipSync(TABLE.repeat(50));
    writeFileSync(file, whole.subarray(0, whole.length - 20));
    await expect(loadParaphraseTable(file, join(dir, 'truncated-cache'))).rejects.toThrow(MetricsInputError);
    await expect(loadParaphraseTable(file, join(dir, 'truncated-cache'))).rejects.toThrow(
      /truncated\.gz.*cannot read the paraphrase table: unexpected end of file/,
    );
    expect(existsSync(join(dir, 'truncated-cache'))).toBe(false);
  });

  it('works without a cache', async () => {
    const file = join(dir, 'nocache.gz');
    writeFileSync(file, gzipSync(TABLE));
    const load = await loadParaphraseTable(file, false);
    expect(load.indexPath).toBeNull();
    expect(load.fromIndex).toBe(false);
  });
});
