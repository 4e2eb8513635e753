#!/usr/bin/env node
// Adds lock-file entries for platform-specific optional dependencies that the npm registry reachable
// from this machine does not serve (e.g. @rollup/rollup-darwin-x64, @turbo/windows-64: 404 here).
//
// Why: `npm install` silently leaves such packages out of package-lock.json when their manifests
// cannot be fetched, and `npm ci` then refuses the lock ("Missing: @rollup/rollup-android-arm-eabi@ from
// lock file"). An entry with the version and the package's os/cpu lets `npm ci` skip it on this platform
// without fetching anything; on a platform that needs it, npm resolves it from the registry by version.
//
// Usage: node tooling/scripts/complete-lockfile.mjs [--check]   (run after any `npm install`)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const lockPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package-lock.json');
const check = process.argv.includes('--check');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const OS = {
  android: 'android',
  darwin: 'darwin',
  freebsd: 'freebsd',
  linux: 'linux',
  openbsd: 'openbsd',
  openharmony: 'openharmony',
  netbsd: 'netbsd',
  sunos: 'sunos',
  aix: 'aix',
  win32: 'win32',
  windows: 'win32',
};
const CPU = {
  arm64: 'arm64',
  arm: 'arm',
  x64: 'x64',
  64: 'x64',
  ia32: 'ia32',
  loong64: 'loong64',
  ppc64: 'ppc64',
  riscv64: 'riscv64',
  s390x: 's390x',
  mips64el: 'mips64el',
};

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.map((p) => OS[p]).find(Boolean);
  const cpu = parts
    .slice(1)
    .map((p) => CPU[p])
    .find(Boolean);
  if (!os || !cpu) throw new Error(`complete-lockfile: cannot tell the platform of ${name}; add it by hand`);
  return { os: [os], cpu: [cpu] };
}

/** Where npm would look for `dep` required from the package at `path`: nested first, then each ancestor. */
function isPresent(path, dep) {
  let base = path;
  for (;;) {
    if (packages[`${base ? `${base}/` : ''}node_modules/${dep}`]) return true;
    if (!base) return false;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
    if (!base.includes('node_modules')) base = '';
  }
}

const added = [];
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    if (isPresent(path, dep)) continue;
    const key = `node_modules/${dep}`;
    if (packages[key]) continue;
    packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platformOf(dep) };
    added.push(`${dep}@${version}`);
  }
}
if (check) {
  if (added.length > 0) {
    console.error(
      `package-lock.json lacks ${added.length} optional platform entries (${added.join(', ')}); run node tooling/scripts/complete-lockfile.mjs`,
    );
    process.exit(1);
  }
  process.exit(0);
}
if (added.length > 0) {
  const sorted = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
  );
  lock.packages = sorted;
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(added.length > 0 ? `added ${added.length} entries: ${added.join(', ')}` : 'package-lock.json is complete');
