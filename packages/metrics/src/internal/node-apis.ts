/**
 * Node's built-in modules reached through `process.getBuiltinModule` (Node >= 20.16) rather than imported, so
 * that the package's entry stays loadable in browsers (the file-reading parts of METEOR, WMD and SPICE use
 * them; scoring does not); environment variables; and where a pycocoevalcap installation may hold the data
 * files of METEOR and SPICE.
 *
 * @internal
 */
import type * as ChildProcessModule from 'node:child_process';
import type * as FsModule from 'node:fs';
import type * as OsModule from 'node:os';
import type * as PathModule from 'node:path';
import type * as ZlibModule from 'node:zlib';
import { MetricsInputError } from '../errors';

/** The Node modules the file-reading parts use. */
export interface NodeApis {
  fs: typeof FsModule;
  path: typeof PathModule;
  os: typeof OsModule;
  zlib: typeof ZlibModule;
  childProcess: typeof ChildProcessModule;
}

/**
 * Node's modules, or a {@link MetricsInputError} saying `needsNode` (naming `field`) where there is no
 * `process.getBuiltinModule` (a browser, an old Node).
 */
export function nodeBuiltins(needsNode: string, field: string): NodeApis {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.getBuiltinModule !== 'function') throw new MetricsInputError(needsNode, { field });
  const get = (id: string): unknown => proc.getBuiltinModule?.(id);
  return {
    fs: get('node:fs') as typeof FsModule,
    path: get('node:path') as typeof PathModule,
    os: get('node:os') as typeof OsModule,
    zlib: get('node:zlib') as typeof ZlibModule,
    childProcess: get('node:child_process') as typeof ChildProcessModule,
  };
}

/** An environment variable, `undefined` when unset or empty (or where there is no `process`). */
export function env(name: string): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The entries of a folder, none when it cannot be read. */
export function safeList(fs: typeof FsModule, folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch {
    return [];
  }
}

/** The folders Python packages may be installed in on this machine, most specific first. */
export function sitePackageFolders(node: NodeApis): string[] {
  const { fs, path, os } = node;
  const home = os.homedir();
  const folders: string[] = [];
  for (const entry of (env('PYTHONPATH') ?? '').split(path.delimiter)) if (entry !== '') folders.push(entry);
  const prefixes = [env('VIRTUAL_ENV'), env('CONDA_PREFIX')].filter((p): p is string => p !== undefined);
  prefixes.push(
    path.join(home, '.local'),
    ...['miniconda3', 'anaconda3', 'miniforge3', 'mambaforge'].map((name) => path.join(home, name)),
    '/usr/local',
    '/usr',
    '/opt/conda',
  );
  const pyenv = path.join(home, '.pyenv', 'versions');
  for (const version of safeList(fs, pyenv)) prefixes.push(path.join(pyenv, version));
  for (const prefix of prefixes) {
    const lib = path.join(prefix, 'lib');
    for (const name of safeList(fs, lib)) {
      if (!name.startsWith('python3')) continue;
      folders.push(path.join(lib, name, 'site-packages'), path.join(lib, name, 'dist-packages'));
    }
    folders.push(path.join(prefix, 'Lib', 'site-packages'));
  }
  folders.push('/usr/lib/python3/dist-packages');
  // Windows: per-user installs (%APPDATA%\Python\Python3x) and python.org installers (%LOCALAPPDATA%\Programs\Python).
  const appData = env('APPDATA');
  const localAppData = env('LOCALAPPDATA');
  const windowsBases = [
    ...(appData === undefined ? [] : [path.join(appData, 'Python')]),
    ...(localAppData === undefined ? [] : [path.join(localAppData, 'Programs', 'Python')]),
  ];
  for (const base of windowsBases) {
    for (const name of safeList(fs, base)) {
      folders.push(path.join(base, name, 'site-packages'), path.join(base, name, 'Lib', 'site-packages'));
    }
  }
  return [...new Set(folders)];
}

/**
 * `pycocoevalcap/<parts>` in the working directory (a coco-caption checkout), `./coco-caption`, or a Python
 * installation; the folders looked in are appended to `searched`.
 */
export function findInPycocoevalcap(node: NodeApis, parts: readonly string[], searched: string[]): string | null {
  const { fs, path } = node;
  const cwd = process.cwd();
  const roots = [cwd, path.join(cwd, 'coco-caption'), ...sitePackageFolders(node)];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    searched.push(root);
    const found = path.join(root, 'pycocoevalcap', ...parts);
    if (fs.existsSync(found)) return found;
  }
  return null;
}
