import type { EnvSchema } from './loadEnvConfig.js';

/** One variable of a service's configuration, as deploy/configuration.md lists it. */
export type EnvVariable = { readonly name: string; readonly value: string; readonly description: string };

/**
 * The reference of a service's environment: every variable its schema accepts, what it takes when unset (its default,
 * `optional` or `required`), and the doc comment written above it in `sources` (the TypeScript files that declare the
 * schema's fields: the service's config.ts and the shared schemas it spreads in). Variables come from the schema itself,
 * so a variable cannot be accepted and go unlisted.
 */
export function envReference(schema: EnvSchema, sources: readonly string[]): EnvVariable[] {
  const comments = new Map<string, string>();
  for (const source of sources) {
    for (const m of source.matchAll(/\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*\n?\s*([A-Z][A-Z0-9_]+)\s*:/g)) {
      const text = (m[1] ?? '')
        .split('\n')
        .map((l) => l.replace(/^\s*\*\s?/, '').trim())
        .filter((l) => l.length > 0)
        .join(' ');
      if (!comments.has(m[2]!)) comments.set(m[2]!, text);
    }
  }
  return Object.keys(schema.shape)
    .sort()
    .map((name) => ({ name, value: unsetValue(schema, name), description: comments.get(name) ?? '' }));
}

/** What `name` is when the environment does not set it. */
function unsetValue(schema: EnvSchema, name: string): string {
  const field = schema.shape[name]!;
  const parsed = field.safeParse(undefined);
  if (!parsed.success) return 'required';
  if (parsed.data === undefined) return 'optional';
  const shown =
    typeof parsed.data === 'string' ? parsed.data : JSON.stringify(parsed.data, (_k, v: unknown) => (v instanceof Map ? '…' : v));
  return shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
}

/** The markdown table of `variables`, between the markers deploy/configuration.md keeps for `service`. */
export function renderEnvReference(service: string, variables: readonly EnvVariable[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `<!-- env:${service}:begin -->`,
    '| variable | when unset | what it is |',
    '| --- | --- | --- |',
    ...variables.map((v) => `| \`${v.name}\` | ${v.value === '' ? '(empty)' : `\`${cell(v.value)}\``} | ${cell(v.description) || '-'} |`),
    `<!-- env:${service}:end -->`,
  ].join('\n');
}
