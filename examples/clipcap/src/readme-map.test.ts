/** Every file the README's concept → file table links to exists. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingMapTargets, readReadme } from '@caption/test-support';
import { expect, it } from 'vitest';

const exampleRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

it('README links only to files that exist (the concept → file table)', () => {
  expect(missingMapTargets(readReadme(exampleRoot), exampleRoot)).toEqual([]);
});
