export { type Page, type PageFetcher, PageIterator } from './PageIterator.js';
export { type Query, type QueryValue, requestTarget } from './requestTarget.js';
export { type RetryOptions, retryableCodes } from './retryPolicy.js';
export { type AuthHeaders, type SignInput, signRequest, stringToSign } from './signRequest.js';
export type { ApiRequest, ApiResponse, CallOptions, RateLimitState, RetryEvent } from './Transport.js';
export type * from './types.js';
export { type ReadOptions, WalletClient, type WalletClientOptions } from './WalletClient.js';
export { type ApiErrorCode, type ErrorCode, type SdkErrorCode, WalletApiError, isWalletApiError } from './WalletApiError.js';
export type { components, paths } from './generated/api.js';
