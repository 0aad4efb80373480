import { randomBytes } from 'node:crypto';
import { Transaction } from 'bitcoinjs-lib';
import { ApiClient } from './ApiClient.js';
import { createApiClient } from './clients.js';
import { Cluster, type ClusterOptions } from './Cluster.js';
import { LedgerFixtures } from './ledgerFixtures.js';
import { Litecoind, ltcRpcUrl } from './litecoind.js';
import { waitFor } from './waitFor.js';
import { SignsrvClient, type WithdrawalView } from './WithdrawalWorld.js';

export type UtxoWithdrawalView = WithdrawalView & { outputIndex?: number | null };

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
    let polls = 0;
    return waitFor(
      `withdrawal ${id} ${status}`,
      async () => {
        const w = await this.get(id);
        if (w.status === status) return w;
        if (['confirmed', 'failed', 'rejected', 'cancelled'].includes(w.status))
          throw new Error(`withdrawal ${id} ended ${w.status}, not ${status}`);
        if (++polls % 3 === 0 && (w.status === 'broadcast' || w.status === 'signed')) await this.node.mine(1);
        return undefined;
      },
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

  /** signsrv's alarms of a kind about a withdrawal, with their details parsed. */
  async alerts(kind: string, withdrawalId: string): Promise<Record<string, unknown>[]> {
    const rows = await this.fixtures.db('sign_alerts').where({ kind, withdrawal_id: withdrawalId }).orderBy('id');
    return rows.map((r: { details: string }) => JSON.parse(r.details) as Record<string, unknown>);
  }
}
