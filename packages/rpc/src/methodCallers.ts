import type { UnaryServiceDefinition } from './serviceTypes.js';

/**
 * The identities a caller can prove with its client certificate (`DNS:<name>.wallet.internal`, {@link serviceOf}):
 * the four services and the operator CLI.
 */
export const Caller = {
  gatesrv: 'gatesrv',
  accountsrv: 'accountsrv',
  transrv: 'transrv',
  signsrv: 'signsrv',
  walletctl: 'walletctl',
} as const;
export type Caller = (typeof Caller)[keyof typeof Caller];

/**
 * Who may call each method of a service: a server's authorization table (docs/operations-tls.md). Every method of the
 * definition is listed; an empty list closes a method to every caller. A method a table lacks (a cast, a table built at
 * run time) is refused all the same: {@link mayCall} denies by default.
 */
export type MethodCallers<D extends UnaryServiceDefinition> = { readonly [K in keyof D]: readonly Caller[] };

/**
 * Whether `peer` may call `method` under `table`, on a server that runs with mTLS.
 * @param table the service's authorization table
 * @param method the method's key in the generated definition, e.g. `creditTransfer`
 * @param peer the caller as its verified certificate names it; undefined when it names no service (refused)
 * @returns true only when the table lists `peer` for `method`
 */
export function mayCall(table: Readonly<Record<string, readonly string[]>>, method: string, peer: string | undefined): boolean {
  if (peer === undefined || !Object.hasOwn(table, method)) return false;
  return table[method]!.includes(peer);
}
