import type { AssetRegistry } from '@wallet/assets';
import type { EvmAdapter } from '@wallet/chains';
import type { Knex } from '@wallet/db';
import { WalletError } from '@wallet/errors';

/**
 * One asset's books against its holdings, in base units, at one point of the chain (`block`: the scanner's last
 * recorded block on EVM chains; UTXO chains are read from the scanner's own record of the wallet's outputs).
 */
export type TreasuryFigures = {
  readonly asset: string;
  readonly chain: string;
  /** Users' available + frozen (balances) + pending (deposits seen on chain, not yet credited). */
  readonly available: bigint;
  readonly frozen: bigint;
  readonly pending: bigint;
  readonly liabilities: bigint;
  /** Hot wallets (every hot address the chain had); on UTXO chains the wallet's own unspent outputs (change, main). */
  readonly hot: bigint;
  /** Fee-payer and sweep addresses (signsrv's operated addresses). */
  readonly fee: bigint;
  /** Deposit addresses; on UTXO chains the unspent outputs paid to them. */
  readonly deposit: bigint;
  /** Paid out on chain (mined) and not settled yet: the chain no longer holds it, the books still owe it. */
  readonly inFlight: bigint;
  /** Cold addresses, watched only (their keys are not here): EVM balances; on UTXO chains the node's UTXO set. */
  readonly cold: bigint;
  readonly holdings: bigint;
  /** holdings - liabilities: negative is a shortfall. */
  readonly difference: bigint;
  readonly block: number | null;
};

/** The chains reconciliation reads, by chain id. EVM chains need their node; UTXO chains are read from MySQL. */
export type TreasuryChains = ReadonlyMap<string, EvmAdapter>;

/**
 * UTXO chains' readers of watched cold addresses, by chain id: what the addresses hold in the node's UTXO set now, and
 * the height read at (UtxoAdapter.addressesBalance). Without one, a UTXO chain with cold addresses is not measured.
 */
export type ColdReaders = ReadonlyMap<string, (addresses: readonly string[]) => Promise<{ height: number; total: bigint }>>;

type Books = {
  available: bigint;
  frozen: bigint;
  pending: bigint;
  inFlight: bigint;
  utxoHot: bigint;
  utxoDeposit: bigint;
};

type Snapshot = {
  readonly books: Map<string, Books>;
  /** The scanner's last recorded block per chain. */
  readonly tips: Map<string, number>;
  /** Addresses per chain and kind. */
  readonly addresses: Map<string, { hot: string[]; fee: string[]; cold: string[]; deposit: string[] }>;
};

const zero = (): Books => ({ available: 0n, frozen: 0n, pending: 0n, inFlight: 0n, utxoHot: 0n, utxoDeposit: 0n });

/** Users' liabilities per asset, in base units. */
export type Liabilities = { readonly available: bigint; readonly frozen: bigint; readonly pending: bigint };

/**
 * What the wallet owes its users per asset: available + frozen (balances) and pending, as a client's balance shows it
 * (getBalances): deposits seen on chain and not yet credited. Internal deposits move between users' balances in the
 * ledger and are never on chain: not counted.
 * @param db a pool, or the transaction of a snapshot
 */
export async function liabilitiesByAsset(db: Knex): Promise<Map<string, Liabilities>> {
  const out = new Map<string, { available: bigint; frozen: bigint; pending: bigint }>();
  const of = (asset: string) => out.get(asset) ?? out.set(asset, { available: 0n, frozen: 0n, pending: 0n }).get(asset)!;
  const [held] = (await db.raw(
    'SELECT asset, CAST(SUM(available) AS CHAR) AS available, CAST(SUM(frozen) AS CHAR) AS frozen FROM balances GROUP BY asset',
  )) as [{ asset: string; available: string; frozen: string }[]];
  for (const r of held) {
    of(r.asset).available = BigInt(r.available);
    of(r.asset).frozen = BigInt(r.frozen);
  }
  const [pending] = (await db.raw(
    "SELECT asset, CAST(SUM(amount) AS CHAR) AS pending FROM deposits WHERE status = 'pending' AND internal = 0 GROUP BY asset",
  )) as [{ asset: string; pending: string }[]];
  for (const r of pending) of(r.asset).pending = BigInt(r.pending);
  return out;
}

