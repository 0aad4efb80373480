import type { Db } from '@wallet/db';
import { WalletError, toWalletError } from '@wallet/errors';
import { ObjectId, PageLimitQuery } from '@wallet/ids';
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
  /** The review queue (only these methods: tests pass a fake). */
  readonly payouts: Pick<Payouts, 'listPending' | 'get' | 'approve' | 'reject' | 'voidApproved'>;
  readonly auditors: Pick<Auditors, 'authenticate'>;
  /**
   * Whether this process is registered in etcd as the cluster's one signsrv. Until it is, another signsrv may still
   * hold the keys' role, so review calls answer UNAVAILABLE (retryable) instead of deciding anything.
   */
  readonly ready: () => boolean;
};

const DEFAULT_PAGE = 50;

/** A rejection's (or void's) reason: trimmed, 1..200 characters (the `reason` columns and the Redis message cap it). */
const Reason = z.string().trim().min(1, 'a reason is required').max(200, 'reason must be at most 200 characters');
/** A review list cursor is the last withdrawal id of the previous page; empty means the first page. */
const ReviewCursor = z.union([z.literal(''), ObjectId]);
const ListReviewsRequest = z.object({
  auditorToken: z.string(),
  page: z.object({ limit: z.number().int().min(0).max(200), cursor: ReviewCursor }).optional(),
});
const ApproveRequest = z.object({ auditorToken: z.string(), withdrawalId: ObjectId, reason: z.string().max(200) });
const RejectRequest = ApproveRequest.extend({ reason: Reason });

const notReady = () =>
  new WalletError('UNAVAILABLE', "signsrv is not ready: not yet registered as the cluster's signsrv", {
    details: { reason: 'NOT_READY' },
  });

/**
 * One page of the review queue. One more row than the page is asked for, so a next cursor is given only when
 * another page exists (a page that happens to end the queue does not send the client to an empty one).
 */
async function reviewPage(payouts: SignsrvDeps['payouts'], limit: number, after: string | undefined) {
  const rows = await payouts.listPending(limit + 1, after);
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? items[items.length - 1]!.withdrawalId : undefined };
}

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
    nonce: j.nonce === null ? '' : String(j.nonce),
  };
}

/**
 * Builds signsrv's gRPC server without listening. Every review call checks readiness, then authenticates its auditor
 * token, and only then validates the rest of the request: a caller without a valid token learns nothing from the
 * validation errors of its input.
 */
export function buildGrpc(deps: SignsrvDeps): GrpcServer {
  const { payouts, auditors } = deps;
  const admit = (raw: { auditorToken?: unknown }): string => {
    if (!deps.ready()) throw notReady();
    return auditors.authenticate(typeof raw.auditorToken === 'string' ? raw.auditorToken : undefined);
  };
  return new GrpcServer(deps.log).addService('wallet.v1.SignService', SignServiceService, {
    getInfo: async () => instanceInfo('signsrv', deps.instanceId, deps.startedAt),
    listReviews: async (raw) => {
      admit(raw);
      const req = parseRequest(ListReviewsRequest, raw);
      const page = await reviewPage(payouts, req.page?.limit || DEFAULT_PAGE, req.page?.cursor || undefined);
      return { items: page.items.map(toItem), page: { nextCursor: page.next ?? '' } };
    },
    approveWithdrawal: async (raw) => {
      const auditor = admit(raw);
      const req = parseRequest(ApproveRequest, raw);
      return toItem(await payouts.approve(auditor, req.withdrawalId));
    },
    rejectWithdrawal: async (raw) => {
      const auditor = admit(raw);
      const req = parseRequest(RejectRequest, raw);
      return toItem(await payouts.reject(auditor, req.withdrawalId, req.reason));
    },
    voidWithdrawal: async (raw) => {
      const auditor = admit(raw);
      const req = parseRequest(RejectRequest, raw);
      return toItem(await payouts.voidApproved(auditor, req.withdrawalId, req.reason));
    },
  });
}

/**
 * Builds signsrv's HTTP API without listening (tests use `inject()`): the auditors' review API, authenticated by
 * `Authorization: Bearer <token>`. /healthz is open. Readiness and the token are checked in `onRequest`, before the
 * body is read or parsed: an unauthenticated request gets 401, never a body-parse or body-size error.
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
      v1.addHook('onRequest', async (request) => {
        if (!deps.ready()) throw notReady();
        const header = request.headers.authorization;
        const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
        (request as unknown as { auditor: string }).auditor = auditors.authenticate(token);
      });
      const auditorOf = (request: object) => (request as { auditor: string }).auditor;
      const Params = z.object({ id: ObjectId }).strict();

      v1.get('/reviews', async (request) => {
        const q = parse(z.object({ limit: PageLimitQuery.optional(), after: ObjectId.optional() }).strict(), request.query);
        const page = await reviewPage(payouts, q.limit ?? DEFAULT_PAGE, q.after);
        return { data: page.items.map(toJson), next: page.next ?? null };
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
      v1.post('/reviews/:id/void', async (request) => {
        const { id } = parse(Params, request.params);
        const body = parse(z.object({ reason: Reason }).strict(), request.body);
        return toJson(await payouts.voidApproved(auditorOf(request), id, body.reason));
      });
      v1.get('/alerts', async (request) => {
        const q = parse(z.object({ limit: PageLimitQuery.optional() }).strict(), request.query);
        const rows = await deps
          .db('sign_alerts')
          .orderBy('id', 'desc')
          .limit(q.limit ?? DEFAULT_PAGE)
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
