import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '../..');
const DOCUMENTS = [
  'README.md',
  'infra/README.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');

function headingsOf(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '');
  return [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim());
}

/** Every problem with the links and section references of one document. */
export function deadEnds(
  file: string,
  markdown: string,
  exists: (path: string) => boolean,
  /** Headings of the other pages: a section named in prose may be on any of them. */
  elsewhere: readonly string[] = [],
) {
  const headings = headingsOf(markdown);
  const anchors = new Set(headings.map(slug));
  const problems: string[] = [];
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target!)) continue; // an address elsewhere
    const [path, anchor] = target!.split('#');
    if (path) {
      if (!exists(join(dirname(file), path))) problems.push(`${file}: no file ${path}`);
    } else if (anchor !== undefined && !anchors.has(anchor))
      problems.push(`${file}: no section #${anchor}`);
  }
  // Sections named in prose or code comments: see "X", as in "X", (README, "X").
  for (const [, name] of markdown.matchAll(/(?:see|as in|README,) "([^"]+)"/gi)) {
    const named = (h: string) =>
      h === name || h.startsWith(`${name}:`) || h.startsWith(`${name} (`);
    if (!headings.some(named) && !elsewhere.some(named))
      problems.push(`${file}: no section "${name}"`);
  }
  // Documents named in prose must be in the repository.
  for (const [, doc] of prose.matchAll(/\b([A-Za-z][\w./-]*\.md)\b/g)) {
    if (!exists(join(dirname(file), doc!)) && !exists(doc!))
      problems.push(`${file}: no document ${doc}`);
  }
  return problems;
}

describe('the documentation has no dead ends', () => {
  it.each(DOCUMENTS)('%s: every link, section and document it names exists', (file) => {
    const markdown = readFileSync(join(ROOT, file), 'utf8');
    const elsewhere = DOCUMENTS.filter((d) => d !== file).flatMap((d) =>
      headingsOf(readFileSync(join(ROOT, d), 'utf8')),
    );
    expect(deadEnds(file, markdown, (p) => existsSync(join(ROOT, p)), elsewhere)).toEqual([]);
  });

  it('finds a dead link, a missing section and a missing document', () => {
    const markdown = [
      '# Title',
      '## Real section',
      'See [it](#real-section), [gone](#gone), [file](missing.txt) and CONTRACT.md.',
      'Built as in "Create a device with the official SDK"; see "Real section".',
    ].join('\n');
    expect(deadEnds('README.md', markdown, () => false)).toEqual([
      'README.md: no section #gone',
      'README.md: no file missing.txt',
      'README.md: no section "Create a device with the official SDK"',
      'README.md: no document CONTRACT.md',
    ]);
  });
});
