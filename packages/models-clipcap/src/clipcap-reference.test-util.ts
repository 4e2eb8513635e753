/**
 * Test-only access to a ClipCap reference folder (the layout of ../shared/data/clipcap-reference: JSON configs and
 * cases, safetensors weights and outputs). The folder is `$CLIPCAP_REFERENCE_DIR` when set, else
 * `clipcap-reference` in the shared data folder of `@caption/test-support`; every parity test builds its models from
 * the folder's JSON files, so another folder of the same layout (other sizes) is checked the same way.
 *
 * Comparisons return {@link ParityResult}s instead of asserting, so that a test can also show that a perturbed copy
 * of the folder fails them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSafetensors, type SafetensorsEntry } from '@caption/core';
import { describeWithFiles, type FixtureFolder, fixtureFolder, toleranceReport } from '@caption/test-support';

/** The environment variable naming another reference folder. */
export const CLIPCAP_REFERENCE_ENV = 'CLIPCAP_REFERENCE_DIR';

/** The reference folder in use: `$CLIPCAP_REFERENCE_DIR`, else `<shared data>/clipcap-reference`. */
export function clipcapReferenceFolder(): FixtureFolder {
  return fixtureFolder(CLIPCAP_REFERENCE_ENV, 'clipcap-reference');
}

/** The path of {@link clipcapReferenceFolder}. */
export function clipcapReferenceDir(): string {
  return clipcapReferenceFolder().dir;
}

/** Read access to the files of one reference folder (parsed once each). */
export class ReferenceFolder {
  private readonly jsonCache = new Map<string, unknown>();
  private readonly tensorCache = new Map<string, Map<string, SafetensorsEntry>>();

  /** @param dir the folder */
  constructor(readonly dir: string) {}

  /** A parsed JSON file of the folder. */
  json<T = Record<string, unknown>>(name: string): T {
    if (!this.jsonCache.has(name)) this.jsonCache.set(name, JSON.parse(readFileSync(join(this.dir, name), 'utf8')));
    return this.jsonCache.get(name) as T;
  }

  /** The tensors of a safetensors file of the folder. */
  tensors(name: string): Map<string, SafetensorsEntry> {
    let cached = this.tensorCache.get(name);
    if (cached === undefined) {
      const path = join(this.dir, name);
      cached = parseSafetensors(new Uint8Array(readFileSync(path)), path).tensors;
      this.tensorCache.set(name, cached);
    }
    return cached;
  }

  /** One tensor of a safetensors file (throws naming the file when absent). */
  tensor(file: string, name: string): SafetensorsEntry {
    const entry = this.tensors(file).get(name);
    if (entry === undefined) throw new Error(`${join(this.dir, file)}: no tensor '${name}'`);
    return entry;
  }
}

/**
 * A vitest `describe` that runs when the reference folder holds `files`; otherwise skipped with the reason in its
 * title, or, under CI, a failing test naming what is missing (`describeWithFiles` of `@caption/test-support`).
 */
export function describeWithReference(
  title: string,
  files: readonly string[],
  body: (ref: ReferenceFolder) => void,
): void {
  const folder = clipcapReferenceFolder();
  describeWithFiles(title, folder, files, () => body(new ReferenceFolder(folder.dir)));
}

/** The outcome of one comparison with a stored reference output. */
export interface ParityResult {
  /** What was compared (a tensor name or case). */
  name: string;
  /** Whether it is within tolerance (or, for ids, equal). */
  ok: boolean;
  /** The worst element, or the differing ids. */
  detail: string;
}

/** Forward outputs: `|port − ref| ≤ 1e-5 + 1e-4·|ref|` (the folder README's recommendation). */
export const FORWARD_TOLERANCE = { atol: 1e-5, rtol: 1e-4 } as const;
/** Gradients: `|port − ref| ≤ 1e-4 + 1e-3·|ref|`. */
export const GRADIENT_TOLERANCE = { atol: 1e-4, rtol: 1e-3 } as const;

/** Element-wise closeness of `actual` to `expected` within `atol + rtol·|expected|`. */
export function compareClose(
  name: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: { atol: number; rtol: number },
): ParityResult {
  if (actual.length !== expected.length) {
    return { name, ok: false, detail: `${actual.length} values, expected ${expected.length}` };
  }
  const worst = toleranceReport(actual, expected, tolerance.atol, tolerance.rtol);
  return {
    name,
    ok: worst.excess <= 0,
    detail: `worst element ${worst.index}: ${worst.actual} vs ${worst.expected} (excess ${worst.excess})`,
  };
}

/** Exact equality of two id sequences (or of nested lists, compared as JSON). */
export function compareExact(name: string, actual: unknown, expected: unknown): ParityResult {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  return { name, ok: a === e, detail: a === e ? 'equal' : `got ${a}, expected ${e}` };
}
