import { describe, expect, it } from 'vitest';
import { authorizeKey } from './authorizeKey.js';
import { type KeyScope, allKeyScopes } from './keyScopes.js';
import { SourceAllowList, parseAllowList } from './sourceAllowList.js';

const key = (scopes: readonly KeyScope[], cidrs = '') => ({
  clientId: 'cl_1',
  keyId: 'key_1',
  scopes,
  allowList: new SourceAllowList(parseAllowList(cidrs)),
});

/** Every combination of a key's scopes. */
const scopeSets: KeyScope[][] = [
  [],
  ['read'],
  ['transfer'],
  ['withdraw'],
  ['read', 'transfer'],
  ['read', 'withdraw'],
  ['transfer', 'withdraw'],
  [...allKeyScopes],
];

describe('authorizeKey', () => {
  it.each(scopeSets.flatMap((scopes) => allKeyScopes.map((required) => [scopes.join(',') || '(none)', scopes, required] as const)))(
    'a key with %s asked for %s',
    (_name, scopes, required) => {
      const attempt = () => authorizeKey(key(scopes), required, '192.0.2.1');
      if (scopes.includes(required)) expect(attempt).not.toThrow();
      else expect(attempt).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_SCOPE', details: { required } }));
    },
  );

  it("refuses a source outside the key's allow-list before looking at its scopes", () => {
    const office = key(['read'], '10.0.0.0/8');
    expect(() => authorizeKey(office, 'read', '10.1.2.3')).not.toThrow();
    expect(() => authorizeKey(office, 'read', '127.0.0.1')).toThrow(expect.objectContaining({ code: 'SOURCE_NOT_ALLOWED', details: {} }));
    // Outside the list and without the scope: the list decides, so the caller learns nothing of the scopes.
    expect(() => authorizeKey(office, 'withdraw', '127.0.0.1')).toThrow(expect.objectContaining({ code: 'SOURCE_NOT_ALLOWED' }));
    expect(() => authorizeKey(office, 'withdraw', '10.1.2.3')).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_SCOPE' }));
    expect(() => authorizeKey(office, 'read', undefined)).toThrow(expect.objectContaining({ code: 'SOURCE_NOT_ALLOWED' }));
  });
});
