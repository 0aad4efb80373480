import type { Db } from '@wallet/db';
import { WalletError, toWalletError } from '@wallet/errors';
import { ObjectId } from '@wallet/ids';
import { instanceInfo } from '@wallet/lifecycle';
import type { Logger } from '@wallet/logger';
import type { Auditors, Payouts, ReviewView } from '@wallet/payout';
import { type ReviewItem, SignServiceService } from '@wallet/proto';
import { GrpcServer, parseRequest } from '@wallet/rpc';
import { withdrawalEvents } from '@wallet/withdrawals';
import Fastify, { LogController } from 'fastify';
import { z } from 'zod';

export type SignsrvDeps = {
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly db: Db;
  readonly log: Logger;
  readonly payouts: Payouts;
  readonly auditors: Auditors;
};

const Reason = z.string().trim().min(1).max(200);
const ListReviewsRequest = z.object({
  auditorToken: z.string(),
  page: z.object({ limit: z.number().int().min(0).max(200), cursor: z.string().max(64) }).optional(),
});
const ReviewDecision = z.object({ auditorToken: z.string(), withdrawalId: ObjectId, reason: z.string().max(200) });

/** A review as the HTTP API shows it (absent values are null). */
function toJson(v: ReviewView) {
  return {
    ...v,
    amount: v.amount.toString(),
    fee: v.fee.toString(),
    receivedAt: v.receivedAt.toISOString(),
    createdAt: v.createdAt.toISOString(),
  };
}

/** The same over gRPC (proto3 has no null: absent values are empty). */
function toItem(v: ReviewView): ReviewItem {
  const j = toJson(v);
  return {
    ...j,
    decision: j.decision ?? '',
    decidedBy: j.decidedBy ?? '',
    reason: j.reason ?? '',
    txid: j.txid ?? '',
    nonce: String(j.nonce ?? 0),
  };
}

/** Builds signsrv's gRPC server without listening. Every review call authenticates its auditor token. */
export function buildGrpc(deps: SignsrvDeps): GrpcServer {
  const { payouts, auditors } = deps;
  return new GrpcServer(deps.log).addService('wallet.v1.SignService', SignServiceService, {
    getInfo: async () => instanceInfo('signsrv', deps.instanceId, deps.startedAt),
    listReviews: async (raw) => {
      const req = parseRequest(ListReviewsRequest, raw);
      auditors.authenticate(req.auditorToken);
      const limit = req.page?.limit || 50;
      const items = await payouts.listPending(limit, req.page?.cursor || undefined);
      return { items: items.map(toItem), page: { nextCursor: items.length === limit ? items[items.length - 1]!.withdrawalId : '' } };
    },
    approveWithdrawal: async (raw) => {
      const req = parseRequest(ReviewDecision, raw);
      return toItem(await payouts.approve(auditors.authenticate(req.auditorToken), req.withdrawalId));
    },
    rejectWithdrawal: async (raw) => {
      const req = parseRequest(ReviewDecision, raw);
      const auditor = auditors.authenticate(req.auditorToken);
      return toItem(await payouts.reject(auditor, req.withdrawalId, Reason.parse(req.reason)));
    },
  });
}

/**
 * Builds signsrv's HTTP API without listening (tests use `inject()`): the auditors' review API, authenticated by
 * `Authorization: Bearer <token>`. /healthz is open.
 */
export function buildHttp(deps: SignsrvDeps) {
  const { payouts, auditors } = deps;
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
  });
  app.setErrorHandler((error, request, reply) => {
    const e = fromHttpError(error);
    if (e.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    return reply.code(e.httpStatus).send(e.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new WalletError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(e.httpStatus).send(e.toJSON());
  });

  app.get('/healthz', async (_req, reply) => {
    try {
      await deps.db.raw('SELECT 1');
      return { status: 'ok', instanceId: deps.instanceId, mysql: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', instanceId: deps.instanceId, mysql: 'unreachable' });
    }
  });

  void app.register(
    async (v1) => {
      v1.decorateRequest('auditor', '');
      v1.addHook('preHandler', async (request) => {
        const header = request.headers.authorization;
        const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
        (request as unknown as { auditor: string }).auditor = auditors.authenticate(token);
      });
      const auditorOf = (request: object) => (request as { auditor: string }).auditor;
      const Params = z.object({ id: ObjectId }).strict();

      v1.get('/reviews', async (request) => {
        const q = parse(
          z.object({ limit: z.coerce.number().int().min(1).max(200).optional(), after: ObjectId.optional() }).strict(),
          request.query,
        );
        const limit = q.limit ?? 50;
        const items = await payouts.listPending(limit, q.after);
        return { data: items.map(toJson), next: items.length === limit ? items[items.length - 1]!.withdrawalId : null };
      });
      v1.get('/reviews/:id', async (request) => {
        const { id } = parse(Params, request.params);
        const view = await payouts.get(id);
        const events = await withdrawalEvents(deps.db, id);
        return { ...toJson(view), events: events.map((e) => ({ ...e, at: e.at.toISOString() })) };
      });
      v1.post('/reviews/:id/approve', async (request) => {
        const { id } = parse(Params, request.params);
        parse(z.object({}).strict(), request.body ?? {});
        return toJson(await payouts.approve(auditorOf(request), id));
      });
      v1.post('/reviews/:id/reject', async (request) => {
        const { id } = parse(Params, request.params);
        const body = parse(z.object({ reason: Reason }).strict(), request.body);
        return toJson(await payouts.reject(auditorOf(request), id, body.reason));
      });
      v1.get('/alerts', async (request) => {
        const q = parse(z.object({ limit: z.coerce.number().int().min(1).max(200).optional() }).strict(), request.query);
        const rows = await deps
          .db('sign_alerts')
          .orderBy('id', 'desc')
          .limit(q.limit ?? 50)
          .select<{ id: number; kind: string; withdrawal_id: string | null; details: string; created_at: Date }[]>();
        return {
          data: rows.map((r) => ({
            id: String(r.id),
            kind: r.kind,
            withdrawalId: r.withdrawal_id,
            details: JSON.parse(r.details) as unknown,
            createdAt: r.created_at.toISOString(),
          })),
        };
      });
    },
    { prefix: '/v1' },
  );
  return app;
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new WalletError('VALIDATION_FAILED', issue ? `${issue.path.join('.') || 'input'}: ${issue.message}` : 'invalid input', {
    details: { field: issue?.path.join('.') ?? '' },
  });
}

function fromHttpError(error: unknown): WalletError {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new WalletError('PAYLOAD_TOO_LARGE');
  if (typeof e.code === 'string' && e.code.startsWith('FST_') && typeof e.statusCode === 'number' && e.statusCode < 500) {
    return new WalletError('VALIDATION_FAILED', typeof e.message === 'string' ? e.message : undefined);
  }
  if (error instanceof z.ZodError) return new WalletError('VALIDATION_FAILED', 'invalid input');
  return toWalletError(error);
}
