import { join } from 'node:path';
import type { RegistryInput } from '@wallet/assets';
import type { DbService } from '@wallet/db';

export type ServiceName = 'gatesrv' | 'accountsrv' | 'transrv' | 'signsrv';

/**
 * One cluster's deployment, as the environment of its processes is made from it: the same variables a container
 * gets from deploy/k8s, documented per service in deploy/configuration.md. Nothing here is read from files; callers
 * (the local runner, the test harness) decide where values come from.
 */
export type ClusterSpec = {
  /** WALLET_ENV: the namespace that isolates this cluster in a shared etcd, Redis and MySQL server. */
  readonly env: string;
  /** Each service's own MYSQL_URL (its user, with the grants of packages/db ownership.ts). */
  readonly mysqlUrls: Readonly<Record<DbService, string>>;
  readonly redisUrl: string;
  readonly etcdEndpoints: string;
  /** DISCOVERY_TTL_SECONDS */
  readonly ttlSeconds: number;
  readonly logLevel: string;
  /** ACCOUNTSRV_XPUBS: account-level extended public keys per chain (signsrv's keystore tool prints them). */
  readonly xpubs: Readonly<Record<string, string>>;
  /** WALLET_ASSETS for every service. @default each service's built-in dev registry */
  readonly assets?: RegistryInput | undefined;
  /** WALLET_CHAIN_RPC: node RPC URL per chain. @default the services' defaults */
  readonly chainRpc?: Readonly<Record<string, string>> | undefined;
  /** What only signsrv is told: where its sealed keystore and KEK are, and the auditors' token hashes. */
  readonly signer: {
    readonly keystoreFile: string;
    readonly kekFile: string;
    readonly auditorTokenHashes: Readonly<Record<string, string>>;
  };
  /**
   * The key files of the secrets stored sealed in MySQL: ACCOUNTSRV_SECRETS_KEK_FILE (API key secrets) to accountsrv
   * alone, TRANSRV_SECRETS_KEK_FILE (webhook secrets) to transrv alone (docs/operations-secrets.md).
   */
  readonly secretsKeks: { readonly accountsrv: string; readonly transrv: string };
  /** GATESRV_HTTP_ADDR @default 127.0.0.1:0 */
  readonly gatesrvHttpAddr?: string | undefined;
  /**
   * GATESRV_SHUTDOWN_DELAY_MS: how long a stopping gateway serves on while a load balancer takes it out of rotation.
   * @default 0: the local cluster has no load balancer in front of its gateway, so it stops at once
   */
  readonly gatesrvShutdownDelayMs?: number | undefined;
  /** SIGNSRV_HTTP_ADDR @default 127.0.0.1:0 */
  readonly signsrvHttpAddr?: string | undefined;
  /** Whether transrv accepts webhooks on loopback and private addresses (dev and tests; production refuses them). */
  readonly webhooksAllowPrivate?: boolean | undefined;
  /**
   * gRPC mTLS (docs/operations-tls.md): a directory in deploy/local/dev-pki.sh's layout (`ca.pem`, `<service>.pem`,
   * `<service>-key.pem`); each process gets the CA and its own service's certificate and key. @default plaintext gRPC
   */
  readonly grpcTlsDir?: string | undefined;
  /** Further variables for every service (they override the above). */
  readonly extraEnv?: Readonly<Record<string, string>> | undefined;
};

/** What one process of the cluster is: its service, its label (`transrv-t1`), and for transrv its node id. */
export type ProcessRole = { readonly service: ServiceName; readonly nodeId?: string | undefined };

/**
 * The environment of one process of `spec`: the variables every service reads, then its own. A process is told only
 * what it uses: the key material's location goes to signsrv alone (a process never told where it is cannot leak it),
 * and each service connects to MySQL as its own user.
 */
export function serviceEnv(spec: ClusterSpec, role: ProcessRole): Record<string, string> {
  const common: Record<string, string> = {
    WALLET_ENV: spec.env,
    REDIS_URL: spec.redisUrl,
    ETCD_ENDPOINTS: spec.etcdEndpoints,
    DISCOVERY_TTL_SECONDS: String(spec.ttlSeconds),
    ACCOUNTSRV_XPUBS: JSON.stringify(spec.xpubs),
    LOG_LEVEL: spec.logLevel,
    ...(spec.assets ? { WALLET_ASSETS: JSON.stringify(spec.assets) } : {}),
    ...(spec.chainRpc ? { WALLET_CHAIN_RPC: JSON.stringify(spec.chainRpc) } : {}),
    ...(spec.grpcTlsDir === undefined
      ? {}
      : {
          GRPC_TLS_CA_FILE: join(spec.grpcTlsDir, 'ca.pem'),
          GRPC_TLS_CERT_FILE: join(spec.grpcTlsDir, `${role.service}.pem`),
          GRPC_TLS_KEY_FILE: join(spec.grpcTlsDir, `${role.service}-key.pem`),
        }),
  };
  return { ...common, ...ownEnv(spec, role), MYSQL_URL: spec.mysqlUrls[role.service], ...spec.extraEnv };
}

function ownEnv(spec: ClusterSpec, role: ProcessRole): Record<string, string> {
  switch (role.service) {
    case 'signsrv':
      return {
        SIGNSRV_KEYSTORE_FILE: spec.signer.keystoreFile,
        SIGNSRV_KEK_FILE: spec.signer.kekFile,
        SIGNSRV_AUDITORS: JSON.stringify(spec.signer.auditorTokenHashes),
        SIGNSRV_HTTP_ADDR: spec.signsrvHttpAddr ?? '127.0.0.1:0',
      };
    case 'transrv':
      return {
        ...(role.nodeId !== undefined ? { TRANSRV_NODE_ID: role.nodeId } : {}),
        TRANSRV_SECRETS_KEK_FILE: spec.secretsKeks.transrv,
        ...(spec.webhooksAllowPrivate ? { TRANSRV_WEBHOOK_ALLOW_PRIVATE: 'true' } : {}),
      };
    case 'gatesrv':
      return {
        GATESRV_HTTP_ADDR: spec.gatesrvHttpAddr ?? '127.0.0.1:0',
        GATESRV_SHUTDOWN_DELAY_MS: String(spec.gatesrvShutdownDelayMs ?? 0),
      };
    case 'accountsrv':
      return { ACCOUNTSRV_SECRETS_KEK_FILE: spec.secretsKeks.accountsrv };
  }
}

/** The variable that places `service`'s /metrics, /healthz and /readyz (docs/metrics.md). */
export function metricsAddrVariable(service: ServiceName): string {
  return `${service.toUpperCase()}_METRICS_ADDR`;
}
