/**
 * Helpers shared by this package's tests (not exported): the AoANet reference fixture folders (the shared
 * one and those committed here, located and gated by `@caption/test-support`), their safetensors files as
 * tensors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, type SafetensorsFile } from '@caption/core';
import { describeWithFiles, type FixtureFolder, fixtureFolder } from '@caption/test-support';

/** The reference fixture folder: `$AOANET_REFERENCE_DIR`, else `<shared data>/aoanet-reference`. */
export function referenceFolder(): FixtureFolder {
  return fixtureFolder('AOANET_REFERENCE_DIR', 'aoanet-reference');
}

/** The path of {@link referenceFolder}. */
export function referenceDir(): string {
  return referenceFolder().dir;
}

/**
 * The reference fixture folders committed with this package (other option sets, made by
 * `fixtures/make-fixtures.py`): their tests need nothing outside the repository.
 */
export function committedVariantFolders(): FixtureFolder[] {
  const root = fileURLToPath(new URL('../fixtures/', import.meta.url));
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name.startsWith('variant-'))
    .map((e) => committedFolder(e.name));
}

/** A fixture folder committed under this package's `fixtures/`. */
export function committedFolder(name: string): FixtureFolder {
  return {
    dir: fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)),
    hint: 'committed with @caption/models-aoa; see fixtures/README.md',
    label: 'committed fixture folder',
  };
}

/**
 * A `describe` block that runs when every listed file exists in `folder` (default {@link referenceFolder});
 * otherwise skipped with the reason in its title (never counted as passing), or failing under CI.
 */
export function describeWithReference(
  title: string,
  files: readonly string[],
  body: () => void,
  folder: FixtureFolder = referenceFolder(),
): void {
  describeWithFiles(title, folder, files, body);
}

/** A parsed safetensors fixture with typed accessors. */
export interface Fixture {
  file: SafetensorsFile;
  /** The raw values of one entry (throws when absent). */
  data(name: string): Float32Array | Int32Array;
  /** The shape of one entry. */
  shape(name: string): number[];
  /** A new tensor for one entry (float32 or int32 as stored). */
  tensor(name: string): tf.Tensor;
  /** Entry names that start with `prefix`, with the prefix removed. */
  names(prefix: string): string[];
  /** `prefix + name → tensor` for every entry under `prefix`, keyed without the prefix (new tensors). */
  tensors(prefix: string): Map<string, tf.Tensor>;
}

/** Reads and parses `<dir>/<name>` (default: {@link referenceDir}). */
export function readFixture(name: string, dir = referenceDir()): Fixture {
  const path = join(dir, name);
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const entry = (n: string) => {
    const e = file.tensors.get(n);
    if (e === undefined) throw new Error(`${path}: no tensor '${n}'`);
    if (!(e.data instanceof Float32Array) && !(e.data instanceof Int32Array))
      throw new Error(`${path}: '${n}' is ${e.dtype}, expected F32/I32`);
    return { shape: [...e.shape], data: e.data };
  };
  const names = (prefix: string) =>
    [...file.tensors.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  const tensor = (n: string) => {
    const e = entry(n);
    return tf.tensor(e.data, e.shape, e.data instanceof Int32Array ? 'int32' : 'float32');
  };
  return {
    file,
    data: (n) => entry(n).data,
    shape: (n) => entry(n).shape,
    tensor,
    names,
    tensors: (prefix) => new Map(names(prefix).map((n) => [n, tensor(prefix + n)])),
  };
}

/** Reads `<dir>/<name>` as JSON (default: {@link referenceDir}). */
export function readReferenceJson<T>(name: string, dir = referenceDir()): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}
