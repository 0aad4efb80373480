import { assetRegistryEnv } from '@wallet/assets';
import { commonEnv, hostPort, loadEnvConfig } from '@wallet/config';
import { z } from 'zod';

export const ConfigSchema = z.object({
  ...commonEnv,
  /** Chains and assets (JSON); defaults to the local stack's. */
  WALLET_ASSETS: assetRegistryEnv,
  /** Stable node id given by ops. Accounts are bound to it for life: never reuse one for another node. */
  TRANSRV_NODE_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'expected [a-z0-9-], at most 32 chars'),
  /** gRPC listen address; port 0 lets the OS choose (the bound port is what etcd publishes). */
  TRANSRV_GRPC_ADDR: hostPort.default('127.0.0.1:0'),
  TRANSRV_ADVERTISE_HOST: z.string().min(1).optional(),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  return loadEnvConfig(ConfigSchema, env, ['TRANSRV_']);
}
