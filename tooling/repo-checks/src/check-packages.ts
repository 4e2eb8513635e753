/**
 * Checks every publishable package as npm would publish it: `npm pack`, then `publint --strict` (package.json
 * fields, exports, files that exist in the tarball) and `@arethetypeswrong/cli` (types resolve for node10, node16
 * CJS and ESM, bundlers; entry points offered to ES modules only, like a browser bundle, with attw's `esm-only`
 * profile) on the tarball. Run by `npm test` (this workspace's test script, after the packages are
 * built) and so by CI; exits 1 naming each package that fails.
 *
 * Usage: `npm run check-packages -w @caption/repo-checks`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PublishablePackage, packPackage, publishablePackages, repoRoot } from './packages';

const bin = (name: string): string => join(repoRoot, 'node_modules', '.bin', name);

interface PackageCheck {
  name: string;
  /** The command and its arguments, or `undefined` when the check does not apply to this package. */
  args: (tarball: string, pkg: PublishablePackage) => [string, string[]] | undefined;
}

const CHECKS: readonly PackageCheck[] = [
  { name: 'publint', args: (tarball) => [bin('publint'), ['run', tarball, '--strict']] },
  {
    name: 'attw',
    args: (tarball, pkg) => {
      const exclude = pkg.esmOnlyEntrypoints.length > 0 ? ['--exclude-entrypoints', ...pkg.esmOnlyEntrypoints] : [];
      return [bin('attw'), [tarball, '--format', 'ascii', ...exclude]];
    },
  },
  {
    name: 'attw (ES-module-only entry points)',
    args: (tarball, pkg) =>
      pkg.esmOnlyEntrypoints.length === 0
        ? undefined
        : [
            bin('attw'),
            [tarball, '--format', 'ascii', '--profile', 'esm-only', '--entrypoints', ...pkg.esmOnlyEntrypoints],
          ],
  },
];

const work = mkdtempSync(join(tmpdir(), 'caption-pack-'));
const failed: string[] = [];
try {
  for (const pkg of publishablePackages()) {
    let tarball: string;
    try {
      tarball = packPackage(pkg, work);
    } catch (error) {
      failed.push(`${pkg.name}: ${(error as Error).message}`);
      continue;
    }
    for (const check of CHECKS) {
      const invocation = check.args(tarball, pkg);
      if (invocation === undefined) continue;
      const [command, args] = invocation;
      const run = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      if (run.status === 0) {
        process.stdout.write(`${pkg.name}: ${check.name} ok\n`);
      } else {
        failed.push(`${pkg.name}: ${check.name} failed`);
        process.stdout.write(`${pkg.name}: ${check.name} FAILED\n${run.stdout}${run.stderr}\n`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failed.length > 0) {
  process.stderr.write(`check-packages: ${failed.length} failure(s):\n${failed.map((f) => `  ${f}`).join('\n')}\n`);
  process.exitCode = 1;
} else {
  process.stdout.write('check-packages: every package passes publint and attw\n');
}
