export { type CallOptions, type ClientOptions, type PromiseClient, createClient } from './createClient.js';
export { ERROR_METADATA_KEY, fromGrpcError, mayHaveBeenSent, toGrpcError } from './errorMetadata.js';
export { type ClientTls, type GrpcTlsFiles, GrpcTls, SERVICE_NAME_DOMAIN, serviceOf, serviceServerName } from './GrpcTls.js';
export { type CallContext, GrpcServer, type GrpcServerOptions, type RpcObserver, type ServiceHandlers } from './grpcServer.js';
export { type HealthStatus, checkHealth } from './healthCheck.js';
export { parseRequest } from './parseRequest.js';
export { type RetryPolicy, backoffMs, defaultRetryPolicy } from './retryPolicy.js';
export { statusName } from './statusName.js';
export type { RequestOf, ResponseOf, UnaryServiceDefinition } from './serviceTypes.js';
