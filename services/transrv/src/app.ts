import type { Db } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { TransServiceService } from '@wallet/proto';
import { GrpcServer } from '@wallet/rpc';

export type TransrvDeps = {
  readonly nodeId: string;
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly db: Db;
  readonly log: Logger;
};

/** Builds transrv's gRPC server without listening, so tests can drive it in-process. */
export function buildApp(deps: TransrvDeps): GrpcServer {
  return new GrpcServer(deps.log).addService('wallet.v1.TransService', TransServiceService, {
    getInfo: async () => ({
      service: 'transrv',
      instanceId: deps.instanceId,
      nodeId: deps.nodeId,
      version: process.env['npm_package_version'] ?? '0.1.0',
      startedAt: deps.startedAt.toISOString(),
    }),
  });
}

/** Records that this node id exists (first start) and when it last started. The row is never deleted. */
export async function recordNodeStart(db: Db, nodeId: string): Promise<void> {
  await db.raw('INSERT INTO transrv_nodes (node_id) VALUES (?) ON DUPLICATE KEY UPDATE last_started_at = CURRENT_TIMESTAMP(3)', [nodeId]);
}
