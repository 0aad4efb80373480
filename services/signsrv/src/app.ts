import type { Db } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { ObjectId, PageLimitQuery } from '@wallet/ids';
import { instanceInfo } from '@wallet/lifecycle';
import type { Logger } from '@wallet/logger';
import type { Auditors, Payouts, ReviewView } from '@wallet/payout';
import { type ReviewItem, SignServiceService } from '@wallet/proto';
import { ApiDocument, bearerAuth, createEdgeApp } from '@wallet/http-edge';
import { GrpcServer, parseRequest } from '@wallet/rpc';
import { withdrawalEvents } from '@wallet/withdrawals';
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
    internalAccountId: j.internalAccountId ?? '',
    destinationIsContract: j.destinationIsContract === true,
    destinationChecked: j.destinationIsContract !== null,
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

/** The review API's OpenAPI document (served at `/openapi.json`, open: it holds no data). */
function reviewApiDocument(): ApiDocument {
  return new ApiDocument(
    { title: 'signsrv review API', version: '1.0.0', description: "The auditors' review API (docs/withdrawals.md)." },
    { bearer: { type: 'http', scheme: 'bearer', description: "An auditor's token." } },
  );
}

const Params = z.object({ id: ObjectId }).strict();
const ReviewsQuery = z.object({ limit: PageLimitQuery.optional(), after: ObjectId.optional() }).strict();
const AlertsQuery = z.object({ limit: PageLimitQuery.optional() }).strict();
const ReasonBody = z.object({ reason: Reason }).strict();
const REVIEW_ERRORS = ['UNAUTHENTICATED', 'UNAVAILABLE', 'NOT_FOUND'] as const;
const DECISION_ERRORS = [...REVIEW_ERRORS, 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE', 'WITHDRAWAL_NOT_REVIEWABLE', 'CONFLICT'] as const;
const ReviewJson = z.object({ withdrawalId: z.string() }).passthrough().meta({ id: 'Review' });

/**
 * Builds signsrv's HTTP API without listening (tests use `inject()`): the auditors' review API, authenticated by
 * `Authorization: Bearer <token>`. /healthz is open. Readiness and the token are checked in `onRequest`, before the
 * body is read or parsed: an unauthenticated request gets 401, never a body-parse or body-size error. Every answer,
 * errors of the framework and the HTTP parser included, has the edge kit's envelope.
 */
export function buildHttp(deps: SignsrvDeps) {
  const { payouts, auditors } = deps;
  const app = createEdgeApp({ log: deps.log, bodyLimitBytes: 16 * 1024 });
  const api = reviewApiDocument();

  app.get('/healthz', async (_req, reply) => {
    try {
      await deps.db.raw('SELECT 1');
      return { status: 'ok' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  let document: string | undefined;
  app.get('/openapi.json', async (_req, reply) => {
    document ??= JSON.stringify(api.toJSON());
    return reply.type('application/json; charset=utf-8').send(document);
  });

  void app.register(
    async (v1) => {
      v1.decorateRequest('auditor', '');
      v1.addHook(
        'onRequest',
        bearerAuth(
          (token) => auditors.authenticate(token),
          (request, auditor) => ((request as unknown as { auditor: string }).auditor = auditor),
          deps.ready,
        ),
      );
      const auditorOf = (request: object) => (request as { auditor: string }).auditor;
      const common = { tags: ['reviews'], security: 'bearer' } as const;

      api.route(
        v1,
        {
          ...common,
          method: 'GET',
          path: '/reviews',
          summary: 'The review queue, oldest first',
          query: ReviewsQuery,
          responses: { 200: { description: 'A page.', schema: z.object({ data: z.array(ReviewJson), next: z.string().nullable() }) } },
          errors: REVIEW_ERRORS,
        },
        async ({ query }) => {
          const page = await reviewPage(payouts, query.limit ?? DEFAULT_PAGE, query.after);
          return { data: page.items.map(toJson), next: page.next ?? null };
        },
      );
      api.route(
        v1,
        {
          ...common,
          method: 'GET',
          path: '/reviews/:id',
          summary: 'One withdrawal with its audit trail',
          params: Params,
          responses: { 200: { description: 'The review.', schema: ReviewJson } },
          errors: REVIEW_ERRORS,
        },
        async ({ params }) => {
          const view = await payouts.get(params.id);
          const events = await withdrawalEvents(deps.db, params.id);
          return { ...toJson(view), events: events.map((e) => ({ ...e, at: e.at.toISOString() })) };
        },
      );
      api.route(
        v1,
        {
          ...common,
          method: 'POST',
          path: '/reviews/:id/approve',
          summary: 'Approve a withdrawal',
          params: Params,
          body: z.object({}).strict(),
          bodyOptional: true,
          responses: { 200: { description: 'Approved.', schema: ReviewJson } },
          errors: [...DECISION_ERRORS, 'INTEGRITY_MISMATCH', 'LIMIT_EXCEEDED'],
        },
        async ({ params }, request) => toJson(await payouts.approve(auditorOf(request), params.id)),
      );
      api.route(
        v1,
        {
          ...common,
          method: 'POST',
          path: '/reviews/:id/reject',
          summary: 'Reject a withdrawal (its funds are released)',
          params: Params,
          body: ReasonBody,
          responses: { 200: { description: 'Rejected.', schema: ReviewJson } },
          errors: DECISION_ERRORS,
        },
        async ({ params, body }, request) => toJson(await payouts.reject(auditorOf(request), params.id, body.reason)),
      );
      api.route(
        v1,
        {
          ...common,
          method: 'POST',
          path: '/reviews/:id/void',
          summary: 'Void an approved withdrawal that was never signed',
          params: Params,
          body: ReasonBody,
          responses: { 200: { description: 'Voided.', schema: ReviewJson } },
          errors: [...DECISION_ERRORS, 'WITHDRAWAL_NOT_VOIDABLE'],
        },
        async ({ params, body }, request) => toJson(await payouts.voidApproved(auditorOf(request), params.id, body.reason)),
      );
      api.route(
        v1,
        {
          ...common,
          tags: ['alerts'],
          method: 'GET',
          path: '/alerts',
          summary: 'Operator alarms, newest first',
          query: AlertsQuery,
          responses: {
            200: { description: 'The newest alarms.', schema: z.object({ data: z.array(z.object({ id: z.string() }).passthrough()) }) },
          },
          errors: ['UNAUTHENTICATED', 'UNAVAILABLE'],
        },
        async ({ query }) => {
          const rows = await deps
            .db('sign_alerts')
            .orderBy('id', 'desc')
            .limit(query.limit ?? DEFAULT_PAGE)
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
        },
      );
    },
    { prefix: '/v1' },
  );
  return app;
}