/**
 * Reads the books in one consistent snapshot of MySQL (a repeatable-read transaction: one snapshot from its first read): every liability, what
 * is in flight, the wallet's UTXOs and addresses, and the block the scanner last recorded on each chain. The scanner
 * writes a block's deposits, spends and observations with the block in one transaction, so what the snapshot owes
 * matches the chain at that block.
 */
async function readSnapshot(db: Knex): Promise<Snapshot> {
  return db.transaction(
    async (trx) => {
      const books = new Map<string, Books>();
      const of = (asset: string) => books.get(asset) ?? books.set(asset, zero()).get(asset)!;
      const rows = async <T>(sql: string): Promise<T[]> => ((await trx.raw(sql)) as [T[]])[0];

      const tips = await rows<{ chain: string; tip: string | number }>('SELECT chain, MAX(number) AS tip FROM chain_blocks GROUP BY chain');
      for (const [asset, l] of await liabilitiesByAsset(trx)) Object.assign(of(asset), l);
      // Signed or broadcast, mined (the scanner saw it succeed, in a block of this snapshot), not settled yet: the
      // amount left the wallet while the user's frozen balance still holds it. Unmined ones are still in the wallet.
      for (const r of await rows<{ asset: string; amount: string }>(
        `SELECT w.asset, CAST(SUM(w.amount) AS CHAR) AS amount FROM withdrawals w
         WHERE w.status IN ('signed', 'broadcast') AND w.internal_account_id IS NULL
           AND EXISTS (SELECT 1 FROM withdrawal_observations o
                       WHERE o.chain = w.chain AND o.status = 'success' AND o.dropped = 0
                         AND (o.withdrawal_id = w.id OR o.txid = w.txid))
         GROUP BY w.asset`,
      )) {
        of(r.asset).inFlight = BigInt(r.amount);
      }
      // UTXO chains: the wallet's unspent outputs as the scanner recorded them (its own addresses are owned by sys:).
      for (const r of await rows<{ chain: string; own: number; amount: string }>(
        `SELECT chain, account_id LIKE 'sys:%' AS own, CAST(SUM(amount) AS CHAR) AS amount FROM utxos
         WHERE spent_by_txid IS NULL GROUP BY chain, own`,
      )) {
        const key = `utxo:${r.chain}`;
        if (Number(r.own) === 1) of(key).utxoHot = BigInt(r.amount);
        else of(key).utxoDeposit = BigInt(r.amount);
      }

      const addresses: Snapshot['addresses'] = new Map();
      const at = (chain: string) => addresses.get(chain) ?? addresses.set(chain, { hot: [], fee: [], cold: [], deposit: [] }).get(chain)!;
      for (const r of await rows<{ chain: string; address: string }>('SELECT chain, address FROM hot_wallets'))
        at(r.chain).hot.push(r.address);
      for (const r of await rows<{ chain: string; address: string; role: string }>('SELECT chain, address, role FROM operated_addresses')) {
        if (r.role === 'cold') at(r.chain).cold.push(r.address);
        else if (r.role === 'fee' || r.role === 'sweep') at(r.chain).fee.push(r.address);
      }
      for (const r of await rows<{ chain: string; address: string }>('SELECT chain, address FROM addresses ORDER BY id')) {
        at(r.chain).deposit.push(r.address);
      }
      return { books, tips: new Map(tips.map((t) => [t.chain, Number(t.tip)])), addresses };
    },
    { isolationLevel: 'repeatable read' },
  );
}

/** Sums `read` over `addresses`, a few node calls at a time. */
async function sumOver(addresses: readonly string[], read: (address: string) => Promise<bigint>): Promise<bigint> {
  let total = 0n;
  for (let i = 0; i < addresses.length; i += 16) {
    const part = await Promise.all(addresses.slice(i, i + 16).map(read));
    for (const v of part) total += v;
  }
  return total;
}

