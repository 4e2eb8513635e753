/**
 * Every relative link of every Markdown file in the repository (READMEs, docs, fixture notes) points at a file or
 * folder that exists, and a `#fragment` at a heading of the file it names. Links to the web are not fetched; links
 * that leave the repository (`../shared/...`) are checked only when that place exists beside it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './packages';

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (outside code fences), with GitHub's -1, -2 for repeats. */
function anchors(text: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1] as string);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The link targets of a Markdown file: `[text](target)`, `![alt](target)`, `<a href>`/`<img src>`; code excluded. */
function linkTargets(text: string): string[] {
  const prose = text.replace(/^(```|~~~)[\s\S]*?^\1/gm, '').replace(/`[^`\n]*`/g, '');
  const targets = [...prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map(
    (m) => m[1] as string,
  );
  targets.push(...[...prose.matchAll(/<(?:a|img)\s[^>]*(?:href|src)="([^"]+)"/g)].map((m) => m[1] as string));
  return targets;
}

const markdownFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], {
  cwd: repoRoot,
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f !== '' && existsSync(join(repoRoot, f)));

describe('relative links of the Markdown files', () => {
  it('finds the READMEs', () => {
    expect(markdownFiles).toContain('README.md');
    expect(markdownFiles.filter((f) => f.endsWith('README.md')).length).toBeGreaterThan(5);
  });

  for (const file of markdownFiles) {
    it(`${file}: every relative link resolves`, () => {
      const text = readFileSync(join(repoRoot, file), 'utf8');
      const broken: string[] = [];
      for (const target of linkTargets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, data:
        const [pathPart, fragment] = target.split('#', 2) as [string, string | undefined];
        const path = pathPart === '' ? join(repoRoot, file) : resolve(repoRoot, dirname(file), decodeURI(pathPart));
        if (relative(repoRoot, path).startsWith('..')) {
          // outside the repository (../shared): checked where that folder exists
          const top = relative(resolve(repoRoot, '..'), path).split(sep)[0] ?? '';
          if (!existsSync(resolve(repoRoot, '..', top))) continue;
        }
        if (!existsSync(path)) {
          broken.push(`${target}: ${relative(repoRoot, path)} does not exist`);
          continue;
        }
        if (fragment !== undefined && fragment !== '' && path.endsWith('.md') && statSync(path).isFile()) {
          if (!anchors(readFileSync(path, 'utf8')).has(fragment.toLowerCase()))
            broken.push(`${target}: no heading "#${fragment}" in ${relative(repoRoot, path)}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
