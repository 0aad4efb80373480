// `pnpm -F @wallet/client gen`: regenerates src/generated/api.ts from the gateway's current OpenAPI document.
// src/generated/apiTypes.test.ts fails while the committed file differs from what this writes.
import { writeFile } from 'node:fs/promises';
import { apiTypesSource, generatedTypesPath, readApiDocument } from './apiTypes.js';

const source = await apiTypesSource(await readApiDocument());
await writeFile(generatedTypesPath, source);
process.stdout.write(`wrote ${generatedTypesPath}\n`);
