import { WalletError } from '@wallet/errors';
import { z } from 'zod';

/** `host:port` where port may be 0 (let the OS choose; the bound port is what gets registered). */
export const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'expected host:port')
  .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535, 'port out of range');

/** A URL with one of the given protocols (e.g. `mysql:`). */
export const urlWith = (...protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `expected a ${protocols.join(' or ')}// URL`,
  );

/** A comma-separated list of http(s) URLs (etcd endpoints). */
export const urlList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(z.array(urlWith('http:', 'https:')).min(1));

/** Namespace that isolates clusters sharing one etcd/Redis/MySQL server (dev, test runs, prod). */
export const envName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected [a-z0-9_-], at most 40 chars');

export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** A non-negative integer given as a decimal string (env values are strings). */
export const intString = (min: number, max: number) =>
  z.string().regex(/^\d+$/, 'expected an integer').transform(Number).pipe(z.number().int().min(min).max(max));

/** The variables every service reads: where the shared infrastructure is and how to log. */
export const commonEnv = {
  /** The cluster's namespace in etcd keys, Redis keys and logs (`prod` turns on production's refusals). */
  WALLET_ENV: envName.default('dev'),
  /** pino level: trace, debug, info, warn, error, fatal or silent. */
  LOG_LEVEL: logLevel.default('info'),
  /** MySQL as this service's own user (`mysql://wallet_<service>:PASSWORD@host:3306/wallet`); gatesrv does not use it. */
  MYSQL_URL: urlWith('mysql:').default('mysql://root@127.0.0.1:3306/wallet'),
  /** Redis (cache, queues, nonces, idempotency keys); `rediss://` for TLS. */
  REDIS_URL: urlWith('redis:', 'rediss:').default('redis://127.0.0.1:6379'),
  /** etcd endpoints, comma-separated (discovery and elections). */
  ETCD_ENDPOINTS: urlList.default(['http://127.0.0.1:2379']),
  /** Lease TTL of service registrations in etcd. */
  DISCOVERY_TTL_SECONDS: intString(2, 60).default(10),
  /** How long SIGTERM waits for in-flight calls before closing anyway. */
  SHUTDOWN_GRACE_MS: intString(0, 120_000).default(10_000),
  // gRPC mTLS (docs/operations-tls.md): all three or none (see grpcTlsFiles); none is plaintext gRPC, refused in prod.
  /** gRPC mTLS: PEM file of the CA that issues the cluster's service certificates (all three GRPC_TLS_* or none; required in prod). */
  GRPC_TLS_CA_FILE: z.string().min(1).optional(),
  /** gRPC mTLS: PEM file of this process's certificate, naming `DNS:<service>.wallet.internal` (docs/operations-tls.md). */
  GRPC_TLS_CERT_FILE: z.string().min(1).optional(),
  /** gRPC mTLS: PEM file of this process's private key (mode 600). */
  GRPC_TLS_KEY_FILE: z.string().min(1).optional(),
} as const;

/** The gRPC mTLS variables, in the order they are named in errors. */
const grpcTlsVariables = ['GRPC_TLS_CA_FILE', 'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE'] as const;

/** Where a process's gRPC mTLS material is: the CA's certificate, its own certificate and its own key. */
export type GrpcTlsFiles = { readonly caFile: string; readonly certFile: string; readonly keyFile: string };

/**
 * The gRPC mTLS files of a configuration, or `undefined` for plaintext gRPC. {@link loadEnvConfig} applies it to every
 * schema that has these variables, so a service cannot start with a partial set.
 * @throws WalletError CONFIG_INVALID naming the missing variables when only some of the three are set, or all three when
 * none is set in the `prod` environment (plaintext gRPC would carry account and withdrawal calls in clear)
 */
export function grpcTlsFiles(config: {
  readonly WALLET_ENV: string;
  readonly GRPC_TLS_CA_FILE?: string | undefined;
  readonly GRPC_TLS_CERT_FILE?: string | undefined;
  readonly GRPC_TLS_KEY_FILE?: string | undefined;
}): GrpcTlsFiles | undefined {
  const missing = grpcTlsVariables.filter((name) => config[name] === undefined);
  if (missing.length === grpcTlsVariables.length) {
    if (config.WALLET_ENV !== 'prod') return undefined;
    throw new WalletError(
      'CONFIG_INVALID',
      `invalid configuration: ${missing.join(', ')}: gRPC mTLS is required in the prod environment (plaintext is refused)`,
      {
        details: { variables: missing },
      },
    );
  }
  if (missing.length > 0) {
    const set = grpcTlsVariables.filter((name) => config[name] !== undefined);
    throw new WalletError(
      'CONFIG_INVALID',
      `invalid configuration: ${missing.join(', ')}: unset while ${set.join(', ')} set: give all three or none`,
      {
        details: { variables: missing },
      },
    );
  }
  return { caFile: config.GRPC_TLS_CA_FILE!, certFile: config.GRPC_TLS_CERT_FILE!, keyFile: config.GRPC_TLS_KEY_FILE! };
}

