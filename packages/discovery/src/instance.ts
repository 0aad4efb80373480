import { z } from 'zod';

export const ServiceName = {
  gatesrv: 'gatesrv',
  accountsrv: 'accountsrv',
  transrv: 'transrv',
  signsrv: 'signsrv',
} as const;
export type ServiceName = (typeof ServiceName)[keyof typeof ServiceName];

/** What an instance publishes about itself under its lease. Validated on read: etcd is shared state. */
export const InstanceSchema = z.object({
  service: z.enum(['gatesrv', 'accountsrv', 'transrv', 'signsrv']),
  instanceId: z.string().min(1).max(100),
  /** gRPC `host:port` (empty for services with no gRPC API). */
  address: z.string().max(300),
  /** transrv only: the stable node id given by ops (`TRANSRV_NODE_ID`). */
  nodeId: z.string().max(64).optional(),
  /** HTTP `host:port`, where the instance serves one. */
  httpAddress: z.string().max(300).optional(),
  startedAt: z.string(),
});
export type Instance = z.infer<typeof InstanceSchema>;

/** `/wallet/<env>/services/<service>/` */
export function servicePrefix(env: string, service: ServiceName): string {
  return `/wallet/${env}/services/${service}/`;
}
