/**
 * Test-only helpers of the caption workspaces: the one helper through which tests read reference data (the
 * read-only fixtures in `../shared/data` beside the repository root, which CI has too, and fixture folders
 * committed with a package), and the runner of README examples (`readme-examples.ts`). Tests never copy
 * shared files into the project.
 *
 * When a folder (or a file a test needs) is absent, the block is skipped and its title says why, so a
 * skipped check is never mistaken for a passing one. Under CI (`CI=true`) nothing may be skipped: the
 * block fails instead, naming what is missing (and `./ci-reporter` fails a run that still skipped a test).
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
import { describe, it } from 'vitest';
import { isCi } from './ci';

const here = dirname(fileURLToPath(import.meta.url));

/** Root of the repository (the folder holding the workspace `package.json`). */
export const repoRoot: string = resolve(here, '..', '..', '..');

const SHARED_HINT = 'set CAPTION_SHARED_DATA or place ../shared beside the repository';

/**
 * Absolute path of the shared data folder: `$CAPTION_SHARED_DATA` when set, else `<repo>/../shared/data`.
 */
export function sharedDataDir(): string {
  const fromEnv = process.env.CAPTION_SHARED_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return resolve(repoRoot, '..', 'shared', 'data');
}

/** A folder of reference fixtures, and how a run points the tests at another one (for messages). */
export interface FixtureFolder {
  /** absolute path */
  dir: string;
  /** what to do when it is absent, e.g. `set AOANET_REFERENCE_DIR or CAPTION_SHARED_DATA` */
  hint: string;
  /** what the folder is, for messages (default `folder`), e.g. `shared data folder` */
  label?: string;
}

/**
 * A reference fixture folder chosen by an environment variable, with a default under the shared data:
 * `$<envVar>` when set, else `<shared data>/<sharedSubfolder>`.
 *
 * @example
 * ```ts
 * const reference = fixtureFolder('CLIPCAP_REFERENCE_DIR', 'clipcap-reference');
 * describeWithFiles('GPT-2 block parity', reference, ['gpt2.safetensors'], () => { ... });
 * ```
 */
export function fixtureFolder(envVar: string, sharedSubfolder: string): FixtureFolder {
  const fromEnv = process.env[envVar];
  const label = `${envVar} folder`;
  if (fromEnv !== undefined && fromEnv !== '') return { dir: resolve(fromEnv), hint: `check ${envVar}`, label };
  return { dir: join(sharedDataDir(), sharedSubfolder), hint: `set ${envVar}, or ${SHARED_HINT}`, label };
}

/** Why the given files of `folder` cannot be used (the folder or some files are absent), or `null`. */
export function missingFilesReason(folder: FixtureFolder, files: readonly string[]): string | null {
  if (!existsSync(folder.dir)) return `${folder.label ?? 'folder'} ${folder.dir} is absent (${folder.hint})`;
  const missing = files.filter((f) => !existsSync(join(folder.dir, f)));
  if (missing.length > 0) return `missing in ${folder.dir}: ${missing.join(', ')}`;
  return null;
}

/** The shared data folder as a {@link FixtureFolder}. */
export function sharedFolder(): FixtureFolder {
  return { dir: sharedDataDir(), hint: SHARED_HINT, label: 'shared data folder' };
}

/** Why the given shared files cannot be used, or `null` when they all exist. */
export function sharedSkipReason(relPaths: readonly string[]): string | null {
  return missingFilesReason(sharedFolder(), relPaths);
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
 * A vitest `describe` block that runs only when every listed file exists in `folder`. Otherwise, outside CI,
 * it is skipped, with the reason printed once and appended to its title; under CI ({@link isCi}) it becomes
 * one failing test whose error names the missing folder or files, so a CI run cannot pass without its
 * reference data.
 *
 * @example
 * ```ts
 * const committed = { dir: fileURLToPath(new URL('../fixtures/variant-a', import.meta.url)), hint: 'committed' };
 * describeWithFiles('variant A parity', committed, ['model-small.json'], () => { it(...); });
 * ```
 */
export function describeWithFiles(
  title: string,
  folder: FixtureFolder,
  files: readonly string[],
  body: () => void,
): void {
  const reason = missingFilesReason(folder, files);
  if (reason === null) {
    describe(title, body);
    return;
  }
  if (isCi()) {
    describe(title, () => {
      it('has its reference data', () => {
        throw new Error(`${reason}; under CI=true a test may not be skipped for missing reference data`);
      });
    });
    return;
  }
  if (!warned.has(reason)) {
    warned.add(reason);
    console.warn(`[skip] ${title}: ${reason}`);
  }
  describe.skip(`${title} [skipped: ${reason}]`, body);
}

/**
 * {@link describeWithFiles} over the shared data folder: the block runs when every listed shared file
 * exists, gets a {@link SharedData} reader, and is skipped with its reason otherwise (fails under CI).
 */
export function describeWithShared(title: string, relPaths: readonly string[], body: (data: SharedData) => void): void {
  describeWithFiles(title, sharedFolder(), relPaths, () => body(sharedData()));
}

export { isCi } from './ci';

export {
  expectAllClose,
  maxAbsDiff,
  expectSameBits,
  toleranceExcess,
  toleranceReport,
  type AllCloseOptions,
  type ComparedValues,
  type ShapedValues,
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
