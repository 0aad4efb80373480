import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { GatesrvDeps } from '../deps.js';
import { SIGNED } from './errorSets.js';

const HealthStatus = z.object({ status: z.enum(['ok', 'unavailable']) }).meta({ id: 'HealthStatus' });
const ServiceCount = z.object({ serving: z.number().int(), total: z.number().int() });
const HealthDetail = HealthStatus.extend({ accountsrv: ServiceCount, transrv: ServiceCount }).meta({ id: 'HealthDetail' });

type HealthDeps = Pick<GatesrvDeps, 'peers' | 'upstreamTimeoutMs' | 'ready'>;

async function probe(deps: HealthDeps) {
  const health = await deps.peers.health(Math.min(deps.upstreamTimeoutMs, 2000));
  const count = (peers: { status: string }[]) => ({ serving: peers.filter((p) => p.status === 'SERVING').length, total: peers.length });
  const accountsrv = count(health.accountsrv);
  const transrv = count(health.transrv);
  return { ok: accountsrv.serving > 0 && transrv.serving > 0, accountsrv, transrv };
}

/**
 * `GET /healthz` (open, for load balancers): status only, nothing about the layout behind the gateway.
 * 200 when the gateway is ready (not shutting down) and accountsrv and at least one transrv answer, else 503.
 */
export function publicHealthRoutes(api: ApiDocument, deps: HealthDeps): FastifyPluginAsync {
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/healthz',
        summary: 'Liveness and readiness for load balancers (unsigned)',
        tags: ['health'],
        responses: { 200: { description: 'Ready.', schema: HealthStatus }, 503: { description: 'Not ready.', schema: HealthStatus } },
      },
      async (_input, _request, reply) => {
        // Shutting down: out of the balancer's rotation at once, whatever the services behind answer.
        const ok = (deps.ready?.() ?? true) && (await probe(deps)).ok;
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable' });
      },
    );
  };
}

/**
 * `GET /v1/health` (signed): how many instances of each service behind the gateway answer. Instance ids, addresses
 * and node ids are for operators only (`walletctl health`), never for clients.
 */
export function signedHealthRoutes(api: ApiDocument, deps: HealthDeps): FastifyPluginAsync {
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/health',
        summary: 'Serving instance counts behind the gateway',
        tags: ['health'],
        security: 'signature',
        responses: { 200: { description: 'Ready.', schema: HealthDetail }, 503: { description: 'Not ready.', schema: HealthDetail } },
        errors: SIGNED,
      },
      async (_input, _request, reply) => {
        const { ok, accountsrv, transrv } = await probe(deps);
        return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', accountsrv, transrv });
      },
    );
  };
}
