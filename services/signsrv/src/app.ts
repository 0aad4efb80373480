import type { Db } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { ObjectId, PageLimitQuery } from '@wallet/ids';
import { instanceInfo } from '@wallet/lifecycle';
import type { Logger } from '@wallet/logger';
import { type Auditors, type Payouts, type Principal, type QueueFilter, type ReviewView, automationPrincipal } from '@wallet/payout';
import { type ReviewItem, SignServiceService } from '@wallet/proto';
import { ApiDocument, bearerToken, createEdgeApp } from '@wallet/http-edge';
import { type Metrics, grpcServerObserver, httpMetrics } from '@wallet/metrics';
import { GrpcServer, parseRequest } from '@wallet/rpc';
import { type WithdrawalStatus, withdrawalStatuses } from '@wallet/withdrawal-protocol';
import { withdrawalEvents } from '@wallet/withdrawals';
import { z } from 'zod';
import { alertsRoutes } from './alertsRoutes.js';
import { type ConsoleDeps, consoleRoutes } from './console/index.js';
import { signCallers } from './signCallers.js';

export type SignsrvDeps = {
  /** The process's metrics: gRPC calls served and HTTP requests answered are recorded in them (absent: not recorded). */
  readonly metrics?: Metrics;
  readonly instanceId: string;
  readonly startedAt: Date;
  readonly db: Db;
  readonly log: Logger;
  /** The review queue (only these methods: tests pass a fake). */
  readonly payouts: Pick<Payouts, 'listPending' | 'listDecided' | 'get' | 'approve' | 'reject' | 'voidApproved'>;
  /** The bearer tokens of the automation API (a role of its own: it decides under the same policies as auditors). */
  readonly auditors: Pick<Auditors, 'authenticate'>;
  /**
   * The automation API's switch (an admin's, in signing_controls) and the throttle of its failed tokens per address
   * (growing delays after repeated failures).
   */
  readonly automation: {
    readonly enabled: () => Promise<boolean>;
    readonly throttle?: { check(key: string): Promise<unknown>; charge(key: string): Promise<unknown> };
  };
  /**
   * Whether this process is registered in etcd as the cluster's one signsrv. Until it is, another signsrv may still
   * hold the keys' role, so review calls answer UNAVAILABLE (retryable) instead of deciding anything.
   */
  readonly ready: () => boolean;
  /** The auditors' console, served under /console (absent: not served). */
  readonly console?: Omit<ConsoleDeps, 'ready'>;
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
const Localhash = z.string().regex(/^[0-9a-f]{64}$/, 'the localhash reviewed: 64 lower-case hex characters');
const DecisionRequest = z.object({ auditorToken: z.string(), withdrawalId: ObjectId, reason: z.string().max(200), localhash: z.string() });
const ApproveRequest = DecisionRequest.extend({ localhash: Localhash });
const RejectRequest = DecisionRequest.extend({ reason: Reason });

/**
 * Authenticates a bearer token of the automation API: refused while the address is throttled (growing delays after
 * repeated failures: each unknown token counts), then the token itself, then the admin's switch of the role.
 * @returns the automation's name
 * @throws WalletError TOO_MANY_ATTEMPTS, UNAUTHENTICATED, FORBIDDEN
 */
async function authenticateAutomation(deps: SignsrvDeps, token: string | undefined, source: string): Promise<string> {
  const key = `bearer:${source}`.slice(0, 100);
  await deps.automation.throttle?.check(key);
  let name: string;
  try {
    name = deps.auditors.authenticate(token);
  } catch (error) {
    await deps.automation.throttle?.charge(key);
    throw error;
  }
  if (!(await deps.automation.enabled())) {
    throw new WalletError('FORBIDDEN', 'the automation API is switched off by an admin', { details: { reason: 'automation_disabled' } });
  }
  return name;
}

const notReady = () =>
  new WalletError('UNAVAILABLE', "signsrv is not ready: not yet registered as the cluster's signsrv", {
    details: { reason: 'NOT_READY' },
  });

/**
 * One page of the review queue. One more row than the page is asked for, so a next cursor is given only when
 * another page exists (a page that happens to end the queue does not send the client to an empty one).
 */
async function reviewPage(payouts: SignsrvDeps['payouts'], filter: QueueFilter, limit: number, after: string | undefined) {
  const rows = await payouts.listPending(filter, limit + 1, after);
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? items[items.length - 1]!.withdrawalId : undefined };
}

