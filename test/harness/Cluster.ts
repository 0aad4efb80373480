import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { sealKeystore } from '@wallet/signer';
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
import { TEST_MNEMONIC, xpubsFor } from './devKeys.js';
import { type ServiceName, ServiceProcess } from './ServiceProcess.js';
import { mysqlUrl, stackEnv } from './stackEnv.js';

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
};

/** signsrv's secrets for a cluster: the sealed keystore, the KEK that opens it, and one auditor's token. */
export type SignerSecrets = { readonly keystoreFile: string; readonly kekFile: string; readonly auditorToken: string };

/**
 * Creates (once) signsrv's keystore sealing `mnemonic`'s entropy with a random KEK, and an auditor token, in `dir`.
 * Files are written with mode 600; existing ones are kept.
 */
export function ensureSignerSecrets(dir: string, mnemonic: string): SignerSecrets {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const kekFile = join(dir, 'kek.hex');
  const keystoreFile = join(dir, 'signsrv-keystore.json');
  const tokenFile = join(dir, 'auditor-token');
  if (!existsSync(kekFile)) writeFileSync(kekFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  if (!existsSync(keystoreFile)) {
    const kek = Buffer.from(readFileSync(kekFile, 'utf8').trim(), 'hex');
    const keystore = sealKeystore(mnemonicToEntropy(mnemonic, wordlist), { kek });
    writeFileSync(keystoreFile, `${JSON.stringify(keystore, null, 2)}\n`, { mode: 0o600 });
  }
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  return { keystoreFile, kekFile, auditorToken: readFileSync(tokenFile, 'utf8').trim() };
}

/**
 * The whole wallet cluster as real processes on the local stack: accountsrv, transrv nodes, signsrv,
 * gatesrv, in one fresh namespace and database.
 */
export class Cluster {
  readonly env: string;
  readonly database: string;
  readonly processes = new Map<string, ServiceProcess>();
  readonly ttlSeconds: number;
  readonly registry: AssetRegistry;
  readonly signer: SignerSecrets;
  /** Each service's MySQL user: a service process connects as its own, with the grants of packages/db ownership.ts. */
  readonly mysqlUsers: Record<DbService, ServiceUser>;
  gatewayUrl = '';
  signsrvUrl = '';
  readonly #options: ClusterOptions;

  private constructor(options: ClusterOptions) {
    const id = randomBytes(4).toString('hex');
    this.env = options.env ?? `it-${id}`;
    this.database = options.database ?? `wallet_it_${id}`;
    this.ttlSeconds = options.ttlSeconds ?? 10;
    this.registry = AssetRegistry.parse(options.assets ?? devRegistryInput);
    this.#options = options;
    this.mysqlUsers =
      options.mysqlUsers ??
      (Object.fromEntries(dbServices.map((s) => [s, { user: `w${id}_${s}`, password: randomBytes(16).toString('hex') }])) as Record<
        DbService,
        ServiceUser
      >);
    this.signer = ensureSignerSecrets(options.secretsDir ?? join(tmpdir(), `wallet-${this.env}`), options.mnemonic ?? TEST_MNEMONIC);
  }

  /**
   * The environment every service of this cluster gets (signsrv also gets {@link signsrvEnv}). Its MYSQL_URL is the
   * admin's (walletctl and fixtures use it); each service process is given its own user's instead ({@link mysqlUrlOf}).
   */
  get serviceEnv(): Record<string, string> {
    return {
      WALLET_ENV: this.env,
      MYSQL_URL: mysqlUrl(this.database),
      REDIS_URL: stackEnv.REDIS_URL,
      ETCD_ENDPOINTS: stackEnv.ETCD_ENDPOINTS,
      DISCOVERY_TTL_SECONDS: String(this.ttlSeconds),
      ACCOUNTSRV_XPUBS: JSON.stringify(xpubsFor(this.registry, this.#options.mnemonic ?? TEST_MNEMONIC)),
      ...(this.#options.assets ? { WALLET_ASSETS: JSON.stringify(this.#options.assets) } : {}),
      ...(this.#options.chainRpc ? { WALLET_CHAIN_RPC: JSON.stringify(this.#options.chainRpc) } : {}),
      LOG_LEVEL: this.#options.logLevel ?? 'info',
      ...this.#options.extraEnv,
    };
  }

  /**
   * What only signsrv gets: where its keystore and KEK are, and the auditors' token hashes. No other service has a
   * use for them (each one refuses unknown variables of its own prefix only), and a process that is never told
   * where the key material is cannot leak it.
   */
  get signsrvEnv(): Record<string, string> {
    return {
      SIGNSRV_KEYSTORE_FILE: this.signer.keystoreFile,
      SIGNSRV_KEK_FILE: this.signer.kekFile,
      SIGNSRV_AUDITORS: JSON.stringify({ auditor: createHash('sha256').update(this.signer.auditorToken).digest('hex') }),
      // Reconciliation once a day: tests fund users straight into the ledger and drain hot wallets on purpose (a hot
      // wallet that cannot pay), which the tripwire would rightly halt. reconciliation.test.ts sets its own schedule.
      SIGNSRV_RECONCILE_MS: '86400000',
      // ... and not after settlements either (treasury.test.ts turns that on).
      SIGNSRV_RECONCILE_SETTLEMENT_MS: '0',
    };
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
      cluster.#spawn('signsrv', 'signsrv', { SIGNSRV_HTTP_ADDR: options.signsrvHttpAddr ?? '127.0.0.1:0' });
      cluster.#spawn('gatesrv', 'gatesrv', { GATESRV_HTTP_ADDR: options.gatesrvHttpAddr ?? '127.0.0.1:0' });
      await Promise.all(
        [...cluster.processes.values()].map(async (p) => {
          await p.ready(60_000);
          onProgress(`${p.label} ready`);
        }),
      );
      const gate = await cluster.process('gatesrv').waitForLog((l) => l.msg === 'ready' && typeof l['url'] === 'string');
      cluster.gatewayUrl = String(gate['url']);
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

  /** Starts (or restarts) the transrv node `nodeId` and waits until it is ready. */
  async startTransrv(nodeId: string, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const p = this.#spawn('transrv', `transrv-${nodeId}`, { TRANSRV_NODE_ID: nodeId, ...extraEnv });
    await p.ready(60_000);
    return p;
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

  /** Stops every process (SIGTERM, then SIGKILL) and drops the database. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop('SIGTERM')));
    if (!this.#options.keepDatabase) await dropDatabase(mysqlUrl(this.database)).catch(() => {});
    if (this.#options.mysqlUsers === undefined) {
      const root = createDb(mysqlUrl('mysql'), { poolMin: 0, poolMax: 1 });
      await dropServiceUsers(root, this.mysqlUsers)
        .catch(() => {})
        .finally(() => root.destroy());
    }
    if (this.#options.secretsDir === undefined) rmSync(join(tmpdir(), `wallet-${this.env}`), { recursive: true, force: true });
  }

  #spawn(service: ServiceName, label: string, env: Record<string, string>): ServiceProcess {
    // Under serviceEnv, so that the options' extraEnv still overrides them, as it did when they were in it.
    // Webhooks to loopback receivers: the tests' and the dev stack's (production refuses them).
    const own = service === 'signsrv' ? this.signsrvEnv : service === 'transrv' ? { TRANSRV_WEBHOOK_ALLOW_PRIVATE: 'true' } : {};
    // Each service as its own MySQL user (options' extraEnv may still override it, as it overrides the rest).
    const mysql = { MYSQL_URL: this.mysqlUrlOf(service) };
    const p = ServiceProcess.start(service, `${this.env}-${label}`, {
      ...own,
      ...this.serviceEnv,
      ...mysql,
      ...this.#options.extraEnv,
      ...env,
    });
    this.processes.set(label, p);
    return p;
  }
}
