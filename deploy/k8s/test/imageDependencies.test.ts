import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestsRoot } from './loadManifests.js';

const repoRoot = join(manifestsRoot, '..', '..');

/** The packages an image's process can load: every package and service, whose runtime code lands in some image. */
const packageDirs = ['packages', 'services'].flatMap((top) => readdirSync(join(repoRoot, top)).map((name) => join(top, name)));

/**
 * The packages a source file loads at run time. With verbatimModuleSyntax, only `import type` / `export type`
 * disappear: `import { type X } from 'y'` still loads `y`.
 */
function runtimeImports(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/^(import|export)\s+(type\s)?[^'";]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
    if (m[2]) continue;
    const spec = (m[3] ?? m[4])!;
    if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    names.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  }
  return names;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !p.includes('/node_modules/'));
}

describe('image dependencies', () => {
  // `pnpm deploy --prod` puts into an image exactly the declared dependencies: a package that works in the workspace
  // because a neighbour's dependency happens to resolve would fail in the image with ERR_MODULE_NOT_FOUND (signsrv's
  // @wallet/keys did).
  it('every package declares in dependencies what its runtime code imports', () => {
    const undeclared: string[] = [];
    for (const dir of packageDirs) {
      const pkg = JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
      };
      for (const file of sourceFiles(join(repoRoot, dir, 'src'))) {
        for (const name of runtimeImports(readFileSync(file, 'utf8'))) {
          if (name !== pkg.name && !(name in (pkg.dependencies ?? {})))
            undeclared.push(`${dir}: ${name} (${file.slice(repoRoot.length + 1)})`);
        }
      }
    }
    expect([...new Set(undeclared)]).toEqual([]);
  });

  it('reads runtime imports as the compiler emits them', () => {
    expect(
      runtimeImports(
        "import { a } from '@wallet/keys';\nimport type { B } from 'zod';\nimport { type C } from 'ioredis';\nimport './x.js';",
      ),
    ).toEqual(['@wallet/keys', 'ioredis']);
    expect(runtimeImports("export { d } from '@scure/bip39/wordlists/english.js';\nimport 'reflect-metadata';")).toEqual([
      '@scure/bip39',
      'reflect-metadata',
    ]);
  });
});
