import { assetRegistryEnv } from '@wallet/assets';
import { addressToScript, createChainAdapter, createEvmAdapter, isUtxoAdapter } from '@wallet/chains';
import type { UtxoChain } from '@wallet/keys';
import { chainRpcEnv, loadEnvConfig } from '@wallet/config';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';
import { type ReserveHolding, buildReserveReport, listReserveReports } from '@wallet/reserve-reports';
import { z } from 'zod';
import type { Io } from './walletctl.js';

export type ReservesOptions = { readonly asset: string | undefined; readonly limit?: string | undefined; readonly json: boolean };

// As the services read them: the asset registry, and each chain's node (where the holdings' balances are read).
const env = z.object({ WALLET_ASSETS: assetRegistryEnv, WALLET_CHAIN_RPC: chainRpcEnv });

/**
 * `walletctl reserves list [--asset ASSET] [--limit N]`: the latest reports (what to publish: id, time, root, total).
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
  if (action === 'list') return listReports(db, options, io);
  if (action !== 'report') {
    throw new WalletError(
      'VALIDATION_FAILED',
      'usage: walletctl reserves report --asset ASSET [--json] | reserves list [--asset ASSET] [--limit N] [--json]',
    );
  }
  if (!options.asset) throw new WalletError('VALIDATION_FAILED', '--asset is required', { details: { field: 'asset' } });
  const { WALLET_ASSETS: registry, WALLET_CHAIN_RPC: rpc } = loadEnvConfig(env, environment);
  const asset = registry.asset(options.asset);
  const chain = registry.chain(asset.chain);
  const rpcUrl = rpc[chain.id];
  const assets = [...registry.assets.values()].filter((a) => a.chain === chain.id);
  const evm = chain.kind === 'evm' && rpcUrl ? await createEvmAdapter({ chain, assets, rpcUrl }) : null;
  const utxoNode = chain.kind === 'utxo' && rpcUrl ? await createChainAdapter({ chain, assets, rpcUrl }) : null;
  const utxo = utxoNode !== null && isUtxoAdapter(utxoNode) ? utxoNode : null;
  try {
    // EVM: the node's balances. UTXO: the wallet's unspent outputs on the address as the scanner recorded them, and
    // for a watched cold address (not scanned) the node's UTXO set.
    const balanceOf: ((h: Omit<ReserveHolding, 'balance'>) => Promise<bigint | null>) | undefined = evm
      ? (h) => (asset.contract ? evm.tokenBalanceOf(asset.contract, h.address) : evm.balanceOf(h.address))
      : chain.kind === 'utxo'
        ? async (h) => {
            if (h.kind === 'cold') return utxo ? (await utxo.addressesBalance([h.address])).total : null;
            const script = addressToScript(chain.family as UtxoChain, chain.network, h.address).toString('hex');
            const [[row]] = (await db.raw(
              'SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM utxos WHERE chain = ? AND script = ? AND spent_by_txid IS NULL',
              [chain.id, script],
            )) as [[{ s: string }]];
            return BigInt(row.s);
          }
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
    await utxoNode?.close();
  }
}

async function listReports(db: Knex, options: ReservesOptions, io: Io): Promise<number> {
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new WalletError('VALIDATION_FAILED', '--limit must be a whole number from 1 to 1000', { details: { field: 'limit' } });
  }
  const reports = await listReserveReports(db, { ...(options.asset ? { asset: options.asset } : {}), limit });
  if (options.json) {
    const json = reports.map((r) => ({
      ...r,
      total: r.total.toString(),
      holdingsTotal: r.holdingsTotal?.toString() ?? null,
      createdAt: r.createdAt.toISOString(),
    }));
    io.out(JSON.stringify(json, null, 2));
    return 0;
  }
  io.out(
    'report                             asset  created at                root                                                              total (leaves)',
  );
  for (const r of reports) {
    io.out(`${r.id.padEnd(34)} ${r.asset.padEnd(6)} ${r.createdAt.toISOString()}  ${r.root}  ${r.total} (${r.leafCount})`);
  }
  return 0;
}
