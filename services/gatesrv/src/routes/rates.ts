import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { callAnyNode } from '../callAnyNode.js';
import type { RouteDeps } from '../deps.js';
import { SIGNED } from './errorSets.js';

const Integer = z.string().regex(/^[0-9]+$/);
export const FeeRateView = z
  .object({
    chain: z.string(),
    unit: z.enum(['wei/gas', 'sat/vB']),
    rate: Integer.meta({ description: 'What a transaction should offer now: max fee per gas (wei), or satoshi per vB.' }),
    baseFee: Integer.nullable().meta({ description: "EVM: the next block's base fee per gas; null on BTC and LTC." }),
    priorityFee: Integer.nullable().meta({ description: 'EVM: the priority fee (tip) per gas; null on BTC and LTC.' }),
    confTarget: z.number().int().nullable().meta({ description: 'BTC and LTC: the confirmation target in blocks; null on EVM chains.' }),
    source: z
      .enum(['node', 'fallback'])
      .nullable()
      .meta({ description: "BTC and LTC: `node` (the node's estimate) or `fallback` (the configured rate); null on EVM chains." }),
    collectedAt: z.string().meta({ format: 'date-time' }),
    ageSeconds: z.number().int().meta({ description: 'Seconds since it was collected.' }),
  })
  .meta({ id: 'FeeRate' });

const RatesQuery = z.object({ fiat: z.string().regex(/^[A-Z]{3}$/, 'fiat must be an ISO 4217 code in upper case, like USD') }).strict();
export const FiatRateView = z
  .object({
    asset: z.string(),
    fiat: z.string(),
    rate: z
      .string()
      .regex(/^[0-9]+(\.[0-9]+)?$/)
      .meta({ description: 'The price of one unit of the asset (one ETH), a decimal string.' }),
    provider: z.string().meta({ description: 'The provider that gave it (the first of the configured ones that answered).' }),
    updatedAt: z.string().meta({ format: 'date-time' }),
    ageSeconds: z.number().int(),
    stale: z.boolean().meta({ description: 'Older than two refresh intervals: every provider has been failing since.' }),
  })
  .meta({ id: 'FiatRate' });

/** `GET /v1/fees` (each chain's network fee rate, sampled from its node) and `GET /v1/rates` (fiat prices). */
export function rateRoutes(api: ApiDocument, deps: Pick<RouteDeps, 'shards' | 'upstreamTimeoutMs'>): FastifyPluginAsync {
  const { shards, upstreamTimeoutMs: timeoutMs } = deps;
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/fees',
        summary: "Each chain's network fee rate, as last sampled from its node",
        tags: ['rates'],
        security: 'signature',
        responses: {
          200: {
            description: 'By chain id; a chain not sampled yet is absent.',
            schema: z.object({ data: z.array(FeeRateView) }).meta({ id: 'FeeRateList' }),
          },
        },
        errors: [...SIGNED, 'SHARD_UNAVAILABLE'],
      },
      async (_input) => {
        const res = await callAnyNode(shards, (c) => c.listFeeRates({}, { timeoutMs }));
        const now = Date.now();
        return {
          data: res.rates.map((r) => ({
            chain: r.chain,
            unit: r.unit as 'wei/gas' | 'sat/vB',
            rate: r.rate,
            baseFee: r.baseFee || null,
            priorityFee: r.priorityFee || null,
            confTarget: r.confTarget === 0 ? null : r.confTarget,
            source: (r.source || null) as 'node' | 'fallback' | null,
            collectedAt: r.collectedAt,
            ageSeconds: Math.max(0, Math.floor((now - Date.parse(r.collectedAt)) / 1000)),
          })),
        };
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/rates',
        summary: "Each asset's last known price in a fiat currency",
        tags: ['rates'],
        security: 'signature',
        query: RatesQuery,
        responses: {
          200: {
            description: 'By asset id; an asset no provider has priced yet is absent.',
            schema: z.object({ fiat: z.string(), data: z.array(FiatRateView) }).meta({ id: 'FiatRateList' }),
          },
        },
        errors: [...SIGNED, 'SHARD_UNAVAILABLE'],
      },
      async ({ query }) => {
        const res = await callAnyNode(shards, (c) => c.listFiatRates({ fiat: query.fiat }, { timeoutMs }));
        const now = Date.now();
        return {
          fiat: query.fiat,
          data: res.rates.map((r) => {
            const ageMs = Math.max(0, now - Date.parse(r.fetchedAt));
            return {
              asset: r.asset,
              fiat: r.fiat,
              rate: r.rate,
              provider: r.provider,
              updatedAt: r.fetchedAt,
              ageSeconds: Math.floor(ageMs / 1000),
              stale: ageMs > 2 * res.intervalMs,
            };
          }),
        };
      },
    );
  };
}
