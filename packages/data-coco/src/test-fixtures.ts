/** Paths of the package's committed test fixtures (made by `fixtures/make-fixtures.py`). Test-only. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file under `packages/data-coco/fixtures/`. */
export function fixturePath(...parts: string[]): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', ...parts);
}

/** Parsed JSON of a fixture file. */
export function readFixtureJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(fixturePath(...parts), 'utf8')) as T;
}
