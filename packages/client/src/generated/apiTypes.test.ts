import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiTypesSource, generatedTypesPath, readApiDocument } from '../../scripts/apiTypes.js';

// The SDK's types come from the gateway's own OpenAPI document: this fails as soon as a route, field or value list
// changes in gatesrv without `pnpm -F @wallet/client gen` (and the SDK still compiling against the new types).
describe('src/generated/api.ts', () => {
  it('is what the gateway’s current OpenAPI document generates (run `pnpm -F @wallet/client gen`)', async () => {
    const document = await readApiDocument();
    expect(document.openapi).toBe('3.1.0');
    const committed = readFileSync(generatedTypesPath, 'utf8');
    const regenerated = await apiTypesSource(document);
    expect(committed === regenerated, 'src/generated/api.ts is stale: run `pnpm -F @wallet/client gen`').toBe(true);
  }, 60_000);
});
