/**
 * A small reader and writer for Python pickles, enough for the caches the Python captioning projects
 * write with `pickle`/`cPickle` (`coco-train-idxs.p`, `coco-train-words.p`: a dict whose
 * `document_frequency` is a `collections.defaultdict(float)` keyed by tuples of strings).
 *
 * The reader understands the opcodes of protocols 0–4 that plain data uses (dicts, lists, tuples,
 * strings, bytes, ints, floats, booleans, None, globals, REDUCE, the memo); it never imports or calls
 * anything: a global is returned as a {@link PyGlobal} and a call as a {@link PyReduce} (except
 * `collections.defaultdict(...)`, which becomes a {@link PyDict} with its `defaultFactory`). npm's
 * `pickleparser` turns tuple keys into strings, hence this module.
 *
 * The writer emits protocol 2 (what `misc.utils.pickle_dump` uses under Python 3), readable by Python 2
 * and 3.
 */
import { DataFormatError } from './errors.js';

/** A Python tuple (kept distinct from lists, since tuples are dict keys in the caches). */
export class PyTuple {
  /** A tuple of these elements. */
  constructor(
    /** The tuple's elements, in order. */
    readonly items: PickleValue[],
  ) {}
}

/** A Python dict, with keys of any pickled type, in pickle order. */
export class PyDict {
  /** A dict of these entries (a `defaultdict` when a factory is given). */
  constructor(
    /** Key/value pairs in the order they were pickled. */
    readonly entries: Array<[PickleValue, PickleValue]> = [],
    /** For a `collections.defaultdict`, its factory (e.g. `__builtin__.float`); undefined for a plain dict. */
    readonly defaultFactory?: PickleValue,
  ) {}

  /** The value of a string key, or undefined. */
  get(key: string): PickleValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
}

/** A reference to a Python global (`module.name`), never resolved. */
export class PyGlobal {
  /** A reference to `module.name`. */
  constructor(
    /** The module, e.g. `collections`. */
    readonly module: string,
    /** The attribute, e.g. `defaultdict`. */
    readonly name: string,
  ) {}
}

/** A call `callable(*args)` recorded by REDUCE, never executed. */
export class PyReduce {
  /** The call `callable(*args)`. */
  constructor(
    /** What would be called. */
    readonly callable: PickleValue,
    /** Its arguments (usually a {@link PyTuple}). */
    readonly args: PickleValue,
  ) {}
}

/** A float for {@link dumpPickle}: plain JS numbers that are integers are written as Python ints. */
export class PyFloat {
  /** A float, written as a float even when the value is whole. */
  constructor(
    /** The float's value. */
    readonly value: number,
  ) {}
}

/** A value read from or written to a pickle. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PyTuple
  | PyDict
  | PyGlobal
  | PyReduce
  | PyFloat;

const MARK_OBJ = Symbol('mark');
type StackItem = PickleValue | typeof MARK_OBJ;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes Python string-literal escapes (`codecs.escape_decode`) of a protocol-0 STRING, as latin-1 text. */
function escapeDecode(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i += 1;
    const e = body[i];
    const simple: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      '\\': '\\',
      "'": "'",
      '"': '"',
      '\n': '',
    };
    if (e !== undefined && e in simple) out += simple[e];
    else if (e === 'x') {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e !== undefined && e >= '0' && e <= '7') {
      let j = i;
      while (j < i + 3 && (body[j] ?? '') >= '0' && (body[j] ?? '') <= '7') j += 1;
      out += String.fromCharCode(parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else out += `\\${e ?? ''}`;
  }
  return out;
}

/** Decodes `raw-unicode-escape` (protocol-0 UNICODE): `\uXXXX`, `\UXXXXXXXX`, other bytes as latin-1. */
function rawUnicodeEscapeDecode(bytes: Uint8Array): string {
  const text = latin1.decode(bytes);
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4: string | undefined, u8: string | undefined) =>
    String.fromCodePoint(parseInt((u4 ?? u8) as string, 16)),
  );
}

/**
 * Parses a pickle (protocols 0–4, plain data only).
 *
 * @param bytes the pickle
 * @param file the file it came from, for error messages
 * @throws DataFormatError on an unknown opcode, a truncated stream or a malformed value
 */
