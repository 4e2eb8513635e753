/**
 * Running the TypeScript examples of a README (or any markdown document) as they are written, so that the
 * documentation cannot drift from the code: the fenced ```` ```ts ```` blocks of chosen `## ` sections are
 * written to a file, the package's import is pointed at its source, and the file runs in a child Node
 * process through tsx.
 *
 * @example
 * ```ts
 * const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
 * typescriptBlocks(markdownSection(readme, 'Layers')).forEach((code, i) => {
 *   const run = runTypeScriptExample(code, {
 *     dir: join(packageRoot, 'node_modules', '.cache', 'readme-examples'),
 *     name: `layers-${i}`,
 *     replace: { "from '@caption/core'": `from '${join(packageRoot, 'src', 'index.ts')}'` },
 *   });
 *   expect(run.status, run.stderr).toBe(0);
 * });
 * ```
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The `## title` section of a markdown document: from its heading to the next `## ` heading (or the end);
 * `''` when the document has no such section. `title` is the heading's whole text.
 */
export function markdownSection(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) return '';
  const next = markdown.indexOf('\n## ', start + title.length + 5);
  return markdown.slice(start, next < 0 ? undefined : next);
}

/** The code of every fenced ```` ```ts ```` block of a markdown text, in document order. */
export function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** Options of {@link runTypeScriptExample}. */
export interface TypeScriptExampleOptions {
  /**
   * Folder the example is written to; created when missing. Put it inside the package (e.g. its
   * `node_modules/.cache/...`, which git ignores) so that the example's imports resolve from there.
   */
  dir: string;
  /** Name of the example's file (`<name>.mts`), removed after the run. */
  name: string;
  /** Text replaced in the code before it runs, e.g. the package's import by the path of its `src/index.ts`. */
  replace?: Readonly<Record<string, string>>;
  /** Working directory of the child process. Default: the current one. */
  cwd?: string;
  /** Environment variables set (or, with `undefined`, removed) for the child, on top of this process's. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Time limit in milliseconds. Default 60,000. */
  timeoutMs?: number;
  /** Node's arguments before the file. Default `['--import', 'tsx']`. */
  nodeArgs?: readonly string[];
}

/** What a child process run of an example gave. */
export interface TypeScriptExampleRun {
  /** Exit status (`null` when the process was killed, e.g. at the time limit). */
  status: number | null;
  /** Its standard output. */
  stdout: string;
  /** Its standard error (the stack trace of a failure). */
  stderr: string;
}

/** Runs TypeScript code as an ES module in a child Node process (`node --import tsx`) and returns its outcome. */
export function runTypeScriptExample(code: string, options: TypeScriptExampleOptions): TypeScriptExampleRun {
  mkdirSync(options.dir, { recursive: true });
  const file = join(options.dir, `${options.name}.mts`);
  let source = code;
  for (const [from, to] of Object.entries(options.replace ?? {})) source = source.replaceAll(from, to);
  writeFileSync(file, source);
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  try {
    const run = spawnSync(process.execPath, [...(options.nodeArgs ?? ['--import', 'tsx']), file], {
      encoding: 'utf8',
      cwd: options.cwd,
      env,
      timeout: options.timeoutMs ?? 60_000,
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(file, { force: true });
  }
}
