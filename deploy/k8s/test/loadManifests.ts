import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** deploy/k8s, the root kustomization. */
export const manifestsRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** One object of a manifest file, as parsed (no defaults filled in). */
export type Manifest = {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
  /** Where it came from, relative to deploy/k8s. */
  readonly file: string;
};

export type Kustomization = {
  readonly dir: string;
  readonly resources: readonly string[];
  readonly images: readonly { readonly name: string; readonly newName?: string; readonly newTag?: string }[];
  readonly namespace?: string;
};

/**
 * Reads the kustomization trees from deploy/k8s and deploy/k8s/tools (resources that are directories are followed) and
 * every object of the files they list. What kustomize adds (namespace, common labels, image names) is not applied: the tests read the
 * objects as written, which is what a reviewer reads too.
 * @throws Error for a YAML syntax error, naming the file
 */
export function loadManifests(
  root: string = manifestsRoot,
  trees: readonly string[] = ['.', 'tools'],
): { objects: Manifest[]; kustomizations: Kustomization[]; files: string[] } {
  const objects: Manifest[] = [];
  const kustomizations: Kustomization[] = [];
  const files: string[] = [];
  const visit = (dir: string) => {
    const k = parseOne(join(dir, 'kustomization.yaml')) as Partial<Kustomization>;
    const kustomization: Kustomization = {
      dir: relative(root, dir),
      resources: k.resources ?? [],
      images: k.images ?? [],
      ...(k.namespace ? { namespace: k.namespace } : {}),
    };
    kustomizations.push(kustomization);
    for (const resource of kustomization.resources) {
      const path = join(dir, resource);
      if (!resource.endsWith('.yaml')) {
        visit(path);
        continue;
      }
      const file = relative(root, path);
      files.push(file);
      for (const doc of parseAll(path)) objects.push({ ...(doc as Record<string, unknown>), file } as Manifest);
    }
  };
  for (const tree of trees) visit(join(root, tree));
  return { objects, kustomizations, files };
}

/** Every .yaml file under `root` (but kustomization.yaml and node_modules), relative to it. */
export function yamlFilesUnder(root: string = manifestsRoot): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.yaml') && entry.name !== 'kustomization.yaml') found.push(relative(root, path));
    }
  };
  walk(root);
  return found.sort();
}

function parseAll(path: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(path, 'utf8'));
  const out: unknown[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function parseOne(path: string): unknown {
  const [doc] = parseAll(path);
  return doc ?? {};
}
