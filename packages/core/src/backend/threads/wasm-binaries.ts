/**
 * Where tfjs-backend-wasm loads its binary from: its own files (one thread), or the SIMD binary with its
 * memory declared shared (threads; see shared-memory.ts), handed over as a `data:` URL so that nothing
 * is written to disk.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BackendError } from '../errors';
import { withSharedMemory } from './shared-memory';

/** The binaries tfjs-backend-wasm may ask for (`setWasmPaths` wants all three). */
const BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

/** The file of one of tfjs-backend-wasm's binaries: under `prefix` when given, else in its installed `dist/`. */
function binaryFile(name: string, prefix: string | undefined): string {
  if (prefix !== undefined) return `${prefix}${name}`;
  const require = createRequire(import.meta.url);
  return join(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'dist', name);
}

/** `setWasmPaths` map of tfjs's own binaries (the file paths), for the single-threaded backend. */
export function stockWasmPaths(prefix?: string): Record<string, string> {
  return Object.fromEntries(BINARIES.map((name) => [name, binaryFile(name, prefix)]));
}

const sharedUrls = new Map<string | undefined, string>();

/**
 * `setWasmPaths` map (to be used with platform fetch) that gives tfjs its SIMD binary with a shared
 * memory under every binary name (threads are only set up where SIMD runs).
 *
 * @throws {BackendError} when the binary cannot be read
 */
export function sharedMemoryWasmPaths(prefix?: string): Record<string, string> {
  let url = sharedUrls.get(prefix);
  if (url === undefined) {
    const file = binaryFile(SIMD_BINARY, prefix);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(file));
    } catch (error) {
      throw new BackendError(`wasm threads: cannot read ${file}: ${(error as Error).message}`);
    }
    url = `data:application/wasm;base64,${Buffer.from(withSharedMemory(bytes)).toString('base64')}`;
    sharedUrls.set(prefix, url);
  }
  return Object.fromEntries(BINARIES.map((name) => [name, url]));
}
