import { fileURLToPath } from 'node:url';

/** The repository's root: this file is packages/launcher/src/repoRoot.ts, or its build in packages/launcher/dist/. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
