import type { Db } from '@wallet/db';
import type { ApiDocument } from '@wallet/http-edge';
import { ObjectId, PageLimitQuery } from '@wallet/ids';
import { AlertComment, AlertKindFilter, acknowledgeAlert, alertJson, listAlerts } from '@wallet/payout';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

export type AlertsRoutesDeps = {
  readonly api: ApiDocument;
  readonly db: Db;
  /** Who the (already authenticated) request acts for, as recorded with an acknowledgement: `auditor:<name>`. */
  readonly actorOf: (request: FastifyRequest) => string;
};

const DEFAULT_PAGE = 50;

const AlertIdParam = z.object({ id: z.string().regex(/^[sn]:[1-9][0-9]{0,18}$/, 'an alarm id is s:<n> or n:<n>') }).strict();
const AlertsQuery = z
  .object({
    limit: PageLimitQuery.optional(),
    cursor: z.string().min(1).max(200).optional(),
    /** `false`: only the alarms no one acknowledged yet; `true`: only acknowledged ones; absent: both. */
    acknowledged: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    /** One kind, or several separated by commas. */
    kind: z
      .string()
      .max(1000)
      .transform((v) => v.split(','))
      .pipe(z.array(AlertKindFilter).min(1).max(20))
      .optional(),
    withdrawalId: ObjectId.optional(),
  })
  .strict();
const AckBody = z.object({ comment: AlertComment }).strict();

const AlertJson = z
  .object({
    id: z.string(),
    kind: z.string(),
    title: z.string(),
    text: z.string(),
    withdrawalId: z.string().nullable(),
    details: z.unknown(),
    createdAt: z.string(),
    acknowledged: z.object({ by: z.string(), comment: z.string(), at: z.string() }).nullable(),
  })
  .meta({ id: 'Alert' });

/**
 * The operators' alarms on signsrv's HTTP API, registered inside the authenticated `/v1` scope (its bearer hook runs
 * first): `GET /alerts` lists both sources (signsrv's and transrv's) newest first with filters and keyset paging;
 * `POST /alerts/:id/ack` acknowledges one with a comment. Business rules are @wallet/payout's (alerts.ts).
 */
export function alertsRoutes(deps: AlertsRoutesDeps) {
  const { api, db } = deps;
  const common = { tags: ['alerts'], security: 'bearer' } as const;
  return async (v1: FastifyInstance): Promise<void> => {
    api.route(
      v1,
      {
        ...common,
        method: 'GET',
        path: '/alerts',
        summary: 'Operator alarms of signsrv and transrv, newest first',
        query: AlertsQuery,
        responses: {
          200: {
            description: 'A page; `next` only when another page exists.',
            schema: z.object({ data: z.array(AlertJson), next: z.string().nullable() }),
          },
        },
        errors: ['UNAUTHENTICATED', 'UNAVAILABLE'],
      },
      async ({ query }) => {
        const page = await listAlerts(
          db,
          {
            ...(query.acknowledged === undefined ? {} : { acknowledged: query.acknowledged }),
            ...(query.kind === undefined ? {} : { kinds: query.kind }),
            ...(query.withdrawalId === undefined ? {} : { withdrawalId: query.withdrawalId }),
          },
          query.limit ?? DEFAULT_PAGE,
          query.cursor,
        );
        return { data: page.items.map(alertJson), next: page.next };
      },
    );
    api.route(
      v1,
      {
        ...common,
        method: 'POST',
        path: '/alerts/:id/ack',
        summary: 'Acknowledge an alarm with a comment',
        description:
          'Once per alarm: the same acknowledgement again (same auditor, same comment: a retry) answers 200 with the alarm as the first left it; any other answers 409 CONFLICT with the first in details.acknowledged.',
        params: AlertIdParam,
        body: AckBody,
        responses: { 200: { description: 'Acknowledged.', schema: AlertJson } },
        errors: ['UNAUTHENTICATED', 'UNAVAILABLE', 'NOT_FOUND', 'CONFLICT', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'],
      },
      async ({ params, body }, request) => alertJson(await acknowledgeAlert(db, params.id, deps.actorOf(request), body.comment)),
    );
  };
}
