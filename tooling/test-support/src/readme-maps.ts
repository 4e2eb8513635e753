/**
 * What a package README promises, checked: every file its "Where things are" table links to exists (and every
 * `#anchor` names a heading of the linked markdown file), and a runnable example prints what the README shows
 * in the ```` ```text ```` block right after it, so changing a number in the README fails its test.
 *
 * @example
 * ```ts
 * const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
 * expect(missingMapTargets(readme, packageRoot)).toEqual([]);
 * for (const { code, output } of documentedExamples(markdownSection(readme, 'Example'))) { ... }
 * ```
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { markdownSection } from './readme-examples';

/** The title of the README section holding the concept → file table. */
export const MAP_SECTION = 'Where things are';

/** The relative link targets (`path` or `path#anchor`) of a markdown text's table rows. */
export function tableLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (!/^[a-z]+:/i.test(target) && !target.startsWith('#')) links.push(target);
    }
  }
  return links;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * The targets of the README's "Where things are" table that do not exist under `root` (the README's folder),
 * with `#anchor`s checked against the headings of markdown targets; a README without the table gives
 * `['(no "## Where things are" table)']`.
 */
export function missingMapTargets(readme: string, root: string): string[] {
  const links = tableLinks(markdownSection(readme, MAP_SECTION));
  if (links.length === 0) return [`(no "## ${MAP_SECTION}" table)`];
  const missing: string[] = [];
  for (const link of links) {
    const [path, anchor] = link.split('#') as [string, string | undefined];
    const file = resolve(root, path);
    if (!existsSync(file)) {
      missing.push(link);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!statSync(file).isFile() || !file.endsWith('.md')) {
      missing.push(`${link} (an anchor into a file that is not markdown)`);
      continue;
    }
    const headings = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => headingAnchor(l.replace(/^#+ /, '')));
    if (!headings.includes(anchor)) missing.push(`${link} (no such heading)`);
  }
  return missing;
}

/** A runnable example of a markdown text and, when a ```` ```text ```` block follows it directly, what it prints. */
export interface DocumentedExample {
  code: string;
  output: string | null;
}

/** The ```` ```ts ```` blocks of a markdown text, each with the ```` ```text ```` block that follows it, if any. */
export function documentedExamples(markdown: string): DocumentedExample[] {
  // only prose may stand between the code and its output, no other block
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```(?:(?:(?!```)[\s\S])*?```text\n([\s\S]*?)```)?/g)].map((m) => ({
    code: m[1] as string,
    output: m[2] ?? null,
  }));
}

/** Lines with trailing spaces removed and surrounding blank lines dropped, to compare printed text. */
export function printedLines(text: string): string[] {
  const lines = text.split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[0] === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `join(root, 'README.md')`, read. */
export function readReadme(root: string): string {
  return readFileSync(join(root, 'README.md'), 'utf8');
}
