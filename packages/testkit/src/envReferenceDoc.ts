import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EnvSchema, envReference, renderEnvReference } from '@wallet/config';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The per-service reference of the environment (deploy/ documents each service's configuration there). */
export const configurationDoc = join(repoRoot, 'deploy', 'configuration.md');

/**
 * `service`'s section of deploy/configuration.md as written, and as its schema and doc comments make it. With
 * WALLET_UPDATE_DOCS=1 the section is rewritten first (then the two agree): a test compares them, so a variable added,
 * removed or re-described fails until the document is regenerated.
 * Every variable must have a doc comment: `undocumented` lists those without one.
 * @param sources repository-relative TypeScript files whose doc comments describe the schema's variables
 */
export function envReferenceSection(
  service: string,
  schema: EnvSchema,
  sources: readonly string[],
): { written: string; expected: string; undocumented: string[] } {
  const variables = envReference(
    schema,
    sources.map((s) => readFileSync(join(repoRoot, s), 'utf8')),
  );
  const undocumented = variables.filter((v) => v.description === '').map((v) => v.name);
  const expected = renderEnvReference(service, variables);
  const doc = readFileSync(configurationDoc, 'utf8');
  const begin = doc.indexOf(`<!-- env:${service}:begin -->`);
  const endMarker = `<!-- env:${service}:end -->`;
  const end = doc.indexOf(endMarker);
  if (begin < 0 || end < 0) return { written: `(no section for ${service} in deploy/configuration.md)`, expected, undocumented };
  if (process.env['WALLET_UPDATE_DOCS'] === '1') {
    writeFileSync(configurationDoc, doc.slice(0, begin) + expected + doc.slice(end + endMarker.length));
    return { written: expected, expected, undocumented };
  }
  return { written: doc.slice(begin, end + endMarker.length), expected, undocumented };
}