/** A review as the HTTP API shows it (absent values are null). */
function toJson(v: ReviewView) {
  return {
    ...v,
    amount: v.amount.toString(),
    fee: v.fee.toString(),
    approvals: v.approvals.map((a) => ({ ...a, at: a.at.toISOString() })),
    decidedAt: v.decidedAt?.toISOString() ?? null,
    holdUntil: v.holdUntil?.toISOString() ?? null,
    receivedAt: v.receivedAt.toISOString(),
    createdAt: v.createdAt.toISOString(),
  };
}

/** The same over gRPC (proto3 has no null: absent values are empty). */
function toItem(v: ReviewView): ReviewItem {
  const { approvals, decidedAt: _d, holdUntil: _h, policyId: _p, requestedBy: _r, requiredApprovals, ...j } = toJson(v);
  return {
    ...j,
    approvers: approvals.map((a) => a.approver),
    requiredApprovals: requiredApprovals ?? 0,
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
  const { payouts } = deps;
  const admit = async (raw: { auditorToken?: unknown }): Promise<Principal> => {
    if (!deps.ready()) throw notReady();
    return automationPrincipal(
      await authenticateAutomation(deps, typeof raw.auditorToken === 'string' ? raw.auditorToken : undefined, 'grpc'),
    );
  };
  return new GrpcServer(deps.log, deps.metrics ? { observe: grpcServerObserver(deps.metrics) } : {}).addService(
    'wallet.v1.SignService',
    SignServiceService,
    {
      getInfo: async () => instanceInfo('signsrv', deps.instanceId, deps.startedAt),
      listReviews: async (raw) => {
        await admit(raw);
        const req = parseRequest(ListReviewsRequest, raw);
        const page = await reviewPage(payouts, {}, req.page?.limit || DEFAULT_PAGE, req.page?.cursor || undefined);
        return { items: page.items.map(toItem), page: { nextCursor: page.next ?? '' } };
      },
      approveWithdrawal: async (raw) => {
        const by = await admit(raw);
        const req = parseRequest(ApproveRequest, raw);
        return toItem(await payouts.approve(by, req.withdrawalId, { localhash: req.localhash, comment: req.reason }));
      },
      rejectWithdrawal: async (raw) => {
        const by = await admit(raw);
        const req = parseRequest(RejectRequest, raw);
        return toItem(await payouts.reject(by, req.withdrawalId, req.reason));
      },
      voidWithdrawal: async (raw) => {
        const by = await admit(raw);
        const req = parseRequest(RejectRequest, raw);
        return toItem(await payouts.voidApproved(by, req.withdrawalId, req.reason));
      },
    },
    signCallers,
  );
}

/** The review API's OpenAPI document (served at `/openapi.json`, open: it holds no data). */
function reviewApiDocument(): ApiDocument {
  return new ApiDocument(
    { title: 'signsrv review API', version: '1.0.0', description: "The auditors' review API (docs/withdrawals.md)." },
    { bearer: { type: 'http', scheme: 'bearer', description: "An auditor's token." } },
  );
}

const Params = z.object({ id: ObjectId }).strict();
const AmountQuery = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,64})$/, 'an integer amount in base units')
  .transform(BigInt);
/** The queue's filters (as the console's). */
const FilterQuery = {
  clientId: ObjectId.optional(),
  accountId: ObjectId.optional(),
  asset: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/)
    .optional(),
  minAmount: AmountQuery.optional(),
  maxAmount: AmountQuery.optional(),
  minAgeSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(365 * 86_400)
    .optional(),
};
const ReviewsQuery = z.object({ limit: PageLimitQuery.optional(), after: ObjectId.optional(), ...FilterQuery }).strict();
const DecisionsQuery = z
  .object({
    limit: PageLimitQuery.optional(),
    before: ObjectId.optional(),
    ...FilterQuery,
    decision: z.enum(['approved', 'rejected', 'voided']).optional(),
    status: z.enum(withdrawalStatuses as [WithdrawalStatus, ...WithdrawalStatus[]]).optional(),
    decidedBy: z.string().min(1).max(100).optional(),
    to: z.string().min(1).max(128).optional(),
  })
  .strict();
