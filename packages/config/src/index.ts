export { type EnvSchema, loadEnvConfig } from './loadEnvConfig.js';
export { advertisedAddress, splitHostPort, commonEnv, envName, hostPort, intString, logLevel, urlList, urlWith } from './schemas.js';