export function loadPickle(bytes: Uint8Array, file?: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  const fail = (problem: string): never => {
    throw new DataFormatError(`pickle: ${problem} at byte ${pos}`, { file });
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail('truncated stream');
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++] as number;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const readlineBytes = (): Uint8Array => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated line');
    const line = bytes.subarray(pos, end);
    pos = end + 1;
    return line;
  };
  const readline = (): string => latin1.decode(readlineBytes());
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK_OBJ) return fail('stack underflow');
    return v as PickleValue;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK_OBJ) return fail('stack underflow');
    return v as PickleValue;
  };
  const popMark = (): PickleValue[] => {
    const items: PickleValue[] = [];
    for (;;) {
      const v = stack.pop();
      if (v === undefined) return fail('MARK not found');
      if (v === MARK_OBJ) return items.reverse();
      items.push(v as PickleValue);
    }
  };
  const int = (n: bigint | number): number | bigint =>
    typeof n === 'bigint' && n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(n)
      : n;
  const longLE = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i -= 1) v = (v << 8n) | BigInt(b[i] as number);
    if (((b[b.length - 1] as number) & 0x80) !== 0) v -= 1n << BigInt(8 * b.length);
    return int(v);
  };
  const str = (b: Uint8Array): string => {
    try {
      return utf8.decode(b);
    } catch {
      return fail('invalid UTF-8 in a unicode string');
    }
  };
  const setItems = (dict: PickleValue, items: PickleValue[]): void => {
    if (!(dict instanceof PyDict)) fail('SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2)
      (dict as PyDict).entries.push([items[i] as PickleValue, items[i + 1] as PickleValue]);
  };
  const reduce = (callable: PickleValue, args: PickleValue): PickleValue => {
    if (callable instanceof PyGlobal && callable.module === 'collections' && callable.name === 'defaultdict') {
      const factory = args instanceof PyTuple ? args.items[0] : undefined;
      return new PyDict([], factory ?? null);
    }
    return new PyReduce(callable, args);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        take(8);
        break; // FRAME
      case 0x2e: {
        // STOP
        const result = pop();
        return result;
      }
      case 0x28:
        stack.push(MARK_OBJ);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x49: {
        // INT
        const line = readline();
        if (line === '01') stack.push(true);
        else if (line === '00') stack.push(false);
        else stack.push(int(BigInt(line)));
        break;
      }
      case 0x4a:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break; // BININT2
      case 0x4c:
        stack.push(int(BigInt(readline().replace(/L$/, ''))));
        break; // LONG
      case 0x8a:
        stack.push(longLE(take(u8())));
        break; // LONG1
      case 0x8b: {
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        stack.push(longLE(take(n)));
        break;
      } // LONG4
      case 0x46:
        stack.push(Number.parseFloat(readline()));
        break; // FLOAT
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break; // BINFLOAT
      case 0x53: {
        // STRING
        const line = readline();
        const q = line[0];
        if (line.length < 2 || (q !== "'" && q !== '"') || line[line.length - 1] !== q) fail('malformed STRING');
        stack.push(escapeDecode(line.slice(1, -1)));
        break;
      }
      case 0x54: {
        need(4);
        const n = view.getInt32(pos, true);
        pos += 4;
        stack.push(latin1.decode(take(n)));
        break;
      } // BINSTRING
      case 0x55:
        stack.push(latin1.decode(take(u8())));
        break; // SHORT_BINSTRING
      case 0x56:
        stack.push(rawUnicodeEscapeDecode(readlineBytes()));
        break; // UNICODE
      case 0x58: {
        need(4);
        const n = view.getUint32(pos, true);
        pos += 4;
        stack.push(str(take(n)));
        break;
      } // BINUNICODE
      case 0x8c:
        stack.push(str(take(u8())));
        break; // SHORT_BINUNICODE
      case 0x8d: {
        need(8);
        const n = Number(view.getBigUint64(pos, true));
        pos += 8;
        stack.push(str(take(n)));
        break;
      } // BINUNICODE8
      case 0x42: {
        need(4);
        const n = view.getUint32(pos, true);
        pos += 4;
        stack.push(take(n).slice());
        break;
      } // BINBYTES
      case 0x43:
        stack.push(take(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x7d:
        stack.push(new PyDict());
        break; // EMPTY_DICT
      case 0x64: {
        const items = popMark();
        const d = new PyDict();
        setItems(d, items);
        stack.push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) fail('APPEND on a non-list');
        (l as PickleValue[]).push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) fail('APPENDS on a non-list');
        (l as PickleValue[]).push(...items);
        break;
      } // APPENDS
      case 0x29:
        stack.push(new PyTuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(new PyTuple(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(new PyTuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x63: {
        const module = readline();
        const name = readline();
        stack.push(new PyGlobal(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof name !== 'string' || typeof module !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(new PyGlobal(module as string, name as string));
        break;
      } // STACK_GLOBAL
      case 0x52: {
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args));
        break;
      } // REDUCE
      case 0x70:
        memo.set(Number(readline()), top());
        break; // PUT
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        need(4);
        memo.set(view.getUint32(pos, true), top());
        pos += 4;
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x67: {
        const k = Number(readline());
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k) as PickleValue);
        break;
      } // GET
      case 0x68: {
        const k = u8();
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k) as PickleValue);
        break;
      } // BINGET
      case 0x6a: {
        need(4);
        const k = view.getUint32(pos, true);
        pos += 4;
        if (!memo.has(k)) fail(`memo key ${k} missing`);
        stack.push(memo.get(k) as PickleValue);
        break;
      } // LONG_BINGET
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

class ByteWriter {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setUint32(this.len, v, true);
    this.len += 4;
  }
  f64be(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, v, false);
    this.len += 8;
  }
  ascii(text: string): void {
    for (let i = 0; i < text.length; i += 1) this.byte(text.charCodeAt(i));
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8Encoder = new TextEncoder();

/**
 * Serialises a value as a protocol-2 pickle, as Python's `pickle.dump(value, f, protocol=2)` would
 * (strings as BINUNICODE, memoised so repeated strings are written once; dicts and appends batched by
 * 1,000; a {@link PyDict} with a `defaultFactory` as `collections.defaultdict(factory)`; integral JS
 * numbers as ints, {@link PyFloat} as floats).
 */
export function dumpPickle(value: PickleValue): Uint8Array {
  const w = new ByteWriter();
  const memo = new Map<string, number>();
  const put = (): number => {
    const index = memo.size;
    if (index < 256) {
      w.byte(0x71); // BINPUT
      w.byte(index);
    } else {
      w.byte(0x72); // LONG_BINPUT
      w.u32(index);
    }
    return index;
  };
  const get = (index: number): void => {
    if (index < 256) {
      w.byte(0x68); // BINGET
      w.byte(index);
    } else {
      w.byte(0x6a); // LONG_BINGET
      w.u32(index);
    }
  };
  const writeInt = (v: number | bigint): void => {
    const n = typeof v === 'bigint' ? v : BigInt(v);
    if (n >= 0n && n < 256n) {
      w.byte(0x4b); // BININT1
      w.byte(Number(n));
    } else if (n >= 0n && n < 65536n) {
      w.byte(0x4d); // BININT2
      w.byte(Number(n & 0xffn));
      w.byte(Number(n >> 8n));
    } else if (n >= -(1n << 31n) && n < 1n << 31n) {
      w.byte(0x4a); // BININT
      w.u32(Number(BigInt.asUintN(32, n)));
    } else {
      const out: number[] = [];
      let x = n;
      for (;;) {
        out.push(Number(x & 0xffn));
        x >>= 8n;
        const sign = (out[out.length - 1] as number) & 0x80;
        if ((x === 0n && sign === 0) || (x === -1n && sign !== 0)) break;
      }
      w.byte(0x8a); // LONG1
      w.byte(out.length);
      for (const b of out) w.byte(b);
    }
  };
  const writeGlobal = (g: PyGlobal): void => {
    w.byte(0x63); // GLOBAL
    w.ascii(`${g.module}\n${g.name}\n`);
  };
  const write = (v: PickleValue): void => {
    if (v === null) w.byte(0x4e);
    else if (v === true) w.byte(0x88);
    else if (v === false) w.byte(0x89);
    else if (typeof v === 'number') {
      if (Number.isInteger(v)) writeInt(v);
      else {
        w.byte(0x47); // BINFLOAT
        w.f64be(v);
      }
    } else if (typeof v === 'bigint') writeInt(v);
    else if (v instanceof PyFloat) {
      w.byte(0x47);
      w.f64be(v.value);
    } else if (typeof v === 'string') {
      const known = memo.get(v);
      if (known !== undefined) {
        get(known);
        return;
      }
      const b = utf8Encoder.encode(v);
      w.byte(0x58); // BINUNICODE
      w.u32(b.length);
      w.bytes(b);
      memo.set(v, put());
    } else if (v instanceof Uint8Array) {
      // Python 3 bytes under protocol 2: _codecs.encode(latin-1 text, 'latin1')
      writeGlobal(new PyGlobal('_codecs', 'encode'));
      w.byte(0x28);
      write(latin1.decode(v));
      write('latin1');
      w.byte(0x74); // TUPLE
      w.byte(0x52); // REDUCE
    } else if (Array.isArray(v)) {
      w.byte(0x5d); // EMPTY_LIST
      for (let i = 0; i < v.length; i += 1000) {
        w.byte(0x28);
        for (const item of v.slice(i, i + 1000)) write(item);
        w.byte(0x65); // APPENDS
      }
    } else if (v instanceof PyTuple) {
      const n = v.items.length;
      if (n === 0) w.byte(0x29);
      else if (n <= 3) {
        for (const item of v.items) write(item);
        w.byte([0x85, 0x86, 0x87][n - 1] as number);
      } else {
        w.byte(0x28);
        for (const item of v.items) write(item);
        w.byte(0x74);
      }
    } else if (v instanceof PyDict) {
      if (v.defaultFactory !== undefined) {
        writeGlobal(new PyGlobal('collections', 'defaultdict'));
        write(v.defaultFactory);
        w.byte(0x85); // TUPLE1
        w.byte(0x52); // REDUCE
      } else w.byte(0x7d); // EMPTY_DICT
      for (let i = 0; i < v.entries.length; i += 1000) {
        w.byte(0x28);
        for (const [k, item] of v.entries.slice(i, i + 1000)) {
          write(k);
          write(item);
        }
        w.byte(0x75); // SETITEMS
      }
    } else if (v instanceof PyGlobal) writeGlobal(v);
    else if (v instanceof PyReduce) {
      write(v.callable);
      write(v.args);
      w.byte(0x52);
    } else throw new TypeError(`dumpPickle: unsupported value ${String(v)}`);
  };
  w.byte(0x80); // PROTO 2
  w.byte(2);
  write(value);
  w.byte(0x2e); // STOP
  return w.result();
}