const ApproveBody = z.object({ localhash: Localhash, comment: z.string().trim().max(200).optional() }).strict();
const ReasonBody = z.object({ reason: Reason }).strict();
const REVIEW_ERRORS = ['UNAUTHENTICATED', 'UNAVAILABLE', 'NOT_FOUND'] as const;
const DECISION_ERRORS = [
  ...REVIEW_ERRORS,
  'FORBIDDEN',
  'TOO_MANY_ATTEMPTS',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'WITHDRAWAL_NOT_REVIEWABLE',
  'CONFLICT',
] as const;
const ReviewJson = z.object({ withdrawalId: z.string() }).passthrough().meta({ id: 'Review' });

/**
 * Builds signsrv's HTTP API without listening (tests use `inject()`): the auditors' review API, authenticated by
 * `Authorization: Bearer <token>`. /healthz is open. Readiness and the token are checked in `onRequest`, before the
 * body is read or parsed: an unauthenticated request gets 401, never a body-parse or body-size error. Every answer,
 * errors of the framework and the HTTP parser included, has the edge kit's envelope.
 */
export function buildHttp(deps: SignsrvDeps) {
  const { payouts } = deps;
  const app = createEdgeApp({ log: deps.log, bodyLimitBytes: 16 * 1024 });
  if (deps.metrics) void app.register(httpMetrics, { metrics: deps.metrics });
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
      v1.decorateRequest('principal', null);
      // Before the body is read: readiness, the address's failures, the token, the automation switch.
      v1.addHook('onRequest', async (request) => {
        if (!deps.ready()) throw new WalletError('UNAVAILABLE', 'the service is not ready yet', { details: { reason: 'NOT_READY' } });
        const name = await authenticateAutomation(deps, bearerToken(request), request.ip);
        (request as unknown as { principal: Principal }).principal = automationPrincipal(name);
      });
      const principalOf = (request: object) => (request as { principal: Principal }).principal;
      const common = { tags: ['reviews'], security: 'bearer' } as const;

      api.route(
        v1,
        {
          ...common,
          method: 'GET',
          path: '/reviews',
          summary: 'The review queue, oldest first (filters: client, account, asset, amount range, minimum age)',
          query: ReviewsQuery,
          responses: { 200: { description: 'A page.', schema: z.object({ data: z.array(ReviewJson), next: z.string().nullable() }) } },
          errors: REVIEW_ERRORS,
        },
        async ({ query }) => {
          const { limit, after, ...filter } = query;
          const page = await reviewPage(payouts, filter, limit ?? DEFAULT_PAGE, after);
          return { data: page.items.map(toJson), next: page.next ?? null };
        },
      );
      api.route(
        v1,
        {
          ...common,
          method: 'GET',
          path: '/decisions',
          summary: 'Decided withdrawals (history and search), most recent first',
          query: DecisionsQuery,
          responses: { 200: { description: 'A page.', schema: z.object({ data: z.array(ReviewJson), next: z.string().nullable() }) } },
          errors: REVIEW_ERRORS,
        },
        async ({ query }) => {
          const { limit = DEFAULT_PAGE, before, ...filter } = query;
          const rows = await payouts.listDecided(filter, limit + 1, before);
          const items = rows.slice(0, limit);
          return { data: items.map(toJson), next: rows.length > limit ? items[items.length - 1]!.withdrawalId : null };
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
          summary: 'Approve a withdrawal as reviewed (its localhash); approved once the policy has its approvers',
          params: Params,
          body: ApproveBody,
          responses: { 200: { description: 'The approval is recorded.', schema: ReviewJson } },
          errors: [
            ...DECISION_ERRORS,
            'FORBIDDEN',
            'APPROVAL_STALE',
            'ALREADY_APPROVED',
            'INTEGRITY_MISMATCH',
            'INVALID_DESTINATION',
            'DESTINATION_NOT_WHITELISTED',
            'LIMIT_EXCEEDED',
          ],
        },
        async ({ params, body }, request) =>
          toJson(await payouts.approve(principalOf(request), params.id, { localhash: body.localhash, comment: body.comment })),
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
        async ({ params, body }, request) => toJson(await payouts.reject(principalOf(request), params.id, body.reason)),
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
        async ({ params, body }, request) => toJson(await payouts.voidApproved(principalOf(request), params.id, body.reason)),
      );
      await v1.register(alertsRoutes({ api, db: deps.db, actorOf: (request) => principalOf(request).id }));
    },
    { prefix: '/v1' },
  );
  if (deps.console) void app.register(consoleRoutes({ ...deps.console, ready: deps.ready }), { prefix: '/console' });
  return app;
}
