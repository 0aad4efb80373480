import { WalletError, toWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import Fastify from 'fastify';
import type { Peers } from './peers.js';

export type GatesrvDeps = {
  readonly instanceId: string;
  readonly peers: Peers;
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  readonly upstreamTimeoutMs: number;
};

/** Builds the gateway's HTTP app without listening (tests use `inject()`). */
export function buildApp(deps: GatesrvDeps) {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }),
    bodyLimit: deps.bodyLimitBytes,
    disableRequestLogging: true,
    requestIdHeader: 'x-request-id',
  });

  app.setErrorHandler((error, request, reply) => {
    const walletError = fromFastifyError(error);
    if (walletError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    return reply.code(walletError.httpStatus).send(walletError.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new WalletError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(e.httpStatus).send(e.toJSON());
  });

  // Unsigned: load balancers and ops probe it. 200 when accountsrv and at least one transrv answer.
  app.get('/healthz', async (_request, reply) => {
    const health = await deps.peers.health(Math.min(deps.upstreamTimeoutMs, 2000));
    const accountsrvUp = health.accountsrv.some((p) => p.status === 'SERVING');
    const transrvUp = health.transrv.some((p) => p.status === 'SERVING');
    const ok = accountsrvUp && transrvUp;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'unavailable',
      instanceId: deps.instanceId,
      accountsrv: health.accountsrv,
      transrv: health.transrv,
    });
  });

  return app;
}

/** Maps fastify's own errors (body too large, bad JSON...) onto registry codes. */
function fromFastifyError(error: unknown): WalletError {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new WalletError('PAYLOAD_TOO_LARGE');
  if (
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500 &&
    typeof e.code === 'string' &&
    e.code.startsWith('FST_')
  ) {
    return new WalletError('VALIDATION_FAILED', typeof e.message === 'string' ? e.message : undefined);
  }
  return toWalletError(error);
}
