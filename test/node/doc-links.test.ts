import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/adapters/node/files.ts';

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? undefined : /^#{1,6} (.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading.replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Links outside code: `[text](target)`, the target relative or an anchor. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((target) => !/^[a-z]+:/.test(target));
}

async function documents(): Promise<string[]> {
  const docs = (await readdir(join(PROJECT_ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => join('docs', f));
  return ['README.md', 'CHANGELOG.md', 'CONTRIBUTING.md', ...docs].filter((f) => existsSync(join(PROJECT_ROOT, f)));
}

describe('the documentation', () => {
  it('links only to files and headings that exist', async () => {
    const broken: string[] = [];
    for (const file of await documents()) {
      const markdown = await readFile(join(PROJECT_ROOT, file), 'utf8');
      for (const target of linksOf(markdown)) {
        const [path = '', anchor] = target.split('#');
        const linked = path === '' ? join(PROJECT_ROOT, file) : join(PROJECT_ROOT, dirname(file), path);
        if (!existsSync(linked)) {
          broken.push(`${file}: ${target} (no file ${relative(PROJECT_ROOT, linked)})`);
          continue;
        }
        if (anchor !== undefined && linked.endsWith('.md') && !anchorsOf(await readFile(linked, 'utf8')).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps the README a front page, with the depth in docs/', async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(400);
    for (const file of await documents()) if (file.startsWith('docs/')) expect(readme, file).toContain(`](${file})`);
  });
});
