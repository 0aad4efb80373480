import { assetRegistryEnv } from '@wallet/assets';
import { formatCidr, parseAllowList } from '@wallet/client-auth';
import { commonEnv, hostPort, intString, loadEnvConfig } from '@wallet/config';
import { z } from 'zod';

export const ConfigSchema = z.object({
  ...commonEnv,
  /** Chains and assets (JSON); defaults to the local stack's. */
  WALLET_ASSETS: assetRegistryEnv,
  /** The public HTTP API's listen address (behind the exchange-facing load balancer). */
  GATESRV_HTTP_ADDR: hostPort.default('127.0.0.1:8080'),
  /**
   * HTTP address of /metrics (Prometheus text format), /healthz and /readyz, apart from the service's API
   * (docs/metrics.md). Port 0 lets the OS choose; the bound URL is logged as `metrics ready`.
   */
  GATESRV_METRICS_ADDR: hostPort.default('127.0.0.1:9180'),
  /**
   * On SIGTERM, how long the gateway goes on serving with its readiness (`/readyz` on the metrics port, `/healthz` on
   * the API port) already answering 503, before it stops accepting connections: the time the load balancer needs to
   * see that and take it out of rotation, so that none of its requests meets a closed port. Set it above the
   * balancer's detection time (check interval times failures to mark down, plus a check's timeout). Then in-flight
   * requests are finished and the process exits (docs/operations.md, Rolling gatesrv).
   */
  GATESRV_SHUTDOWN_DELAY_MS: intString(0, 120_000).default(5_000),
  /** Largest accepted request body. */
  GATESRV_BODY_LIMIT_BYTES: intString(1024, 1_048_576).default(65_536),
  /** Deadline of each gRPC call to accountsrv/transrv. */
  GATESRV_UPSTREAM_TIMEOUT_MS: intString(100, 60_000).default(5_000),
  /** Requests per API key per second, shared by all gateway instances. */
  GATESRV_RATE_LIMIT_PER_SECOND: intString(1, 1_000_000).default(1000),
  /** Allowed clock difference of X-Timestamp, each way. */
  GATESRV_AUTH_WINDOW_MS: intString(1000, 300_000).default(30_000),
  /** How long a client's key lookup is cached: a disabled client stops working within this. */
  GATESRV_CREDENTIAL_CACHE_MS: intString(0, 300_000).default(30_000),
  /**
   * Comma-separated addresses or CIDRs of the proxies in front of the gateways (a load balancer): only from these is
   * X-Forwarded-For believed, and the source address (keys' allow-lists, the per-source limit) is then the nearest
   * address in it that is not one of them. Empty (the default): the socket's peer is the source, X-Forwarded-For is
   * ignored.
   */
  GATESRV_TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((text, ctx) => {
      try {
        return parseAllowList(text).map(formatCidr);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated IP addresses or CIDRs (host bits zero)' });
        return z.NEVER;
      }
    }),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  return loadEnvConfig(ConfigSchema, env, ['GATESRV_']);
}
