export { AuthFailureCause, AuthFailureReason, authFailureCause } from './authFailureReason.js';
export { AuthHeader, type SignedHeaders } from './authHeaders.js';
export { authorizeKey } from './authorizeKey.js';
export { type ClientCredentials, type CredentialLookup } from './CredentialCache.js';
export { credentialChangesChannel, publishCredentialChange } from './credentialChanges.js';
export { type IdempotencyBegin, type IdempotencyHold, IdempotencyStore, type IdempotencyStoreOptions } from './IdempotencyStore.js';
export { KeyScope, allKeyScopes, knownKeyScopes, parseKeyScopes } from './keyScopes.js';
export { parseIdempotencyKey } from './parseIdempotencyKey.js';
export { type RateLimitDecision, RateLimiter, type RateLimiterOptions, rateLimitHeaders } from './RateLimiter.js';
export { type RequestHashInput, requestHash } from './requestHash.js';
export {
  type AuthenticateInput,
  type AuthenticatedClient,
  type AuthenticatorLog,
  RequestAuthenticator,
  type RequestAuthenticatorOptions,
} from './RequestAuthenticator.js';
export { shouldStoreResponse } from './shouldStoreResponse.js';
export { type Cidr, SourceAllowList, formatCidr, maxAllowListEntries, parseAllowList } from './sourceAllowList.js';
export { type SignRequestInput, signRequest } from './signRequest.js';
