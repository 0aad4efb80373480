export { type EnvVariable, envReference, renderEnvReference } from './envReference.js';
export { type EnvSchema, loadEnvConfig } from './loadEnvConfig.js';
export {
  advertisedAddress,
  chainHeightsEnv,
  chainRpcEnv,
  chainWsEnv,
  commonEnv,
  crashPointsEnv,
  envName,
  grpcTlsFiles,
  type GrpcTlsFiles,
  hostPort,
  intString,
  jsonRecord,
  logLevel,
  refuseCrashPointsInProd,
  splitHostPort,
  urlList,
  urlWith,
} from './schemas.js';
