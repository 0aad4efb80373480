// Runs the cluster's services as processes from their built entry points: the local runner (deploy/local/run.sh) and
// the test harness both start services through it, with the environment serviceEnv makes from one ClusterSpec.
export { type LogLine, type RunFrom, ServiceProcess, type StartOptions } from './ServiceProcess.js';
export { type ClusterSpec, type ProcessRole, type ServiceName, metricsAddrVariable, serviceEnv } from './serviceEnv.js';
export {
  type SecretsKeks,
  type SignerSecrets,
  auditorTokenHashes,
  ensureSecretsKeks,
  ensureSignerSecrets,
  xpubsFor,
} from './devSecrets.js';
export { killWithParent } from './parentDeathWatch.js';
export { repoRoot } from './repoRoot.js';
