import { randomBytes } from 'node:crypto';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { ApiClient } from './ApiClient.js';
import { createApiClient } from './clients.js';
import { Cluster, type ClusterOptions } from './Cluster.js';
import { LedgerFixtures } from './ledgerFixtures.js';
import { Litecoind, ltcRpcUrl } from './litecoind.js';
import { waitFor, waitWithdrawalStatus } from './waitFor.js';
import { SignsrvClient, type WithdrawalView } from './WithdrawalWorld.js';
import { alarmsOf } from './alarmsOf.js';

export type UtxoWithdrawalView = WithdrawalView & { outputIndex?: number | null };

/** A signed transaction of a withdrawal as signsrv stored it (one row per withdrawal it pays, per attempt). */
export type UtxoTxRow = {
  chain: string;
  txid: string;
  withdrawal_id: string;
  attempt: number;
  raw: string;
  vout: number | null;
  network_fee: string | null;
  fee_rate: number | null;
  build_id: string | null;
};

/** LTC as the node writes it (a JSON number, 8 decimals) in litoshi. */
export function litoshi(coins: number): bigint {
  const [whole, frac = ''] = coins.toFixed(8).split('.');
  return BigInt(whole!) * 100_000_000n + BigInt(frac.padEnd(8, '0'));
}

/**
 * A cluster paying Litecoin withdrawals on the stack's litecoind: an exchange client, an auditor, direct MySQL access,
 * and the wallet funded by real deposits (credited to a funding account, spendable by every withdrawal: the UTXO set
 * is the wallet's, whoever deposited).
 */
export class UtxoWithdrawalWorld {
  private constructor(
    readonly cluster: Cluster,
    readonly api: ApiClient,
    readonly signsrv: SignsrvClient,
    readonly fixtures: LedgerFixtures,
    readonly node: Litecoind,
  ) {}

