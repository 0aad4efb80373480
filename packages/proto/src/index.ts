// The generated gRPC contract. Everything here comes from proto/*.proto through proto/generate.sh.
export * from './gen/wallet/v1/common.js';
export * from './gen/wallet/v1/account.js';
export * from './gen/wallet/v1/trans.js';
export * from './gen/wallet/v1/sign.js';
export {
  HealthCheckRequest,
  HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthClient,
  HealthService,
} from './gen/grpc/health/v1/health.js';
