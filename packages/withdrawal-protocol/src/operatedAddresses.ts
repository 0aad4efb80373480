import type { Knex } from '@wallet/db';

/**
 * What the wallet uses an address of its own for. `hot` addresses come from `hot_wallets` (every hot address a chain
 * ever had, written by signsrv at start); the others from `operated_addresses` (signsrv's configuration: the fee payer,
 * sweep and cold wallets of the treasury).
 */
export const OperatedRole = { hot: 'hot', fee: 'fee', sweep: 'sweep', cold: 'cold' } as const;
export type OperatedRole = (typeof OperatedRole)[keyof typeof OperatedRole];

/**
 * The roles of the wallet's own addresses on a UTXO chain that are not deposit addresses (`wallet_addresses`, written
 * by signsrv's UTXO payout family): change outputs (`/1/i`) and the consolidation target. Kept apart from
 * {@link OperatedRole}, whose non-hot roles are signsrv's configuration.
 */
export const WalletAddressRole = { change: 'change', consolidation: 'consolidation' } as const;
export type WalletAddressRole = (typeof WalletAddressRole)[keyof typeof WalletAddressRole];

/**
 * Which of `addresses` the wallet itself operates on `chain`: the one place that answers "is this address ours?",
 * for the screening of withdrawal requests (transrv) and signsrv's re-check before it signs. Hot wallets, configured
 * operated addresses, and on UTXO chains the wallet's change and consolidation addresses (paying one would debit the
 * user for coins that stay in the wallet). Addresses compare case-insensitively (EVM: stored EIP-55, asked in any
 * case; bech32 is one case; two base58check addresses differing only in case cannot both pass their checksum in
 * practice).
 * @returns per operated address (lower-case), its role; addresses not operated are absent
 */
export async function operatedRoles(
  db: Knex,
  chain: string,
  addresses: readonly string[],
): Promise<Map<string, OperatedRole | WalletAddressRole>> {
  const wanted = [...new Set(addresses.map((a) => a.toLowerCase()))];
  const roles = new Map<string, OperatedRole | WalletAddressRole>();
  if (wanted.length === 0) return roles;
  const list = wanted.map(() => '?').join(', ');
  // wallet_addresses grows with every payout: looked up through its (chain, address) key, in the forms asked and
  // lower-case (stored canonical: lower-case bech32), not by scanning LOWER(address).
  const asked = [...new Set([...addresses, ...wanted])];
  const askedList = asked.map(() => '?').join(', ');
  const [rows] = (await db.raw(
    `SELECT LOWER(address) AS address, 'hot' AS role FROM hot_wallets WHERE chain = ? AND LOWER(address) IN (${list})
     UNION ALL
     SELECT LOWER(address) AS address, role FROM operated_addresses WHERE chain = ? AND LOWER(address) IN (${list})
     UNION ALL
     SELECT LOWER(address) AS address, role FROM wallet_addresses WHERE chain = ? AND address IN (${askedList})`,
    [chain, ...wanted, chain, ...wanted, chain, ...asked],
  )) as [{ address: string; role: OperatedRole | WalletAddressRole }[]];
  for (const r of rows) if (!roles.has(r.address)) roles.set(r.address, r.role);
  return roles;
}
