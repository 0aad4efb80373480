import type { Db } from '@wallet/db';
import type { Logger } from '@wallet/logger';
import { SignServiceService } from '@wallet/proto';
import { instanceInfo } from '@wallet/lifecycle';
import { GrpcServer } from '@wallet/rpc';
import Fastify from 'fastify';

export type SignsrvDeps = {
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly db: Db;
  readonly log: Logger;
};

/** Builds signsrv's gRPC server without listening. */
export function buildGrpc(deps: SignsrvDeps): GrpcServer {
  return new GrpcServer(deps.log).addService('wallet.v1.SignService', SignServiceService, {
    getInfo: async () => instanceInfo('signsrv', deps.instanceId, deps.startedAt),
  });
}

/** Builds signsrv's HTTP API without listening (tests use `inject()`). */
export function buildHttp(deps: SignsrvDeps) {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'http' }), disableRequestLogging: true });
  app.get('/healthz', async (_req, reply) => {
    try {
      await deps.db.raw('SELECT 1');
      return { status: 'ok', instanceId: deps.instanceId, mysql: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', instanceId: deps.instanceId, mysql: 'unreachable' });
    }
  });
  return app;
}
