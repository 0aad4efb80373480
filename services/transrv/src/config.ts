import { assetRegistryEnv } from '@wallet/assets';
import {
  chainHeightsEnv,
  chainRpcEnv,
  chainWsEnv,
  commonEnv,
  crashPointsEnv,
  hostPort,
  intString,
  loadEnvConfig,
  refuseCrashPointsInProd,
} from '@wallet/config';
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
  WALLET_CHAIN_WS: chainWsEnv,
  /**
   * Node RPC URL per chain id (EVM and UTXO), as JSON; chains without one are not scanned by this node. A UTXO node's
   * URL carries its RPC credentials (`http://user:password@host:port`).
   */
  WALLET_CHAIN_RPC: chainRpcEnv,
  /** Per chain id, as JSON: the first block of a chain with no checkpoint. @default the node's head at first start */
  TRANSRV_SCAN_START_HEIGHTS: chainHeightsEnv,
  /** Test-only crash points (refused in prod). */
  WALLET_CRASH_POINTS: crashPointsEnv,
  /** How long to wait for signsrv's receipt of a withdrawal before sending it again. */
  TRANSRV_RESEND_AFTER_MS: intString(100, 600_000).default(10_000),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const config = loadEnvConfig(ConfigSchema, env, ['TRANSRV_']);
  refuseCrashPointsInProd(config);
  return config;
}
