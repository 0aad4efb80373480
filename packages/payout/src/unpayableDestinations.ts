import type { AssetRegistry } from '@wallet/assets';
import { type ReservedReason, chainFamily } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { type WithdrawalRow, operatedRoles } from '@wallet/withdrawal-protocol';

/** Why a destination is not paid: reserved by its chain's family, or an address the wallet operates. */
export type UnpayableReason = ReservedReason | 'operated_address';

/**
 * Which of these withdrawals must not be paid on chain as they stand (the re-check before approving and signing: an
 * address may have become one the wallet operates after the request was screened). Internal ones are never paid
 * on chain and are not looked at.
 * @returns per refused withdrawal, why
 */
export async function unpayableDestinations(
  trx: Knex.Transaction,
  registry: AssetRegistry,
  rows: readonly WithdrawalRow[],
): Promise<Map<string, UnpayableReason>> {
  const refused = new Map<string, UnpayableReason>();
  const external = rows.filter((r) => r.internal_account_id === null);
  for (const chainId of new Set(external.map((r) => r.chain))) {
    const group = external.filter((r) => r.chain === chainId);
    const operated = await operatedRoles(
      trx,
      chainId,
      group.map((r) => r.to_address),
    );
    const family = chainFamily(registry.chain(chainId));
    for (const r of group) {
      const reserved = family.reservedDestination(r.to_address);
      if (reserved !== null) refused.set(r.id, reserved);
      else if (operated.has(r.to_address.toLowerCase())) refused.set(r.id, 'operated_address');
    }
  }
  return refused;
}
