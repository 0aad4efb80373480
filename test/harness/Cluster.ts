import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetRegistry, type RegistryInput, devRegistryInput } from '@wallet/assets';
import {
  type DbService,
  type ServiceUser,
  applyGrants,
  createDb,
  dbServices,
  dropDatabase,
  dropServiceUsers,
  migrateLatest,
} from '@wallet/db';
import {
  type ClusterSpec,
  type SecretsKeks,
  type ServiceName,
  type SignerSecrets,
  ServiceProcess,
  auditorTokenHashes,
  ensureSecretsKeks,
  ensureSignerSecrets,
  metricsAddrVariable,
  serviceEnv,
  repoRoot,
  xpubsFor,
} from '@wallet/launcher';
import { findDuplicateKey } from '@wallet/http-edge';
import { type ClientTls, GrpcTls } from '@wallet/rpc';
import { TEST_MNEMONIC } from './devKeys.js';
import { mysqlUrl, stackEnv } from './stackEnv.js';

export { type SignerSecrets, ensureSignerSecrets } from '@wallet/launcher';

/** One gatesrv instance of a cluster: its process, its API's URL and its metrics server's (`/readyz`). */
export type Gateway = { readonly label: string; readonly process: ServiceProcess; readonly url: string; readonly metricsUrl: string };

export type ClusterOptions = {
  /** WALLET_ENV namespace; a fresh random one isolates a test run in the shared etcd/Redis. */
  readonly env?: string;
  /** MySQL database; a fresh random one by default (dropped on stop). */
  readonly database?: string;
  /** transrv node ids to start. @default ['t1', 't2'] */
  readonly transrvNodes?: readonly string[];
  /** @default '127.0.0.1:0' (any free port) */
  readonly gatesrvHttpAddr?: string;
  /** @default '127.0.0.1:0' */
  readonly signsrvHttpAddr?: string;
  /** Discovery lease TTL. @default 10 */
  readonly ttlSeconds?: number;
  readonly logLevel?: string;
  /** Extra variables for every service. */
  readonly extraEnv?: Record<string, string>;
  /** Keep the database on stop (the dev cluster). @default false */
  readonly keepDatabase?: boolean;
  /** Mnemonic the deposit xpubs are derived from (by this harness, never by accountsrv). @default TEST_MNEMONIC */
  readonly mnemonic?: string;
  /**
   * Each service's MySQL user (the dev cluster: the stack's `wallet_<service>` users, passwords in
   * `.stack/secrets/mysql-<service>`). @default fresh users of this cluster's own, dropped on stop
   */
  readonly mysqlUsers?: Record<DbService, ServiceUser>;
  /** Chains and assets (WALLET_ASSETS for every service; xpubs are derived for each chain). @default the dev registry */
  readonly assets?: RegistryInput;
  /** Node RPC URL per EVM chain (WALLET_CHAIN_RPC). @default eth on the stack's anvil */
  readonly chainRpc?: Record<string, string>;
  /**
   * Where signsrv's keystore, its key-encryption key and the auditor token live: created there when missing (the
   * keystore seals the mnemonic's entropy). @default a fresh directory under the OS temp dir
   */
  readonly secretsDir?: string;
  /**
   * gRPC mTLS: the directory of a dev PKI (deploy/local/dev-pki.sh layout, created there when missing), or `false` for
   * plaintext gRPC. @default {@link testPkiDir}, unless WALLET_GRPC_TLS=off (benchmarks compare both)
   */
  readonly grpcTls?: string | false;
};

// ---------------------------------------------------------------- gRPC mTLS (issue 18)
// Every cluster's gRPC runs over mTLS by default, with one test PKI per checkout: the launcher gives each service its
// own certificate (ClusterSpec.grpcTlsDir); serviceEnv (walletctl, fixtures) carries walletctl's, and #spawn gives a
// service its own again when a test passes serviceEnv on.

/** The test PKI: created once per checkout, never in a shared directory. */
export const testPkiDir = join(repoRoot, '.stack', 'test-pki');

/**
 * Creates the dev PKI in `dir` if anything is missing (idempotent; concurrent callers take turns on its lock).
 * @param names certificates to have @default every service and walletctl
 * @returns `dir`
 */
