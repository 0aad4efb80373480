import type { Knex } from '@wallet/db';

/**
 * What the wallet uses an address of its own for. `hot` addresses come from `hot_wallets` (every hot address a chain
 * ever had, written by signsrv at start); the others from `operated_addresses` (signsrv's configuration: the fee payer,
 * sweep and cold wallets of the treasury).
 */
export const OperatedRole = { hot: 'hot', fee: 'fee', sweep: 'sweep', cold: 'cold' } as const;
export type OperatedRole = (typeof OperatedRole)[keyof typeof OperatedRole];

/**
 * Which of `addresses` the wallet itself operates on `chain`: the one place that answers "is this address ours?",
 * for the screening of withdrawal requests (transrv) and signsrv's re-check before it signs. EVM addresses compare
 * case-insensitively (stored EIP-55, asked in any case).
 * @returns per operated address (lower-case), its role; addresses not operated are absent
 */
export async function operatedRoles(db: Knex, chain: string, addresses: readonly string[]): Promise<Map<string, OperatedRole>> {
  const wanted = [...new Set(addresses.map((a) => a.toLowerCase()))];
  const roles = new Map<string, OperatedRole>();
  if (wanted.length === 0) return roles;
  const list = wanted.map(() => '?').join(', ');
  const [rows] = (await db.raw(
    `SELECT LOWER(address) AS address, 'hot' AS role FROM hot_wallets WHERE chain = ? AND LOWER(address) IN (${list})
     UNION ALL
     SELECT LOWER(address) AS address, role FROM operated_addresses WHERE chain = ? AND LOWER(address) IN (${list})`,
    [chain, ...wanted, chain, ...wanted],
  )) as [{ address: string; role: OperatedRole }[]];
  for (const r of rows) if (!roles.has(r.address)) roles.set(r.address, r.role);
  return roles;
}
