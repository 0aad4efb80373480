import type { Db } from '@wallet/db';
import type { TransServiceService } from '@wallet/proto';
import { listFiatRates, latestFeeRates } from '@wallet/rates';
import { type ServiceHandlers, parseRequest } from '@wallet/rpc';
import { z } from 'zod';

const Fiat = z.object({ fiat: z.string().regex(/^[A-Z]{3}$/, 'fiat must be an ISO 4217 code like USD') });

/**
 * transrv's rate methods (any node answers: the samples are shared).
 * @param fiatRatesMs the configured refresh interval of fiat prices (told to readers, to judge staleness)
 */
export function rateHandlers(
  db: Db,
  fiatRatesMs: number,
): Pick<ServiceHandlers<typeof TransServiceService>, 'listFeeRates' | 'listFiatRates'> {
  return {
    listFiatRates: async (raw) => {
      const req = parseRequest(Fiat, raw);
      const rates = await listFiatRates(db, req.fiat);
      return {
        rates: rates.map((r) => ({
          asset: r.asset,
          fiat: r.fiat,
          rate: r.rate,
          provider: r.provider,
          fetchedAt: r.fetchedAt.toISOString(),
        })),
        intervalMs: fiatRatesMs,
      };
    },
    listFeeRates: async () => ({
      rates: (await latestFeeRates(db)).map((r) => ({
        chain: r.chain,
        model: r.model,
        unit: r.unit,
        rate: r.rate,
        baseFee: r.baseFee ?? '',
        priorityFee: r.priorityFee ?? '',
        confTarget: r.confTarget ?? 0,
        source: r.source ?? '',
        collectedAt: r.collectedAt.toISOString(),
      })),
    }),
  };
}
