import { commonEnv, hostPort, loadEnvConfig } from '@wallet/config';
import { z } from 'zod';

export const ConfigSchema = z.object({
  ...commonEnv,
  /** gRPC listen address; port 0 lets the OS choose (the bound port is what etcd publishes). */
  SIGNSRV_GRPC_ADDR: hostPort.default('127.0.0.1:0'),
  SIGNSRV_ADVERTISE_HOST: z.string().min(1).optional(),
  /** HTTP API (and, later, the auditors' console). */
  SIGNSRV_HTTP_ADDR: hostPort.default('127.0.0.1:8090'),
});
export type Config = z.infer<typeof ConfigSchema>;

/** @param env @default process.env */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  return loadEnvConfig(ConfigSchema, env, ['SIGNSRV_']);
}