  /** @param options the cluster's; `extraEnv` is added to the world's own */
  static async start(options: ClusterOptions = {}): Promise<UtxoWithdrawalWorld> {
    const node = new Litecoind();
    const cluster = await Cluster.start({
      chainRpc: { eth: 'http://127.0.0.1:8545', ltc: ltcRpcUrl },
      // A seed of its own: clusters sharing the stack's litecoind must not share deposit or change addresses (one
      // would credit, or spend, another's coins).
      mnemonic: generateMnemonic(wordlist, 128),
      ...options,
      extraEnv: {
        GATESRV_RATE_LIMIT_PER_SECOND: '100000',
        TRANSRV_RESEND_AFTER_MS: '1000',
        SIGNSRV_RESEND_AFTER_MS: '1000',
        ...options.extraEnv,
      },
    });
    try {
      const api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Litecoin Withdrawals'));
      const world = new UtxoWithdrawalWorld(
        cluster,
        api,
        new SignsrvClient(() => cluster.signsrvUrl, cluster.signer.auditorToken),
        new LedgerFixtures(cluster.database),
        node,
      );
      await waitFor(
        'an ltc scanner leader',
        async () =>
          [...cluster.processes.values()].some((p) => p.lines.some((l) => l.msg === 'scanning as leader' && l['chain'] === 'ltc')) ||
          undefined,
        120_000,
      );
      return world;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.fixtures.close();
    await this.cluster.stop();
  }

  async openAccount(): Promise<string> {
    const res = await this.api.post<{ id: string }>('/v1/accounts', { externalId: `ltc-${randomBytes(6).toString('hex')}` });
    if (res.status !== 201) throw new Error(`account: ${res.status}`);
    return res.body.id;
  }

  async depositAddress(accountId: string): Promise<string> {
    const res = await this.api.post<{ address: string }>(`/v1/accounts/${accountId}/addresses`, { chain: 'ltc' });
    if (res.status !== 201) throw new Error(`address: ${res.status}`);
    return res.body.address;
  }

  /**
   * Deposits `amounts` (LTC, decimal strings) to fresh addresses of `accountId` in one transaction and waits until
   * every one is credited (the wallet can then spend them).
   */
  async deposit(accountId: string, ...amounts: string[]): Promise<string> {
    const addresses: Record<string, string> = {};
    for (const amount of amounts) addresses[await this.depositAddress(accountId)] = amount;
    const txid = await this.node.sendMany(addresses);
    await this.node.mine(2);
    await waitFor(
      `deposits of ${txid} credited`,
      async () => {
        const rows = await this.fixtures.db('deposits').where({ chain: 'ltc', txid, status: 'credited' });
        if (rows.length >= amounts.length) return true;
        await this.node.mine(1);
        return undefined;
      },
      60_000,
    );
    return txid;
  }

  /** A fresh address of the miner wallet (outside this wallet). */
  freshAddress(): Promise<string> {
    return this.node.call<string>('getnewaddress', ['', 'bech32'], true);
  }

  withdraw(accountId: string, body: { asset: string; to: string; amount: string }, idempotencyKey?: string) {
    return this.api.post<UtxoWithdrawalView & { error?: { code: string; details?: Record<string, unknown> } }>(
      `/v1/accounts/${accountId}/withdrawals`,
      body,
      idempotencyKey === undefined ? {} : { idempotencyKey },
    );
  }

  async get(id: string): Promise<UtxoWithdrawalView> {
    const res = await this.api.get<UtxoWithdrawalView>(`/v1/withdrawals/${id}`);
    if (res.status !== 200) throw new Error(`GET withdrawal ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Waits for a status, mining a block now and then (confirmations need blocks). */
  async waitStatus(id: string, status: string, timeoutMs = 90_000): Promise<UtxoWithdrawalView> {
    return waitWithdrawalStatus(
      () => this.get(id),
      () => this.node.mine(1),
      id,
      status,
      timeoutMs,
    );
  }

  /** A transaction as the node has it. */
  async transaction(txid: string): Promise<Transaction> {
    return Transaction.fromHex(await this.node.call<string>('getrawtransaction', [txid]));
  }

  async balance(accountId: string): Promise<{ available: bigint; frozen: bigint }> {
    const res = await this.api.get<{ data: { asset: string; available: string; frozen: string }[] }>(`/v1/accounts/${accountId}/balances`);
    const b = res.body.data.find((x) => x.asset === 'LTC') ?? { available: '0', frozen: '0' };
    return { available: BigInt(b.available), frozen: BigInt(b.frozen) };
  }

  /** Cancels a withdrawal as its client would. */
  cancel(id: string) {
    return this.api.post<{ status: string; error?: { code: string } }>(`/v1/withdrawals/${id}/cancel`, {});
  }

  /** The signed transactions stored for a withdrawal, oldest attempt first. */
  async txsOf(id: string): Promise<UtxoTxRow[]> {
    return (await this.fixtures.db('withdrawal_txs').where({ withdrawal_id: id }).orderBy('attempt')) as UtxoTxRow[];
  }

  /** Confirmations of a transaction as the node knows it: 0 in the pool, null unknown (never sent, or replaced). */
  async confirmations(txid: string): Promise<number | null> {
    try {
      const tx = await this.node.call<{ confirmations?: number }>('getrawtransaction', [txid, true]);
      return tx.confirmations ?? 0;
    } catch {
      return null;
    }
  }

  /** The sum of a transaction's inputs, each read from the transaction it spends (the node's -txindex). */
  async inputTotal(tx: Transaction): Promise<bigint> {
    let total = 0n;
    for (const input of tx.ins) {
      const prev = await this.transaction(Buffer.from(input.hash).reverse().toString('hex'));
      total += prev.outs[input.index]!.value;
    }
    return total;
  }

  /** What the chain (mined or in the pool) paid to an address of the miner wallet, and by which transactions. */
  async received(address: string): Promise<{ amount: bigint; txids: string[] }> {
    const [entry] = await this.node.call<{ amount: number; txids: string[] }[]>('listreceivedbyaddress', [0, false, true, address], true);
    return entry ? { amount: litoshi(entry.amount), txids: entry.txids } : { amount: 0n, txids: [] };
  }

  /** Kills signsrv (kill -9) and starts it again with `env` (crash points, payout policy) added to the cluster's. */
  async restartSignsrv(env: Record<string, string> = {}): Promise<void> {
    await this.cluster.process('signsrv').stop('SIGKILL');
    await this.cluster.startSignsrv(env);
  }

  /** Waits for a signsrv alarm of a kind about a withdrawal. */
  waitAlert(kind: string, withdrawalId: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    return waitFor(`${kind} alarm for ${withdrawalId}`, async () => (await this.alerts(kind, withdrawalId))[0], timeoutMs);
  }

  /** The alarms (signsrv's and transrv's) of a kind about a withdrawal, oldest first, with their details parsed. */
  alerts(kind: string, withdrawalId: string): Promise<Record<string, unknown>[]> {
    return alarmsOf(this.fixtures.db, kind, withdrawalId);
  }

  /** How many of a withdrawal's transactions the chain has mined (must never exceed one). */
  async minedTxCount(withdrawalId: string): Promise<number> {
    const txids = await this.fixtures.db('withdrawal_txs').where({ withdrawal_id: withdrawalId }).distinct().pluck<string[]>('txid');
    let n = 0;
    for (const txid of txids) if (await this.#mined(txid)) n++;
    return n;
  }

  /**
   * What is wrong with the wallet's input locks, as readable lines (none: empty): an unspent output still locked by an
   * abandoned (or unknown) build; an outpoint that is an input of two builds that were not abandoned; an input of a
   * mined transaction of ours that `utxos` does not show spent by it.
   */
  async lockProblems(): Promise<string[]> {
    const db = this.fixtures.db;
    const problems: string[] = [];
    const builds = await db('utxo_builds')
      .where({ chain: 'ltc' })
      .select<{ id: string; status: string; psbt: string }[]>('id', 'status', 'psbt');
    const status = new Map(builds.map((b) => [b.id, b.status]));
    const locked = await db('utxos')
      .where({ chain: 'ltc' })
      .whereNotNull('locked_by')
      .whereNull('spent_by_txid')
      .select<{ txid: string; vout: number; locked_by: string }[]>('txid', 'vout', 'locked_by');
    for (const u of locked) {
      const s = status.get(u.locked_by);
      if (s === undefined || s === 'abandoned') problems.push(`${u.txid}:${u.vout} locked by ${s ?? 'unknown'} build ${u.locked_by}`);
    }
    const holder = new Map<string, string>();
    for (const b of builds.filter((x) => x.status !== 'abandoned')) {
      for (const input of Psbt.fromBase64(b.psbt).txInputs) {
        const outpoint = `${Buffer.from(input.hash).reverse().toString('hex')}:${input.index}`;
        const other = holder.get(outpoint);
        if (other !== undefined) problems.push(`${outpoint} is an input of builds ${other} and ${b.id}`);
        holder.set(outpoint, b.id);
      }
    }
    const txids = await db('withdrawal_txs').where({ chain: 'ltc' }).distinct().pluck<string[]>('txid');
    for (const txid of txids) {
      if (!(await this.#mined(txid))) continue;
      for (const input of (await this.transaction(txid)).ins) {
        const prev = Buffer.from(input.hash).reverse().toString('hex');
        const row = await db('utxos')
          .where({ chain: 'ltc', txid: prev, vout: input.index })
          .first<{ spent_by_txid: string | null } | undefined>();
        if (row?.spent_by_txid !== txid)
          problems.push(`${prev}:${input.index}, spent by mined ${txid}, is recorded spent by ${row?.spent_by_txid ?? 'nothing'}`);
      }
    }
    return problems;
  }

  /** Whether the chain mined a transaction (unknown to the node: no). */
  async #mined(txid: string): Promise<boolean> {
    try {
      return ((await this.node.call<{ confirmations?: number }>('getrawtransaction', [txid, true])).confirmations ?? 0) >= 1;
    } catch (error) {
      if (String(error).includes('(-5)')) return false; // No such mempool or blockchain transaction
      throw error;
    }
  }
}