export function ensureDevPki(dir: string, names: readonly string[] = []): string {
  execFileSync('bash', [join(repoRoot, 'deploy', 'local', 'dev-pki.sh'), dir, ...names], { stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

/** GRPC_TLS_* of the certificate `name` of the PKI in `dir`. */
export function grpcTlsEnv(dir: string, name: string): Record<string, string> {
  return {
    GRPC_TLS_CA_FILE: join(dir, 'ca.pem'),
    GRPC_TLS_CERT_FILE: join(dir, `${name}.pem`),
    GRPC_TLS_KEY_FILE: join(dir, `${name}-key.pem`),
  };
}

function grpcTlsDirOf(options: ClusterOptions): string | undefined {
  const dir = options.grpcTls ?? (process.env['WALLET_GRPC_TLS'] === 'off' ? false : testPkiDir);
  return dir === false ? undefined : ensureDevPki(dir);
}
// ---------------------------------------------------------------- end of gRPC mTLS

/**
 * The whole wallet cluster as real processes on the local stack: accountsrv, transrv nodes, signsrv,
 * gatesrv, in one fresh namespace and database. Each process runs from its built entry point with the environment
 * @wallet/launcher makes from one ClusterSpec, as the local runner's do.
 */
export class Cluster {
  readonly env: string;
  readonly database: string;
  readonly processes = new Map<string, ServiceProcess>();
  readonly ttlSeconds: number;
  readonly registry: AssetRegistry;
  readonly signer: SignerSecrets;
  /** accountsrv's and transrv's key files for the secrets they store (issue 18). */
  readonly secretsKeks: SecretsKeks;
  /** Each service's MySQL user: a service process connects as its own, with the grants of packages/db ownership.ts. */
  readonly mysqlUsers: Record<DbService, ServiceUser>;
  gatewayUrl = '';
  signsrvUrl = '';
  /** The PKI directory when gRPC runs over mTLS; undefined for plaintext. */
  readonly grpcTlsDir: string | undefined;
  readonly #options: ClusterOptions;
  readonly #xpubs: Record<string, string>;
  readonly #gateways = new Map<string, Gateway>();

  private constructor(options: ClusterOptions) {
    const id = randomBytes(4).toString('hex');
    this.env = options.env ?? `it-${id}`;
    this.database = options.database ?? `wallet_it_${id}`;
    this.ttlSeconds = options.ttlSeconds ?? 10;
    this.registry = AssetRegistry.parse(options.assets ?? devRegistryInput);
    this.#options = options;
    this.#xpubs = xpubsFor(this.registry, options.mnemonic ?? TEST_MNEMONIC);
    this.mysqlUsers =
      options.mysqlUsers ??
      (Object.fromEntries(dbServices.map((s) => [s, { user: `w${id}_${s}`, password: randomBytes(16).toString('hex') }])) as Record<
        DbService,
        ServiceUser
      >);
    this.grpcTlsDir = grpcTlsDirOf(options);
    this.signer = ensureSignerSecrets(options.secretsDir ?? join(tmpdir(), `wallet-${this.env}`), options.mnemonic ?? TEST_MNEMONIC);
    this.secretsKeks = ensureSecretsKeks(options.secretsDir ?? join(tmpdir(), `wallet-${this.env}`));
  }

  /** This cluster's deployment: what every process's environment is made from. */
  get spec(): ClusterSpec {
    const o = this.#options;
    return {
      env: this.env,
      mysqlUrls: Object.fromEntries(dbServices.map((s) => [s, this.mysqlUrlOf(s)])) as Record<DbService, string>,
      redisUrl: stackEnv.REDIS_URL,
      etcdEndpoints: stackEnv.ETCD_ENDPOINTS,
      ttlSeconds: this.ttlSeconds,
      logLevel: o.logLevel ?? 'info',
      xpubs: this.#xpubs,
      assets: o.assets,
      chainRpc: o.chainRpc,
      signer: {
        keystoreFile: this.signer.keystoreFile,
        kekFile: this.signer.kekFile,
        auditorTokenHashes: auditorTokenHashes(this.signer.auditorToken),
      },
      secretsKeks: this.secretsKeks,
      gatesrvHttpAddr: o.gatesrvHttpAddr,
      signsrvHttpAddr: o.signsrvHttpAddr,
      // Webhooks to loopback receivers: the tests' (production refuses them).
      webhooksAllowPrivate: true,
      grpcTlsDir: this.grpcTlsDir,
      extraEnv: o.extraEnv,
    };
  }

  /**
   * The environment an operator's tool (walletctl) and fixtures get: the variables every service reads, with the
   * admin's MYSQL_URL (a service process gets its own user's instead).
   */
  get serviceEnv(): Record<string, string> {
    // Not the key file of accountsrv's secrets: an operator's tool has no use for it.
    const { ACCOUNTSRV_SECRETS_KEK_FILE: _, ...env } = serviceEnv(this.spec, { service: 'accountsrv' });
    const tls = this.grpcTlsDir === undefined ? {} : grpcTlsEnv(this.grpcTlsDir, 'walletctl');
    return { ...env, ...tls, MYSQL_URL: mysqlUrl(this.database), ...this.#options.extraEnv };
  }

  /**
   * How a test dials `service`'s gRPC port directly, with the certificate of `as`: each server lets a caller call only
   * the methods its authorization table lists for it (walletctl: operator methods; gatesrv: the client API).
   * @param as the identity whose certificate the test presents @default 'walletctl'
   * @returns undefined when the cluster's gRPC is plaintext
   */
  grpcClientTls(service: string, as = 'walletctl'): ClientTls | undefined {
    if (this.grpcTlsDir === undefined) return undefined;
    const env = grpcTlsEnv(this.grpcTlsDir, as);
    const files = { caFile: env['GRPC_TLS_CA_FILE']!, certFile: env['GRPC_TLS_CERT_FILE']!, keyFile: env['GRPC_TLS_KEY_FILE']! };
    return GrpcTls.fromFiles(files, as).clientOf(service);
  }

  /** The MYSQL_URL of `service`'s own user on this cluster's database. */
  mysqlUrlOf(service: DbService): string {
    const u = new URL(mysqlUrl(this.database));
    u.username = this.mysqlUsers[service].user;
    u.password = this.mysqlUsers[service].password;
    return u.toString();
  }

  /** Migrates a fresh database, gives each service its MySQL user, and starts every service, resolving when all are ready. */
  static async start(options: ClusterOptions = {}, onProgress: (msg: string) => void = () => {}): Promise<Cluster> {
    const cluster = new Cluster(options);
    try {
      const applied = await migrateLatest(mysqlUrl(cluster.database));
      onProgress(`database ${cluster.database}: ${applied.length} migrations applied`);
      const root = createDb(mysqlUrl(cluster.database), { poolMin: 0, poolMax: 1 });
      try {
        await applyGrants(root, { database: cluster.database, users: cluster.mysqlUsers });
      } finally {
        await root.destroy();
      }
      cluster.#spawn('accountsrv', 'accountsrv', {});
      for (const nodeId of options.transrvNodes ?? ['t1', 't2'])
        cluster.#spawn('transrv', `transrv-${nodeId}`, { TRANSRV_NODE_ID: nodeId });
      cluster.#spawn('signsrv', 'signsrv', {});
      cluster.#spawn('gatesrv', 'gatesrv', {});
      await Promise.all(
        [...cluster.processes.values()].map(async (p) => {
          await p.ready(60_000);
          onProgress(`${p.label} ready`);
        }),
      );
      cluster.gatewayUrl = (await cluster.#gatewayReady('gatesrv', cluster.process('gatesrv'))).url;
      const sign = await cluster.process('signsrv').waitForLog((l) => l.msg === 'http ready');
      cluster.signsrvUrl = String(sign['url']);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  process(label: string): ServiceProcess {
    const p = this.processes.get(label);
    if (!p) throw new Error(`no process ${label}`);
    return p;
  }

  /**
   * Starts (or restarts) the transrv node `nodeId` and waits until it is ready.
   * @param options.netns runs the node in that network namespace (partition.test.ts: its host can be cut off); `extraEnv`
   * then points it at addresses it can reach from there
   */
  async startTransrv(
    nodeId: string,
    extraEnv: Record<string, string> = {},
    options: { readonly netns?: string } = {},
  ): Promise<ServiceProcess> {
    const p = this.#spawn('transrv', `transrv-${nodeId}`, { TRANSRV_NODE_ID: nodeId, ...extraEnv }, options);
    await p.ready(60_000);
    return p;
  }

  /**
   * Starts another gatesrv instance (`gatesrv-2`, `gatesrv-3`, ... by default), or starts `label` again in the place
   * of the one before it: on its API and metrics addresses, as behind a load balancer's list of servers. Resolves
   * when it is ready. `cluster.gatewayUrl` stays the first instance's.
   * @param label @default the next `gatesrv-<n>`
   */
  async startGatesrv(label = `gatesrv-${this.#gateways.size + 1}`, extraEnv: Record<string, string> = {}): Promise<Gateway> {
    const before = this.#gateways.get(label);
    const place =
      before === undefined ? {} : { GATESRV_HTTP_ADDR: new URL(before.url).host, GATESRV_METRICS_ADDR: new URL(before.metricsUrl).host };
    return this.#gatewayReady(label, this.#spawn('gatesrv', label, { ...place, ...extraEnv }));
  }

  /** The gatesrv instance `label` last started. */
  gateway(label = 'gatesrv'): Gateway {
    const g = this.#gateways.get(label);
    if (!g) throw new Error(`no gateway ${label}`);
    return g;
  }

  async #gatewayReady(label: string, p: ServiceProcess): Promise<Gateway> {
    const ready = await p.waitForLog((l) => l.msg === 'ready' && typeof l['url'] === 'string', 60_000);
    // Logged before `ready`.
    const metrics = await p.waitForLog((l) => l.msg === 'metrics ready' && typeof l['url'] === 'string');
    const gateway = { label, process: p, url: String(ready['url']), metricsUrl: String(metrics['url']) };
    this.#gateways.set(label, gateway);
    return gateway;
  }

  /** Starts (or restarts) signsrv and waits until it is ready; its HTTP address is kept. */
  async startSignsrv(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const httpAddr = this.signsrvUrl.replace(/^http:\/\//, '') || '127.0.0.1:0';
    const p = this.#spawn('signsrv', 'signsrv', { SIGNSRV_HTTP_ADDR: httpAddr, ...extraEnv });
    await p.ready(60_000);
    const sign = await p.waitForLog((l) => l.msg === 'http ready');
    this.signsrvUrl = String(sign['url']);
    return p;
  }

  /** Starts a service process without waiting (for tests of failing start-ups). */
  spawnRaw(service: ServiceName, label: string, env: Record<string, string>): ServiceProcess {
    return this.#spawn(service, label, env);
  }

  /**
   * Log lines of this cluster's processes that write a key twice (such as a child logger's `chain` repeated by the
   * line), as `<label>: <key>: <line>`: JSON readers keep one of the two, differently. Issue 18 (one line per event).
   */
  duplicateKeyLines(): string[] {
    const found: string[] = [];
    for (const label of this.processes.keys()) {
      const file = join(repoRoot, '.stack', 'logs', 'test', `${this.env}-${label}.log`);
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        const key = findDuplicateKey(line);
        if (key !== undefined) found.push(`${label}: ${key}: ${line.slice(0, 300)}`);
      }
    }
    return found;
  }

  /** Set (a failed chaos campaign): the database is kept at stop, for reading what happened. */
  keepDatabaseAtStop = false;

  /** Stops every process (SIGTERM, then SIGKILL) and drops the database (unless kept). */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop('SIGTERM')));
    if (!this.#options.keepDatabase && !this.keepDatabaseAtStop) await dropDatabase(mysqlUrl(this.database)).catch(() => {});
    if (this.#options.mysqlUsers === undefined) {
      const root = createDb(mysqlUrl('mysql'), { poolMin: 0, poolMax: 1 });
      await dropServiceUsers(root, this.mysqlUsers)
        .catch(() => {})
        .finally(() => root.destroy());
    }
    if (this.#options.secretsDir === undefined) rmSync(join(tmpdir(), `wallet-${this.env}`), { recursive: true, force: true });
  }

  #spawn(service: ServiceName, label: string, env: Record<string, string>, options: { readonly netns?: string } = {}): ServiceProcess {
    const nodeId = env['TRANSRV_NODE_ID'];
    // Metrics (issue 18): each process's /metrics on a free port (the services' defaults are fixed ports), so that
    // parallel clusters and several transrv nodes on one host never collide; tests read the URL from `metrics ready`.
    const metrics = { [metricsAddrVariable(service)]: '127.0.0.1:0' };
    const merged: Record<string, string> = {
      ...serviceEnv(this.spec, { service, nodeId }),
      ...(service === 'signsrv' ? testSignsrvEnv : {}),
      ...metrics,
      ...this.#options.extraEnv,
      ...env,
    };
    // walletctl's certificate and key (from serviceEnv, when a test passes it on) become the service's own again; a
    // variable a test sets otherwise (another file, or '' for unset) is kept.
    if (this.grpcTlsDir !== undefined) {
      const walletctl = grpcTlsEnv(this.grpcTlsDir, 'walletctl');
      const ownTls = grpcTlsEnv(this.grpcTlsDir, service);
      for (const name of ['GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE']) if (merged[name] === walletctl[name]) merged[name] = ownTls[name]!;
    }
    const p = ServiceProcess.start(service, `${this.env}-${label}`, merged, options);
    this.processes.set(label, p);
    return p;
  }
}

/**
 * Reconciliation once a day, and not after settlements either: tests fund users straight into the ledger and drain hot
 * wallets on purpose (a hot wallet that cannot pay), which the tripwire would rightly halt. reconciliation.test.ts and
 * treasury.test.ts set their own schedules (extraEnv overrides these).
 */
const testSignsrvEnv = { SIGNSRV_RECONCILE_MS: '86400000', SIGNSRV_RECONCILE_SETTLEMENT_MS: '0' };
