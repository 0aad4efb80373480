import { envReferenceSection } from '@wallet/testkit';
import { expect, it } from 'vitest';
import { ConfigSchema } from './config.js';

it('deploy/configuration.md lists every variable gatesrv accepts, with its default and doc comment', () => {
  const { written, expected, undocumented } = envReferenceSection('gatesrv', ConfigSchema, [
    'services/gatesrv/src/config.ts',
    'packages/config/src/schemas.ts',
  ]);
  // On a difference: WALLET_UPDATE_DOCS=1 pnpm -s exec vitest run --project unit configReference
  expect(undocumented).toEqual([]);
  expect(written).toBe(expected);
});