/**
 * The address peers should dial for a server bound at `bound`: the bound port with `advertiseHost`
 * when given (needed when listening on 0.0.0.0 in a container), else the bound host.
 */
export function advertisedAddress(bound: string, advertiseHost?: string): string {
  const port = bound.slice(bound.lastIndexOf(':') + 1);
  const host = advertiseHost ?? bound.slice(0, bound.lastIndexOf(':'));
  if (host === '0.0.0.0' || host === '::' || host === '[::]') {
    throw new Error(`listening on ${host}: set the service's *_ADVERTISE_HOST so peers know where to dial`);
  }
  return `${host}:${port}`;
}

/** Splits `host:port` (as validated by {@link hostPort}) for APIs that take them apart. */
export function splitHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(value.slice(i + 1)) };
}

/**
 * A variable holding a JSON object whose values match `value` (e.g. `{"eth": "http://..."}`).
 * @param value schema of each value
 * @param example shown in the error message
 * @param key schema of each key @default any string
 */
export const jsonRecord = <T extends z.ZodType>(value: T, example: string, key: z.ZodType<string, string> = z.string()) =>
  z.string().transform((text, ctx): Record<string, z.output<T>> => {
    try {
      return z.record(key, value).parse(JSON.parse(text));
    } catch (error) {
      // The schemas' messages say what is expected, never what was given; paths are left out because they are the
      // object's keys, which could be anything (a token pasted as a name).
      const reasons =
        error instanceof z.ZodError
          ? [...new Set(error.issues.map((i) => (i.code === 'invalid_key' ? (i.issues[0]?.message ?? i.message) : i.message)))]
          : [];
      ctx.addIssue({ code: 'custom', message: `expected JSON like ${example}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}` });
      return z.NEVER;
    }
  });

/**
 * WALLET_CHAIN_RPC: node JSON-RPC URL per chain id, EVM and UTXO alike (transrv scans them; signsrv pays out on the EVM
 * ones). A bitcoind/litecoind URL carries its RPC credentials: `http://user:password@host:port`.
 */
export const chainRpcEnv = jsonRecord(
  z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'expected an http(s) URL'),
  '{"<chain>": "<rpc url>"}',
).default({ eth: 'http://127.0.0.1:8545' });

/**
 * TRANSRV_SCAN_START_HEIGHTS: per chain id, the block a chain with no checkpoint is scanned from (a wallet restored
 * from its xpubs rescans from there; nothing is credited twice). Chains not listed start at the node's head.
 */
export const chainHeightsEnv = jsonRecord(z.number().int().nonnegative(), '{"<chain>": <height>}').default({});

/** WALLET_CHAIN_WS: node WebSocket URL per EVM chain id, for new-head subscriptions. */
export const chainWsEnv = jsonRecord(z.string().regex(/^wss?:\/\/\S+$/), '{"<chain>": "ws://..."}').default({ eth: 'ws://127.0.0.1:8545' });

/**
 * WALLET_CRASH_POINTS: comma-separated crash points (test-only: the process SIGKILLs itself there, see
 * @wallet/withdrawals crashPoints). Refused by {@link refuseCrashPointsInProd} in the prod environment.
 */
export const crashPointsEnv = z
  .string()
  .regex(/^[a-z0-9_.,]*$/, 'expected comma-separated crash point names')
  .default('')
  .transform((v) => new Set(v.split(',').filter((s) => s.length > 0)) as ReadonlySet<string>);

/** @throws WalletError CONFIG_INVALID when crash points are enabled in the `prod` environment */
export function refuseCrashPointsInProd(config: { readonly WALLET_ENV: string; readonly WALLET_CRASH_POINTS: ReadonlySet<string> }): void {
  if (config.WALLET_ENV === 'prod' && config.WALLET_CRASH_POINTS.size > 0) {
    throw new WalletError('CONFIG_INVALID', 'WALLET_CRASH_POINTS: crash points are for tests and are refused in the prod environment', {
      details: { variables: ['WALLET_CRASH_POINTS'] },
    });
  }
}
