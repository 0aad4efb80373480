export { AuthFailureReason } from './authFailureReason.js';
export { AuthHeader, type SignedHeaders } from './authHeaders.js';
export { type ClientCredentials, type CredentialLookup } from './CredentialCache.js';
export { type IdempotencyBegin, IdempotencyStore, type IdempotencyStoreOptions } from './IdempotencyStore.js';
export { parseIdempotencyKey } from './parseIdempotencyKey.js';
export { type RateLimitDecision, RateLimiter, type RateLimiterOptions } from './RateLimiter.js';
export { type RequestHashInput, requestHash } from './requestHash.js';
export {
  type AuthenticateInput,
  type AuthenticatedClient,
  RequestAuthenticator,
  type RequestAuthenticatorOptions,
} from './RequestAuthenticator.js';
export { shouldStoreResponse } from './shouldStoreResponse.js';
export { type SignRequestInput, signRequest } from './signRequest.js';
