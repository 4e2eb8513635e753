/**
 * What a user's `npm install` of each package costs: the package is packed (`npm pack`, with the `@caption`
 * packages it depends on, which are not on the registry yet), installed into a new empty project in a temporary
 * folder (dependencies from the registry, as a user gets them), and its `node_modules` measured: bytes of its
 * files (apparent size, MB = 10^6 bytes), disk use (`du`), and the number of packages. Needs the npm registry; not
 * part of CI. The README of the repository records the numbers.
 *
 * Usage: `npm run install-size -w @caption/repo-checks [-- @caption/core @caption/metrics ...]`
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackage, type PublishablePackage, publishablePackages } from './packages';

/** Bytes of the regular files under `dir` (symbolic links not followed) and the `package.json` files of packages. */
function measure(dir: string): { bytes: number; packages: number } {
  let bytes = 0;
  let packages = 0;
  const walk = (d: string, depth: number): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.isFile()) {
        bytes += lstatSync(path).size;
        if (entry.name === 'package.json' && /node_modules\/(@[^/]+\/)?[^/@]+$/.test(d)) packages += 1;
      }
    }
  };
  walk(dir, 0);
  return { bytes, packages };
}

/** The `@caption` packages `pkg` needs (itself first), from the package.json dependencies. */
function withLocalDependencies(pkg: PublishablePackage, all: readonly PublishablePackage[]): PublishablePackage[] {
  const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const local = Object.keys(manifest.dependencies ?? {}).flatMap((name) => all.filter((p) => p.name === name));
  return [pkg, ...local.flatMap((p) => withLocalDependencies(p, all).filter((q) => q !== pkg))];
}

const all = publishablePackages();
const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = asked.length === 0 ? all : all.filter((p) => asked.includes(p.name));
const work = mkdtempSync(join(tmpdir(), 'caption-install-size-'));
const rows: string[] = [];
try {
  const tarballs = new Map(all.map((p) => [p.name, packPackage(p, work)]));
  for (const pkg of chosen) {
    const project = mkdtempSync(join(work, 'project-'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'install-size', private: true }));
    const needed = [...new Set(withLocalDependencies(pkg, all).map((p) => tarballs.get(p.name) as string))];
    const started = performance.now();
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...needed], {
      cwd: project,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const seconds = (performance.now() - started) / 1000;
    const modules = join(project, 'node_modules');
    const { bytes, packages } = measure(modules);
    const disk = Number(execFileSync('du', ['-sk', modules], { encoding: 'utf8' }).split('\t')[0]) * 1024;
    const names = withLocalDependencies(pkg, all)
      .map((p) => p.name)
      .join(' + ');
    rows.push(
      `| ${names} | ${(bytes / 1e6).toFixed(1)} MB | ${(disk / 1e6).toFixed(1)} MB | ${packages} | ${seconds.toFixed(0)} s |`,
    );
    process.stdout.write(`${rows[rows.length - 1]}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(
  `\n| installed (npm install of the packed tarballs) | node_modules, bytes of files | disk use (du) | packages | npm install time |\n|---|---:|---:|---:|---:|\n${rows.join('\n')}\n`,
);
