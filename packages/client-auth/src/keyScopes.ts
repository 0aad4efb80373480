import { WalletError } from '@wallet/errors';

/**
 * What an API key may do (docs/api.md, Keys and scopes). A key has one or more; each route needs exactly one:
 * - `read`: every GET, and creating accounts and deposit addresses (they move no funds);
 * - `transfer`: `POST /v1/transfers`;
 * - `withdraw`: requesting and cancelling withdrawals.
 */
export const KeyScope = { read: 'read', transfer: 'transfer', withdraw: 'withdraw' } as const;

export type KeyScope = (typeof KeyScope)[keyof typeof KeyScope];

/** Every scope, in the order they are listed and stored. */
export const allKeyScopes: readonly KeyScope[] = Object.values(KeyScope);

const isKeyScope = (value: string): value is KeyScope => (allKeyScopes as readonly string[]).includes(value);

/**
 * Reads a list of scopes an operator gave (`read,transfer`, or a list): trimmed, each one of {@link KeyScope},
 * duplicates merged.
 * @param input comma-separated text or a list of names
 * @returns the scopes, in {@link allKeyScopes} order
 * @throws WalletError VALIDATION_FAILED for an empty list or an unknown name
 */
export function parseKeyScopes(input: string | readonly string[]): KeyScope[] {
  const names = (typeof input === 'string' ? input.split(',') : input).map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = names.filter((name) => !isKeyScope(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new WalletError('VALIDATION_FAILED', `scopes must be one or more of ${allKeyScopes.join(', ')}`, {
      details: { field: 'scopes' },
    });
  }
  return allKeyScopes.filter((scope) => names.includes(scope));
}

/**
 * Reads scopes from a stored or looked-up record: unknown names are dropped, not refused (a gateway must keep serving
 * a key whose record names a scope it does not know yet; it just grants nothing for it).
 * @param input the names as stored
 * @returns the known scopes, in {@link allKeyScopes} order
 */
export function knownKeyScopes(input: readonly string[]): KeyScope[] {
  return allKeyScopes.filter((scope) => input.includes(scope));
}
