import { commonEnv, hostPort, intString, loadEnvConfig } from '@wallet/config';
import { z } from 'zod';

export const ConfigSchema = z.object({
  ...commonEnv,
  GATESRV_HTTP_ADDR: hostPort.default('127.0.0.1:8080'),
  /** Largest accepted request body. */
  GATESRV_BODY_LIMIT_BYTES: intString(1024, 1_048_576).default(65_536),
  /** Deadline of each gRPC call to accountsrv/transrv. */
  GATESRV_UPSTREAM_TIMEOUT_MS: intString(100, 60_000).default(5_000),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  return loadEnvConfig(ConfigSchema, env, ['GATESRV_']);
}
