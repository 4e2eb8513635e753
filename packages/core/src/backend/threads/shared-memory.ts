/**
 * Declares a WebAssembly binary's memory shared, so that worker threads can run kernels on it.
 *
 * tfjs-backend-wasm's single-threaded binaries define an ordinary memory; its threaded binary would
 * need Emscripten's pthread workers, which tfjs 4.22 cannot start in Node. A memory's sharedness is one
 * bit of its limits (flags 0x01 → 0x03; shared memories must have a maximum, and tfjs's has 65,536
 * pages), and nothing in a module that uses no atomics depends on it, so flipping that bit gives the
 * same module on a `SharedArrayBuffer`. Our SIMD kernels module (which imports the memory) gets the same
 * flip to accept it.
 */
import { BackendError } from '../errors';

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const LIMITS_HAS_MAX = 0x01;
const LIMITS_SHARED = 0x02;

/** Reads the unsigned LEB128 at `bytes[at]`; returns the value and the position after it. */
function readU32(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let byte: number;
  do {
    if (at >= bytes.length) throw new BackendError('withSharedMemory: truncated WebAssembly binary');
    byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** Skips limits (flags, min, max?) at `at`, returning the position after them. */
function skipLimits(bytes: Uint8Array, at: number): number {
  const flags = bytes[at]!;
  let next = readU32(bytes, at + 1)[1];
  if (flags & LIMITS_HAS_MAX) next = readU32(bytes, next)[1];
  return next;
}

/** Positions of the limits flags of every memory the module defines or imports. */
function memoryLimitsFlags(bytes: Uint8Array): number[] {
  const found: number[] = [];
  let at = 8; // magic + version
  while (at < bytes.length) {
    const id = bytes[at]!;
    const [size, body] = readU32(bytes, at + 1);
    const end = body + size;
    if (id === SECTION_MEMORY) {
      let [count, p] = readU32(bytes, body);
      for (; count > 0; count--) {
        found.push(p);
        p = skipLimits(bytes, p);
      }
    } else if (id === SECTION_IMPORT) {
      let [count, p] = readU32(bytes, body);
      for (; count > 0; count--) {
        for (let name = 0; name < 2; name++) {
          const [length, start] = readU32(bytes, p);
          p = start + length;
        }
        const kind = bytes[p++]!;
        if (kind === 0)
          p = readU32(bytes, p)[1]; // function: type index
        else if (kind === 1)
          p = skipLimits(bytes, p + 1); // table: element type, limits
        else if (kind === 2) {
          found.push(p);
          p = skipLimits(bytes, p);
        } else if (kind === 3)
          p += 2; // global: value type, mutability
        else throw new BackendError(`withSharedMemory: unknown import kind ${kind}`);
      }
    }
    at = end;
  }
  return found;
}

/**
 * A copy of `binary` whose memories (defined or imported) are declared shared.
 *
 * @throws {BackendError} when the module has no memory, or one without a maximum size
 */
export function withSharedMemory(binary: Uint8Array): Uint8Array {
  const bytes = binary.slice();
  const flags = memoryLimitsFlags(bytes);
  if (flags.length === 0) throw new BackendError('withSharedMemory: the WebAssembly module has no memory');
  for (const at of flags) {
    if (!(bytes[at]! & LIMITS_HAS_MAX)) {
      throw new BackendError('withSharedMemory: a shared WebAssembly memory needs a maximum size');
    }
    bytes[at] = bytes[at]! | LIMITS_SHARED;
  }
  return bytes;
}
