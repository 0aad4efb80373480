import { WalletError } from '@wallet/errors';
import type { KeyScope } from './keyScopes.js';
import type { AuthenticatedClient } from './RequestAuthenticator.js';

/**
 * Checks what an authenticated key may do, after its signature verified (so neither refusal tells an unsigned caller
 * anything about which keys exist): first where it may be used from, then what it may do (a request from outside
 * the allow-list learns nothing of the key's scopes). Both refusals come before the request does anything.
 * @param client the key, as RequestAuthenticator.authenticate returned it
 * @param required the scope the route needs
 * @param sourceAddress where the request came from (the socket's peer, or the client behind trusted proxies)
 * @throws WalletError SOURCE_NOT_ALLOWED; INSUFFICIENT_SCOPE with `details.required`
 */
export function authorizeKey(client: AuthenticatedClient, required: KeyScope, sourceAddress: string | undefined): void {
  if (!client.allowList.allows(sourceAddress)) {
    throw new WalletError('SOURCE_NOT_ALLOWED', "this API key may not be used from this address (see the key's allow-list)");
  }
  if (!client.scopes.includes(required)) {
    throw new WalletError('INSUFFICIENT_SCOPE', `this API key lacks the ${required} scope`, { details: { required } });
  }
}
