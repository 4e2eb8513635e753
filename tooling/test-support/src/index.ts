/**
 * Test-only helpers of the caption workspaces: the one helper through which tests read the read-only fixtures
 * in `../shared/data` (beside the repository root; CI has it too; tests never copy these files into the
 * project), and the runner of README examples (`readme-examples.ts`).
 *
 * When the folder (or a file a test needs) is absent, the test is skipped and its title says why, so a
 * skipped check is never mistaken for a passing one.
 *
 * @example
 * ```ts
 * import { describeWithShared } from '@caption/test-support';
 * describeWithShared('fakecap parity', ['coco-caption/expected/fakecap_first500.json'], (data) => {
 *   it('matches', () => { const expected = data.readJson('coco-caption/expected/fakecap_first500.json'); ... });
 * });
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Root of the repository (the folder holding the workspace `package.json`). */
export const repoRoot: string = resolve(here, '..', '..', '..');

/**
 * Absolute path of the shared data folder: `$CAPTION_SHARED_DATA` when set, else `<repo>/../shared/data`.
 */
export function sharedDataDir(): string {
  const fromEnv = process.env.CAPTION_SHARED_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return resolve(repoRoot, '..', 'shared', 'data');
}

/** Why the given shared files cannot be used, or `null` when they all exist. */
export function sharedSkipReason(relPaths: readonly string[]): string | null {
  const root = sharedDataDir();
  if (!existsSync(root)) {
    return `shared data folder ${root} is absent (set CAPTION_SHARED_DATA or place ../shared beside the repository)`;
  }
  const missing = relPaths.filter((p) => !existsSync(join(root, p)));
  if (missing.length > 0) return `missing in ${root}: ${missing.join(', ')}`;
  return null;
}

/** Read access to files under the shared data folder. */
export interface SharedData {
  /** Absolute path of a file under the shared data folder. */
  path(rel: string): string;
  /** Raw bytes of a file; `.gz` files are returned decompressed. */
  readBytes(rel: string): Uint8Array;
  /** UTF-8 text of a file; `.gz` files are decompressed first. */
  readText(rel: string): string;
  /** Parsed JSON of a file; `.gz` files are decompressed first. */
  readJson<T = unknown>(rel: string): T;
}

/** A {@link SharedData} reader rooted at {@link sharedDataDir}. */
export function sharedData(): SharedData {
  const root = sharedDataDir();
  const readBytes = (rel: string): Uint8Array => {
    const buf = readFileSync(join(root, rel));
    return rel.endsWith('.gz') ? new Uint8Array(gunzipSync(buf)) : new Uint8Array(buf);
  };
  const readText = (rel: string): string => new TextDecoder('utf-8').decode(readBytes(rel));
  return {
    path: (rel) => join(root, rel),
    readBytes,
    readText,
    readJson: <T>(rel: string) => JSON.parse(readText(rel)) as T,
  };
}

const warned = new Set<string>();

/**
 * A vitest `describe` block that runs only when every listed shared file exists; otherwise it is
 * skipped and the reason is both printed once and appended to the block's title.
 */
export function describeWithShared(title: string, relPaths: readonly string[], body: (data: SharedData) => void): void {
  const reason = sharedSkipReason(relPaths);
  if (reason !== null) {
    if (!warned.has(reason)) {
      warned.add(reason);
      console.warn(`[skip] ${title}: ${reason}`);
    }
    describe.skip(`${title} [skipped: ${reason}]`, () => {
      body(sharedData());
    });
    return;
  }
  describe(title, () => body(sharedData()));
}

export {
  expectAllClose,
  maxAbsDiff,
  toleranceExcess,
  toleranceReport,
  type AllCloseOptions,
  type ToleranceReport,
} from './tolerance';

export {
  markdownSection,
  typescriptBlocks,
  runTypeScriptExample,
  type TypeScriptExampleOptions,
  type TypeScriptExampleRun,
} from './readme-examples';

export {
  documentedExamples,
  headingAnchor,
  MAP_SECTION,
  missingMapTargets,
  printedLines,
  readReadme,
  tableLinks,
  type DocumentedExample,
} from './readme-maps';
