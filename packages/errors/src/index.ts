export { GrpcStatus } from './grpcStatus.js';
export { type ErrorCode, type ErrorSpec, errorCodes, errorRegistry, isErrorCode } from './errorRegistry.js';
export { type ErrorDetails, WalletError, isConnectionLost, isWalletError, toWalletError } from './WalletError.js';
