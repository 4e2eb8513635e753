/**
 * The text repairs CLIP's tokenizer applies first (`ftfy.fix_text`, ftfy 6.3.1 with its default options), so that
 * the same caption gives the same ids as `clip.tokenize`.
 *
 * Ported step by step, in ftfy's order, on each line, repeated until nothing changes: HTML entities
 * (`&amp;`, `&#39;`, only in lines without `<`), mojibake (see below), C1 controls read as Windows-1252, Latin
 * ligatures (`ﬁ` → `fi`), full- and half-width forms (`Ｆ` → `F`), curly quotes → straight, line breaks → `\n`,
 * lone surrogates → U+FFFD, terminal escapes and control characters removed, NFC.
 *
 * Mojibake: ftfy re-decodes a line as UTF-8 after encoding it in one of ten single-byte encodings, when its
 * heuristic (`badness.is_bad`, a large table of character classes) says it looks wrong. This port tries Latin-1
 * and (sloppy) Windows-1252, the two that produce nearly all real mojibake, and re-decodes when the encoded
 * bytes contain a multi-byte UTF-8 sequence and all decode as strict UTF-8 (`cafÃ©` → `café`,
 * `donâ€™t` → `don’t`). It does not port `is_bad`, so it may repair a line ftfy leaves alone (a legitimate
 * `Ã©` pair) and leaves mojibake from the other eight encodings (e.g. Cyrillic windows-1251) as it is.
 */
import { decodeHTML, decodeHTMLStrict } from 'entities';

const WINDOWS_1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Code point → byte of "sloppy" Windows-1252 (undefined bytes map to the same-numbered C1 controls, as ftfy's codec). */
const SLOPPY_1252 = new Map<number, number>();
for (let b = 0; b < 256; b++) SLOPPY_1252.set(b >= 0x80 && b < 0xa0 ? WINDOWS_1252_HIGH.charCodeAt(b - 0x80) : b, b);
SLOPPY_1252.set(0xfffd, 0x1a);

const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ŉ: 'ʼn',
  Ǳ: 'DZ',
  ǲ: 'Dz',
  ǳ: 'dz',
  Ǆ: 'DŽ',
  ǅ: 'Dž',
  ǆ: 'dž',
  Ǉ: 'LJ',
  ǈ: 'Lj',
  ǉ: 'lj',
  Ǌ: 'NJ',
  ǋ: 'Nj',
  ǌ: 'nj',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE_RE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'gu');
// ftfy's width map: U+3000 and every U+FF01–U+FFEF whose NFKC form differs
const WIDTH_RE = /[\u3000\uff01-\uffef]/g;
const HTML_ENTITY_RE = /&#?[0-9A-Za-z]{1,24};/g;
const ANSI_RE = /\u001b\[((?:\d|;)*)([a-zA-Z])/g;
const CONTROL_RE = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;
const C1_RE = /[\u0080-\u009f]/g;
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function unescapeEntity(entity: string): string {
  const decoded = decodeHTMLStrict(entity);
  if (entity.startsWith('&#')) return decoded.includes(';') ? entity : decoded;
  if (decoded !== entity) return decoded;
  // ftfy also decodes an all-lowercase entity name written in capitals (`&NTILDE;` → `Ñ`) when that is no entity itself
  const lower = entity.toLowerCase();
  if (entity !== lower && entity === entity.toUpperCase()) {
    const fromLower = decodeHTMLStrict(lower);
    if (fromLower !== lower) return fromLower.toUpperCase();
  }
  return entity;
}

/** Bytes of `text` in Latin-1 or sloppy Windows-1252, or null when a character has no byte. */
function encodeSingleByte(text: string, encoding: 'latin-1' | 'sloppy-windows-1252'): Uint8Array | null {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const b = encoding === 'latin-1' ? (c < 256 ? c : undefined) : SLOPPY_1252.get(c);
    if (b === undefined) return null;
    out[i] = b;
  }
  return out;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function hasMultiByteSequence(bytes: Uint8Array): boolean {
  for (let i = 0; i + 1 < bytes.length; i++) {
    const b = bytes[i] as number;
    const next = bytes[i + 1] as number;
    if (b >= 0xc2 && b <= 0xf4 && next >= 0x80 && next <= 0xbf) return true;
  }
  return false;
}

function fixEncodingOnce(text: string): string {
  if (/^[\u0000-\u007f]*$/.test(text)) return text;
  for (const encoding of ['latin-1', 'sloppy-windows-1252'] as const) {
    const bytes = encodeSingleByte(text, encoding);
    if (bytes === null || !hasMultiByteSequence(bytes)) continue;
    try {
      return STRICT_UTF8.decode(bytes);
    } catch {
      // not UTF-8 read as a single-byte encoding
    }
  }
  return text;
}

/** ftfy's mojibake repair, as far as this port goes (see the file comment), repeated until stable. */
export function fixEncoding(text: string): string {
  let current = text;
  for (;;) {
    const next = fixEncodingOnce(current);
    if (next === current) return current;
    current = next;
  }
}

function fixSegment(segment: string, unescapeHtml: boolean): string {
  let text = segment;
  for (;;) {
    const original = text;
    if (unescapeHtml) text = text.replace(HTML_ENTITY_RE, unescapeEntity);
    text = fixEncoding(text);
    text = text.replace(C1_RE, (c) => WINDOWS_1252_HIGH.charAt(c.charCodeAt(0) - 0x80));
    text = text.replace(LIGATURE_RE, (c) => LIGATURES[c] as string);
    text = text.replace(WIDTH_RE, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
    text = text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
    text = text.replace(/\r\n/g, '\n').replace(/[\r\u2028\u2029\u0085]/g, '\n');
    text = text.replace(LONE_SURROGATE_RE, '\ufffd');
    text = text.replace(ANSI_RE, '');
    text = text.replace(CONTROL_RE, '');
    text = text.normalize('NFC');
    if (text === original) return text;
  }
}

/**
 * `ftfy.fix_text(text)` with ftfy's default options, as far as this port goes (see the file comment): each line
 * (up to and including its `\n`) is fixed on its own; once a line contains `<`, HTML entities are left alone
 * in it and in every later line (ftfy's `unescape_html="auto"`).
 */
export function fixText(text: string): string {
  const out: string[] = [];
  let unescapeHtml = true;
  let pos = 0;
  while (pos < text.length) {
    const lineEnd = text.indexOf('\n', pos);
    const end = lineEnd < 0 ? text.length : lineEnd + 1;
    const segment = text.slice(pos, end);
    if (unescapeHtml && segment.includes('<')) unescapeHtml = false;
    out.push(fixSegment(segment, unescapeHtml));
    pos = end;
  }
  return out.join('');
}

/** Python's `html.unescape` (HTML5 named and numeric character references, legacy names without `;`). */
export function htmlUnescape(text: string): string {
  return text.includes('&') ? decodeHTML(text) : text;
}
