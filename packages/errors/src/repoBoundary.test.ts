import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Nothing in the repository reads files outside it: a clean clone anywhere must build and test. The contract with
// clients, for one, is docs/api.md, not a file beside the checkout. This scans the source, script and config files
// for paths that leave the repository: a relative path climbing above its root, an absolute path under the directory
// the team's checkouts live in (/work), or a path into a `shared` directory beside the checkout.

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/[\\/]$/, '');
const thisFile = fileURLToPath(import.meta.url);

/** Files whose text can name a path that code or a script opens. */
const scanned = /\.(ts|mts|cts|js|mjs|cjs|sh|json|ya?ml)$/;
/** pnpm's lockfile links workspace packages relative to each importer (`../errors`): not reads. */
const notScanned = new Set(['pnpm-lock.yaml']);
const skippedDirs = new Set(['node_modules', '.git', 'dist', '.stack', 'coverage']);

/** A run of `../` (or `..\`) and what follows it up to the end of the literal. */
const relativePath = /(?:\.\.[\\/])+[^\s'"`),;]*/g;
/** Consecutive `'..'` arguments, as in `join(__dirname, '..', '..', 'x')`. */
const dotDotArgs = /(['"`])\.\.\1(?:\s*,\s*(['"`])\.\.\2)*/g;
/** Absolute paths into the directory that holds the checkouts, spelled in parts so this file does not match itself. */
const workPath = new RegExp(`(?<![\\w.-])${['', 'work', ''].join('\\/')}[\\w.-]`, 'g');
/** A `shared` directory reached by climbing: there is none inside the repository. */
const climbToShared = /(?:\.\.[\\/])+shared\b/g;

/**
 * Paths in one file's text that point outside the repository.
 * @param file absolute path of the file (relative paths are resolved against its directory)
 * @param text its content
 * @param root the repository root
 * @returns each offending path as written
 */
function pathsOutside(file: string, text: string, root: string): string[] {
  const dir = dirname(file);
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  const found: string[] = [];
  for (const m of text.matchAll(relativePath)) {
    if (!inside(resolve(dir, m[0]))) found.push(m[0]);
  }
  for (const m of text.matchAll(dotDotArgs)) {
    const ups = (m[0].match(/\.\./g) ?? []).length;
    if (!inside(resolve(dir, ...Array<string>(ups).fill('..')))) found.push(m[0]);
  }
  for (const m of text.matchAll(workPath)) found.push(m[0]);
  for (const m of text.matchAll(climbToShared)) if (!found.some((f) => f.startsWith(m[0]))) found.push(m[0]);
  return found;
}

/** The repository's files: git's view (tracked and not ignored) when this is a checkout, else a walk. */
function repositoryFiles(root: string): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
    return out
      .split('\0')
      .filter((f) => f !== '')
      .map((f) => join(root, f));
  } catch {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) {
          if (!skippedDirs.has(entry.name)) walk(join(dir, entry.name));
        } else if (entry.isFile()) files.push(join(dir, entry.name));
      }
    };
    walk(root);
    return files;
  }
}

describe('repository boundary', () => {
  it('no source, script or config file names a path outside the repository', () => {
    const files = repositoryFiles(repoRoot).filter(
      (f) => scanned.test(f) && !notScanned.has(relative(repoRoot, f)) && f !== thisFile && !f.split(sep).includes('node_modules'),
    );
    expect(files.length).toBeGreaterThan(100);
    const offences: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue; // listed by git but deleted in the working tree
      }
      for (const p of pathsOutside(file, text, repoRoot)) offences.push(`${relative(repoRoot, file)}: ${p}`);
    }
    expect(offences).toEqual([]);
  });

  describe('pathsOutside', () => {
    const root = '/repo';
    const file = '/repo/packages/errors/src/x.test.ts';

    it.each([
      [`readFileSync(new URL('../../../../shared/API.md', import.meta.url))`, '../../../../shared/API.md'],
      [`const p = '../../../../../etc/passwd';`, '../../../../../etc/passwd'],
      [`join(__dirname, '..', '..', '..', '..', 'shared')`, `'..', '..', '..', '..'`],
      [`readFileSync('${['', 'work', 'shared', 'API.md'].join('/')}')`, `${['', 'work', ''].join('/')}s`],
      [`cat "$ROOT/../shared/API.md"`, '../shared'],
    ])('finds %s', (text, offending) => {
      expect(pathsOutside(file, text, root)).toContain(offending);
    });

    it.each([
      `readFileSync(new URL('../../../docs/api.md', import.meta.url))`,
      `import { x } from '../../ids/src/index.js';`,
      `join(__dirname, '..', '..', 'docs')`,
      `cd "$(dirname "$0")/../.."`,
      `const home = '/workspace/x'; // not the checkouts' directory`,
    ])('accepts %s', (text) => {
      expect(pathsOutside(file, text, root)).toEqual([]);
    });
  });
});
