import { randomBytes } from 'node:crypto';
import { type ExtraToken, devRegistryWithToken } from './devRegistryWithToken.js';
import { HDNodeWallet, type JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { Redis } from 'ioredis';
import { type TestToken, anvilDeployer, anvilProvider, deployTestToken, mined } from '../contracts/deploy.js';
import { ApiClient } from './ApiClient.js';
import { createApiClient } from './clients.js';
import { Cluster, type ClusterOptions } from './Cluster.js';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { LedgerFixtures } from './ledgerFixtures.js';
import { stackEnv } from './stackEnv.js';
import { waitFor, waitWithdrawalStatus } from './waitFor.js';
import { alarmsOf } from './alarmsOf.js';

export type WithdrawalView = {
  id: string;
  accountId: string;
  asset: string;
  to: string;
  amount: string;
  fee: string;
  status: string;
  txid?: string | null;
  confirmations?: number | null;
  reason?: string | null;
  networkFee?: string | null;
};

export type ReviewJson = {
  withdrawalId: string;
  to: string;
  amount: string;
  status: string;
  localhash: string;
  decision: string | null;
  decidedBy: string | null;
  txid: string | null;
  nonce: number | null;
};

/** The auditors' side: signsrv's review API with a bearer token. */
export class SignsrvClient {
  constructor(
    readonly baseUrl: () => string,
    readonly token: string,
  ) {}

  async send<T>(method: 'GET' | 'POST', path: string, body?: unknown, token = this.token): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /**
   * Approves the withdrawal as it is now: reads it first, and approves its localhash (an approval is bound to what was
   * reviewed). One approval: a policy that asks for more approvers needs more tokens.
   */
  async approve(id: string, token = this.token) {
    const seen = await this.send<{ localhash?: string }>('GET', `/v1/reviews/${id}`, undefined, token);
    const localhash = seen.body?.localhash ?? '0'.repeat(64);
    return this.send<ReviewJson & { error?: { code: string } }>('POST', `/v1/reviews/${id}/approve`, { localhash }, token);
  }

  /**
   * Approves the withdrawal ({@link approve}) and waits until it is signed ({@link signed}): approving only records the
   * decision; transrv then moves its row to approved and signsrv's quick pass signs it. A refused approval is answered
   * as it came; an accepted one with the review as it is once signed (its txid and nonce).
   */
  async approveSigned(id: string, timeoutMs = 30_000) {
    const approved = await this.approve(id);
    if (approved.status !== 200) return approved;
    return { status: approved.status, body: await this.signed(id, timeoutMs) };
  }

  /**
   * Waits until signsrv has signed the withdrawal: its review shows a transaction.
   * @throws when the withdrawal ends without one (rejected, cancelled, failed, voided) or `timeoutMs` passes
   */
  signed(id: string, timeoutMs = 30_000): Promise<ReviewJson & { txid: string }> {
    return waitFor(
      `signsrv signed ${id}`,
      async () => {
        const { body } = await this.review(id);
        if (body.txid) return body as ReviewJson & { txid: string };
        if (['rejected', 'cancelled', 'failed'].includes(body.status) || body.decision === 'voided') {
          throw new Error(`withdrawal ${id} ended ${body.status} (decision ${body.decision}) unsigned`);
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  reject(id: string, reason: string) {
    return this.send<ReviewJson & { error?: { code: string } }>('POST', `/v1/reviews/${id}/reject`, { reason });
  }

  /** Gives up an approved, never signed withdrawal. */
  voidApproved(id: string, reason: string) {
    return this.send<ReviewJson & { error?: { code: string } }>('POST', `/v1/reviews/${id}/void`, { reason });
  }

  review(id: string) {
    return this.send<ReviewJson & { events: { from: string | null; to: string; actor: string }[]; error?: { code: string } }>(
      'GET',
      `/v1/reviews/${id}`,
    );
  }

  /** Waits until signsrv has the withdrawal in its review queue. */
  received(id: string, timeoutMs = 30_000) {
    return waitFor(`signsrv received ${id}`, async () => ((await this.review(id)).status === 200 ? true : undefined), timeoutMs);
  }
}

/** The hot wallet signsrv derives from a mnemonic (m/44'/60'/1'/0/0). */
export function hotWalletOf(mnemonic: string): string {
  return HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/1'/0/0").address;
}

/**
 * A cluster on the stack's anvil, set up for withdrawals: a listed ERC20 (USDT), the hot wallet funded with ETH and
 * tokens, an exchange client, an auditor, and direct MySQL and Redis access for checks.
 */
export class WithdrawalWorld {
  private constructor(
    readonly cluster: Cluster,
    readonly provider: JsonRpcProvider,
    readonly deployer: Wallet,
    readonly usdt: TestToken,
    readonly api: ApiClient,
    readonly signsrv: SignsrvClient,
    readonly fixtures: LedgerFixtures,
    readonly redis: Redis,
    /** The cluster's mnemonic: fresh for every world, so its secrets can be searched for in logs and stores. */
    readonly mnemonic: string,
    readonly hotWallet: string,
  ) {}

  /**
   * @param options the cluster's
   * @param tokens further listed tokens (deployed by the caller; the hot wallet holds whatever the caller minted it)
   */
  static async start(options: ClusterOptions = {}, tokens: readonly ExtraToken[] = []): Promise<WithdrawalWorld> {
    const mnemonic = options.mnemonic ?? generateMnemonic(wordlist, 128);
    const hotWallet = hotWalletOf(mnemonic);
    // A test that rewinds the chain runs its own anvil (options.chainRpc.eth): fund and deploy there.
    const provider = anvilProvider(options.chainRpc?.['eth']);
    const deployer = anvilDeployer(provider);
    const usdt = await deployTestToken(deployer, { name: 'Tether USD', symbol: 'USDT', decimals: 6 });
    const registry = devRegistryWithToken(await usdt.getAddress(), tokens);
    // The hot wallet pays the withdrawals: ETH for values and gas, tokens for token withdrawals.
    await provider.send('anvil_setBalance', [hotWallet, `0x${parseEther('100000').toString(16)}`]);
    await mined(usdt.mint(hotWallet, 10n ** 15n));
    const cluster = await Cluster.start({
      assets: registry,
      ...options,
      mnemonic,
      extraEnv: {
        GATESRV_RATE_LIMIT_PER_SECOND: '100000',
        TRANSRV_RESEND_AFTER_MS: '1000',
        SIGNSRV_RESEND_AFTER_MS: '1000',
        ...options.extraEnv,
      },
    });
    try {
      const api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Withdrawing Exchange'));
      const signsrv = new SignsrvClient(() => cluster.signsrvUrl, cluster.signer.auditorToken);
      const redis = new Redis(stackEnv.REDIS_URL);
      const world = new WithdrawalWorld(
        cluster,
        provider,
        deployer,
        usdt,
        api,
        signsrv,
        new LedgerFixtures(cluster.database),
        redis,
        mnemonic,
        hotWallet,
      );
      await waitFor('a scanner leader', async () =>
        [...cluster.processes.values()].some((p) => p.lines.some((l) => l.msg === 'scanning as leader')) ? true : undefined,
      );
      return world;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.redis.disconnect();
    await this.fixtures.close();
    await this.cluster.stop();
  }

  /** The highest block the scanner has recorded for eth. */
  async scannedHead(): Promise<number | null> {
    const [[row]] = (await this.fixtures.db.raw("SELECT MAX(number) AS n FROM chain_blocks WHERE chain = 'eth'")) as [
      [{ n: string | null }],
    ];
    return row.n === null ? null : Number(row.n);
  }

  /** A new account of the exchange, funded in the ledger. */
  async fundedAccount(funds: Record<string, bigint>): Promise<string> {
    const res = await this.api.post<{ id: string }>('/v1/accounts', { externalId: `user-${randomBytes(6).toString('hex')}` });
    if (res.status !== 201) throw new Error(`account: ${res.status}`);
    for (const [asset, amount] of Object.entries(funds)) await this.fixtures.fund(res.body.id, asset, amount);
    return res.body.id;
  }

  /** A fresh destination address nobody else uses. */
  static freshAddress(): string {
    return Wallet.createRandom().address;
  }

  async withdraw(accountId: string, body: { asset: string; to: string; amount: string }, idempotencyKey?: string) {
    return this.api.post<WithdrawalView & { error?: { code: string } }>(
      `/v1/accounts/${accountId}/withdrawals`,
      body,
      idempotencyKey === undefined ? {} : { idempotencyKey },
    );
  }

  async get(id: string): Promise<WithdrawalView> {
    const res = await this.api.get<WithdrawalView>(`/v1/withdrawals/${id}`);
    if (res.status !== 200) throw new Error(`GET withdrawal ${id}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** Waits for a status, mining a block now and then (confirmations need blocks; anvil mines only on demand). */
  async waitStatus(id: string, status: string, timeoutMs = 60_000): Promise<WithdrawalView> {
    return waitWithdrawalStatus(
      () => this.get(id),
      () => this.mine(1),
      id,
      status,
      timeoutMs,
    );
  }

  mine(blocks: number): Promise<unknown> {
    return this.provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);
  }

  async balances(accountId: string, asset: string): Promise<{ available: bigint; frozen: bigint }> {
    const res = await this.api.get<{ data: { asset: string; available: string; frozen: string }[] }>(`/v1/accounts/${accountId}/balances`);
    const b = res.body.data.find((x) => x.asset === asset)!;
    return { available: BigInt(b.available), frozen: BigInt(b.frozen) };
  }

  /** The alarms (signsrv's and transrv's) of a kind about a withdrawal, oldest first, with their details parsed. */
  alerts(kind: string, withdrawalId: string): Promise<Record<string, unknown>[]> {
    return alarmsOf(this.fixtures.db, kind, withdrawalId);
  }

  /** Waits until signsrv has raised an alarm of a kind about a withdrawal (matching `match`, if given). */
  waitAlert(kind: string, withdrawalId: string, match: (details: Record<string, unknown>) => boolean = () => true, timeoutMs = 30_000) {
    return waitFor(`alarm ${kind} for ${withdrawalId}`, async () => (await this.alerts(kind, withdrawalId)).find(match), timeoutMs);
  }

  /** Transactions of a withdrawal as signsrv stored them. */
  async txsOf(withdrawalId: string): Promise<{ txid: string; attempt: number; nonce: number }[]> {
    const rows = await this.fixtures.db('withdrawal_txs').where({ withdrawal_id: withdrawalId }).orderBy('attempt');
    return rows.map((r: { txid: string; attempt: number; nonce: string }) => ({
      txid: r.txid,
      attempt: r.attempt,
      nonce: Number(r.nonce),
    }));
  }

  /** How many of a withdrawal's transactions the chain has mined (must never exceed one). */
  async minedTxCount(withdrawalId: string): Promise<number> {
    let n = 0;
    for (const tx of await this.txsOf(withdrawalId)) if (await this.provider.getTransactionReceipt(tx.txid)) n++;
    return n;
  }
}
