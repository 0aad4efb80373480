import { assetRegistryEnv } from '@wallet/assets';
import { createEvmAdapter } from '@wallet/chains';
import { chainRpcEnv, loadEnvConfig } from '@wallet/config';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type ReserveHolding, buildReserveReport } from '@wallet/reserve-reports';
import { z } from 'zod';
import type { Io } from './walletctl.js';

export type ReservesOptions = { readonly asset: string | undefined; readonly json: boolean };

// As the services read them: the asset registry, and each chain's node (where the holdings' balances are read).
const env = z.object({ WALLET_ASSETS: assetRegistryEnv, WALLET_CHAIN_RPC: chainRpcEnv });

/**
 * `walletctl reserves report --asset ASSET`: builds and stores a proof-of-reserves report of the asset (docs/reserves.md)
 * and prints its id, root, total and leaf count, with the addresses held. On an EVM chain whose node is configured,
 * each held address's balance of the asset is read from the node after the ledger's snapshot; elsewhere it is left
 * unknown.
 * @returns the exit code
 */
export async function reservesCommand(
  db: Knex,
  action: string | undefined,
  options: ReservesOptions,
  io: Io,
  environment: NodeJS.ProcessEnv,
): Promise<number> {
  if (action !== 'report') throw new WalletError('VALIDATION_FAILED', 'usage: walletctl reserves report --asset ASSET [--json]');
  if (!options.asset) throw new WalletError('VALIDATION_FAILED', '--asset is required', { details: { field: 'asset' } });
  const { WALLET_ASSETS: registry, WALLET_CHAIN_RPC: rpc } = loadEnvConfig(env, environment);
  const asset = registry.asset(options.asset);
  const chain = registry.chain(asset.chain);
  const rpcUrl = rpc[chain.id];
  const evm =
    chain.kind === 'evm' && rpcUrl
      ? await createEvmAdapter({ chain, assets: [...registry.assets.values()].filter((a) => a.chain === chain.id), rpcUrl })
      : null;
  try {
    const balanceOf = evm
      ? (h: Omit<ReserveHolding, 'balance'>) => (asset.contract ? evm.tokenBalanceOf(asset.contract, h.address) : evm.balanceOf(h.address))
      : undefined;
    const report = await buildReserveReport(db, { asset, chain, ...(balanceOf ? { balanceOf } : {}) });
    const json = {
      id: report.id,
      asset: report.asset,
      root: report.root,
      total: report.total.toString(),
      leafCount: report.leafCount,
      createdAt: report.createdAt.toISOString(),
      holdingsTotal: report.holdingsTotal?.toString() ?? null,
      holdings: report.holdings.map((h) => ({ ...h, balance: h.balance?.toString() ?? null })),
    };
    if (options.json) io.out(JSON.stringify(json, null, 2));
    else {
      io.out(`reserve report ${report.id} of ${report.asset} at ${json.createdAt}`);
      io.out(`  root        ${report.root}`);
      io.out(`  total       ${report.total} (base units, owed to ${report.leafCount} accounts)`);
      io.out(`  leaf count  ${report.leafCount}`);
      io.out(
        `  holdings    ${report.holdings.length} addresses, ${json.holdingsTotal ?? 'balances not read from the chain'} (--json lists each)`,
      );
      for (const h of report.holdings.filter((x) => x.kind === 'hot')) io.out(`    hot wallet ${h.address} ${h.balance ?? '-'}`);
    }
    return 0;
  } finally {
    await evm?.close();
  }
}