/**
 * Measures every asset of the registry on a chain reconciliation can read: the books (one MySQL snapshot) against the
 * holdings (EVM: the node's balances, native or ERC20 `balanceOf`, of hot, fee, sweep, deposit and cold addresses at
 * the scanner's last recorded block; UTXO: the scanner's record of the wallet's outputs), plus what is in flight.
 * An EVM chain the scanner has not recorded a block of yet is skipped, and so is an asset whose node does not answer
 * (`unmeasured` is told why): one chain's node down does not stop the others' reconciliation.
 * @param only assets to measure @default every asset
 */
export async function measureTreasury(
  db: Knex,
  registry: AssetRegistry,
  evm: TreasuryChains,
  only?: readonly string[],
  unmeasured: (asset: string, error: unknown) => void = () => undefined,
  coldReaders: ColdReaders = new Map(),
): Promise<TreasuryFigures[]> {
  const snap = await readSnapshot(db);
  const out: TreasuryFigures[] = [];
  for (const spec of registry.assets.values()) {
    if (only !== undefined && !only.includes(spec.id)) continue;
    const chain = registry.chains.get(spec.chain);
    if (!chain) continue;
    const books = snap.books.get(spec.id) ?? zero();
    const liabilities = books.available + books.frozen + books.pending;
    let hot: bigint;
    let fee = 0n;
    let deposit: bigint;
    let cold = 0n;
    let block: number | null = null;
    if (chain.kind === 'evm') {
      const adapter = evm.get(chain.id);
      const tip = snap.tips.get(chain.id);
      if (!adapter || tip === undefined) continue;
      block = tip;
      const where = snap.addresses.get(chain.id) ?? { hot: [], fee: [], cold: [], deposit: [] };
      const contract = spec.contract;
      const read = (a: string) => (contract === undefined ? adapter.balanceOf(a, tip) : adapter.tokenBalanceOf(contract, a, tip));
      try {
        hot = await sumOver(where.hot, read);
        fee = await sumOver(where.fee, read);
        deposit = await sumOver(where.deposit, read);
        cold = await sumOver(where.cold, read);
      } catch (error) {
        unmeasured(spec.id, error);
        continue;
      }
    } else {
      // UTXO chains carry one asset, the native one.
      const utxo = snap.books.get(`utxo:${chain.id}`) ?? zero();
      hot = utxo.utxoHot;
      deposit = utxo.utxoDeposit;
      const coldAddresses = snap.addresses.get(chain.id)?.cold ?? [];
      if (coldAddresses.length > 0) {
        // Watched cold addresses: read from the node's UTXO set, which must be at the scanner's block (else the two
        // reads are of different points of the chain: this pass does not judge the asset).
        const read = coldReaders.get(chain.id);
        const tip = snap.tips.get(chain.id);
        try {
          if (!read)
            throw new WalletError('UNAVAILABLE', `no node to read the cold addresses of ${chain.id}`, { details: { chain: chain.id } });
          const held = await read(coldAddresses);
          if (tip === undefined || held.height !== tip) {
            throw new WalletError('UNAVAILABLE', `the node is at block ${held.height}, the scanner at ${tip ?? 'none'}: retried`, {
              details: { chain: chain.id, reason: 'heights_differ', node: held.height, scanner: tip ?? null },
            });
          }
          cold = held.total;
          block = tip;
        } catch (error) {
          unmeasured(spec.id, error);
          continue;
        }
      }
    }
    const holdings = hot + fee + deposit + books.inFlight + cold;
    out.push({
      asset: spec.id,
      chain: chain.id,
      available: books.available,
      frozen: books.frozen,
      pending: books.pending,
      liabilities,
      hot,
      fee,
      deposit,
      inFlight: books.inFlight,
      cold,
      holdings,
      difference: holdings - liabilities,
      block,
    });
  }
  return out;
}
