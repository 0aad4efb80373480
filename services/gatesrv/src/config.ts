import { assetRegistryEnv } from '@wallet/assets';
import { commonEnv, hostPort, intString, loadEnvConfig } from '@wallet/config';
import { z } from 'zod';

export const ConfigSchema = z.object({
  ...commonEnv,
  /** Chains and assets (JSON); defaults to the local stack's. */
  WALLET_ASSETS: assetRegistryEnv,
  GATESRV_HTTP_ADDR: hostPort.default('127.0.0.1:8080'),
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
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  return loadEnvConfig(ConfigSchema, env, ['GATESRV_']);
}
