import { assetRegistryEnv } from '@wallet/assets';
import { commonEnv, hostPort, loadEnvConfig } from '@wallet/config';
import { NodeId } from '@wallet/ids';
import { z } from 'zod';

export const ConfigSchema = z.object({
  ...commonEnv,
  /** Chains and assets (JSON); defaults to the local stack's. */
  WALLET_ASSETS: assetRegistryEnv,
  /** Stable node id given by ops. Accounts are bound to it for life: never reuse one for another node. */
  TRANSRV_NODE_ID: NodeId,
  /** gRPC listen address; port 0 lets the OS choose (the bound port is what etcd publishes). */
  TRANSRV_GRPC_ADDR: hostPort.default('127.0.0.1:0'),
  TRANSRV_ADVERTISE_HOST: z.string().min(1).optional(),
  /** HTTP address of /metrics (scanner lag gauges, Prometheus text format). */
  TRANSRV_METRICS_ADDR: hostPort.default('127.0.0.1:0'),
  /** Whether this node campaigns to scan chains (one scanner per chain is active cluster-wide). */
  TRANSRV_SCAN: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Node WebSocket URL per EVM chain id, as JSON, for new-head subscriptions (polling continues regardless). */
  WALLET_CHAIN_WS: z
    .string()
    .default('{"eth":"ws://127.0.0.1:8545"}')
    .transform((text, ctx) => {
      try {
        return z.record(z.string(), z.string().regex(/^wss?:\/\/\S+$/)).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected JSON {"<chain>": "ws://..."}' });
        return z.NEVER;
      }
    }),
  /** Node RPC URL per EVM chain id, as JSON; chains without one are not scanned by this node. */
  WALLET_CHAIN_RPC: z
    .string()
    .default('{"eth":"http://127.0.0.1:8545"}')
    .transform((text, ctx) => {
      try {
        return z.record(z.string(), z.string().url()).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected JSON {"<chain>": "<rpc url>"}' });
        return z.NEVER;
      }
    }),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  return loadEnvConfig(ConfigSchema, env, ['TRANSRV_']);
}
