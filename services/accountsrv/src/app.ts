import type { Db } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { AccountServiceService } from '@wallet/proto';
import { GrpcServer } from '@wallet/rpc';

export type AccountsrvDeps = {
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly db: Db;
  readonly log: Logger;
};

/** Builds accountsrv's gRPC server without listening, so tests can drive it in-process. */
export function buildApp(deps: AccountsrvDeps): GrpcServer {
  return new GrpcServer(deps.log).addService('wallet.v1.AccountService', AccountServiceService, {
    getInfo: async () => ({
      service: 'accountsrv',
      instanceId: deps.instanceId,
      nodeId: '',
      version: process.env['npm_package_version'] ?? '0.1.0',
      startedAt: deps.startedAt.toISOString(),
    }),
  });
}
