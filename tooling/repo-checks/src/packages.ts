/**
 * The repository's publishable packages and their tarballs as `npm pack` makes them (what `npm publish` uploads).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A workspace under `packages/` that is not private. */
export interface PublishablePackage {
  /** Its npm name (`@caption/core`). */
  name: string;
  /** Its folder. */
  dir: string;
  /** Files its package.json points at (main, module, types, exports, bin) that must exist before packing. */
  entryFiles: string[];
  /**
   * Subpaths of `exports` offered to ES-module importers only (an `import` condition, no `require` or `default`),
   * such as `@caption/metrics/browser`: checked with attw's `esm-only` profile, the rest with `strict`.
   */
  esmOnlyEntrypoints: string[];
}

function entryFiles(manifest: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.startsWith('./dist/') || value.startsWith('dist/')) found.add(value.replace(/^\.\//, ''));
    } else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) walk(v);
  };
  for (const key of ['main', 'module', 'types', 'exports', 'bin']) walk(manifest[key]);
  return [...found];
}

function esmOnlyEntrypoints(manifest: Record<string, unknown>): string[] {
  const exportsField = manifest.exports;
  if (typeof exportsField !== 'object' || exportsField === null) return [];
  return Object.entries(exportsField as Record<string, unknown>)
    .filter(([, target]) => typeof target === 'object' && target !== null && 'import' in target)
    .filter(([, target]) => !('require' in (target as object)) && !('default' in (target as object)))
    .map(([subpath]) => subpath);
}

/** Every non-private workspace of `packages/`, by folder name. */
export function publishablePackages(): PublishablePackage[] {
  const root = join(repoRoot, 'packages');
  return readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'package.json')))
    .sort()
    .flatMap((name) => {
      const dir = join(root, name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      if (manifest.private === true) return [];
      return [
        {
          name: String(manifest.name),
          dir,
          entryFiles: entryFiles(manifest),
          esmOnlyEntrypoints: esmOnlyEntrypoints(manifest),
        },
      ];
    });
}

/**
 * Packs a package into `destination` with `npm pack` (after checking that its build outputs exist).
 *
 * @returns the tarball's path
 * @throws Error naming the missing build output (run `npm run build`)
 */
export function packPackage(pkg: PublishablePackage, destination: string): string {
  const missing = pkg.entryFiles.filter((file) => !existsSync(join(pkg.dir, file)));
  if (missing.length > 0) throw new Error(`${pkg.name}: ${missing.join(', ')} missing; build it first (npm run build)`);
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: pkg.dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out) as Array<{ filename: string }>;
  if (info === undefined) throw new Error(`${pkg.name}: npm pack reported no tarball`);
  return join(destination, info.filename);
}
