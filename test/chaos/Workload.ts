import { ChainGate } from './ChainGate.js';
import { randomUUID } from 'node:crypto';
import { errorRegistry, isErrorCode } from '@wallet/errors';
import { type JsonRpcProvider, Wallet } from 'ethers';
import type { ApiClient, ApiResponse } from '../harness/ApiClient.js';
import type { SignsrvClient } from '../harness/WithdrawalWorld.js';
import type { Rng } from './rng.js';

/** What became of a POST: taken (2xx), refused for good (a 4xx the API keeps), or not known (5xx, lost connection). */
export type Outcome = 'accepted' | 'refused' | 'unknown';

/** One mutating request of the workload, with every attempt of it (all with the same Idempotency-Key and body). */
export type PostRecord = {
  readonly kind: 'transfer' | 'withdrawal' | 'cancel' | 'account' | 'address';
  readonly key: string;
  readonly path: string;
  readonly body: unknown;
  outcome: Outcome;
  /** The id of what it created (transfer, withdrawal, account) or acted on (cancel). */
  id?: string;
  /** The refusal's code, or the last retryable code seen. */
  code?: string;
  status?: number;
  /** The final answer's body. */
  answer?: unknown;
  attempts: number;
};

export type AccountRecord = { readonly id: string; readonly address: string };
export type DepositSent = { readonly txid: string; readonly to: string; readonly accountId: string; readonly amount: bigint };
export type ReviewAction = {
  readonly withdrawalId: string;
  readonly action: 'approve' | 'reject' | 'void';
  status: number;
  code?: string;
};

const GWEI = 10n ** 9n;

/** Whether an answer is final for its key (the API keeps it; a retry gets the same) or the request may be retried. */
function classify(res: ApiResponse): { outcome: Outcome; code?: string } {
  const code = (res.body as { error?: { code?: string } } | null)?.error?.code;
  if (res.status >= 200 && res.status < 300) return { outcome: 'accepted' };
  if (res.status >= 500 || res.status === 408 || res.status === 425 || res.status === 429)
    return { outcome: 'unknown', ...(code ? { code } : {}) };
  if (code !== undefined && isErrorCode(code) && errorRegistry[code].retryable) return { outcome: 'unknown', code };
  return { outcome: 'refused', ...(code ? { code } : {}) };
}

/**
 * The campaign's workload, through the public API (an exchange's back office) and the auditors' API: accounts with
 * deposit addresses, deposits sent on the chain to them, internal transfers, withdrawals that auditors approve or reject
 * and clients cancel. Every POST is retried with its own key after an unknown outcome, until it is answered for good or
 * the campaign ends (the final check retries what is left). Everything done is recorded for the invariants.
 */
export class Workload {
  readonly posts: PostRecord[] = [];
  readonly accounts: AccountRecord[] = [];
  readonly deposits: DepositSent[] = [];
  readonly reviews: ReviewAction[] = [];
  /** Answers with status 500 (INTERNAL): a fault the API should have turned into a retryable code. */
  readonly internalErrors: { path: string; body: unknown }[] = [];
  readonly #funder: Wallet;
  /** Every gateway, as clients behind a balancer reach them: each attempt goes to the next one. */
  readonly #gateways: readonly ApiClient[];
  #attempt = 0;
  #depositQueue: Promise<unknown> = Promise.resolve();

  constructor(
    gateways: readonly ApiClient[],
    readonly signsrv: SignsrvClient,
    readonly provider: JsonRpcProvider,
    funderKey: string,
    readonly rng: Rng,
    /** The harness's sends to anvil take it shared (see ChainGate). */
    readonly gate: ChainGate = new ChainGate(),
  ) {
    this.#funder = new Wallet(funderKey, provider);
    this.#gateways = gateways;
  }

  /** The first gateway (the checks' replays go through it). */
  get api(): ApiClient {
    return this.#gateways[0]!;
  }

  /** One POST, retried with the same key while its outcome is unknown, for at most `patienceMs`. */
  async post(kind: PostRecord['kind'], path: string, body: unknown, patienceMs = 20_000): Promise<PostRecord> {
    const record: PostRecord = { kind, key: randomUUID(), path, body, outcome: 'unknown', attempts: 0 };
    this.posts.push(record);
    await this.retry(record, patienceMs);
    return record;
  }

  /** Sends `record` again (same key, same body) until it is answered for good or `patienceMs` passes. */
  async retry(record: PostRecord, patienceMs: number): Promise<void> {
    const deadline = Date.now() + patienceMs;
    for (;;) {
      record.attempts++;
      let res: ApiResponse | undefined;
      try {
        const gateway = this.#gateways[this.#attempt++ % this.#gateways.length]!;
        res = await gateway.post(record.path, record.body, { idempotencyKey: record.key });
      } catch {
        res = undefined; // the gateway is down or the connection was cut: unknown
      }
      if (res) {
        if (res.status === 500) this.internalErrors.push({ path: record.path, body: res.body });
        const c = classify(res);
        record.status = res.status;
        if (c.code !== undefined) record.code = c.code;
        if (c.outcome !== 'unknown') {
          record.outcome = c.outcome;
          record.answer = res.body;
          const id = (res.body as { id?: string } | null)?.id;
          if (id !== undefined) record.id = id;
          return;
        }
      }
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 300 + this.rng.int(0, 400)));
    }
  }

  /** Opens `n` accounts, each with an ETH deposit address (retrying through faults). */
  async openAccounts(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const account = await this.post('account', '/v1/accounts', { externalId: `chaos-${randomUUID().slice(0, 8)}` }, 120_000);
      if (account.outcome !== 'accepted' || account.id === undefined) throw new Error(`account not opened: ${JSON.stringify(account)}`);
      let address: string | undefined;
      while (address === undefined) {
        const rec = await this.post('address', `/v1/accounts/${account.id}/addresses`, { chain: 'eth' }, 120_000);
        if (rec.outcome === 'refused') throw new Error(`address refused: ${JSON.stringify(rec)}`);
        if (rec.outcome === 'accepted') address = (rec.answer as { address: string }).address;
      }
      this.accounts.push({ id: account.id, address });
    }
  }

  /** Sends ETH from the funder to a random account's deposit address (one at a time: the funder's nonces). */
  deposit(): Promise<unknown> {
    const account = this.rng.pick(this.accounts);
    const amount = BigInt(this.rng.int(5, 200)) * 10n ** 15n; // 0.005 - 0.2 ETH
    const send = async (): Promise<void> => {
      try {
        const tx = await this.gate.shared(() => this.#funder.sendTransaction({ to: account.address, value: amount, gasPrice: 2n * GWEI }));
        this.deposits.push({ txid: tx.hash, to: account.address, accountId: account.id, amount });
      } catch {
        // The node refused or the connection broke: nothing was sent that we know of; a sent one shows on the chain
        // and is checked from there (deposits are matched by the chain, not by this list, at the end).
      }
    };
    this.#depositQueue = this.#depositQueue.then(send);
    return this.#depositQueue;
  }

  /** An internal transfer between two random accounts. */
  transfer(): Promise<PostRecord> {
    const from = this.rng.pick(this.accounts);
    let to = this.rng.pick(this.accounts);
    if (to === from) to = this.accounts[(this.accounts.indexOf(from) + 1) % this.accounts.length]!;
    const amount = (BigInt(this.rng.int(1, 50)) * 10n ** 14n).toString(); // 0.0001 - 0.005 ETH
    return this.post('transfer', '/v1/transfers', { from: from.id, to: to.id, asset: 'ETH', amount });
  }

  /** A withdrawal from a random account to a fresh address. */
  withdraw(): Promise<PostRecord> {
    const from = this.rng.pick(this.accounts);
    const amount = (BigInt(this.rng.int(2, 20)) * 10n ** 15n).toString(); // 0.002 - 0.02 ETH
    return this.post('withdrawal', `/v1/accounts/${from.id}/withdrawals`, { asset: 'ETH', to: Wallet.createRandom().address, amount });
  }

  /**
   * Decides a withdrawal the workload created: auditors approve most, reject some, and void some right after approving
   * them (the auditors' "never sign it": refused as WITHDRAWAL_NOT_VOIDABLE when signsrv signed it first); clients cancel
   * some.
   */
  async decide(withdrawalId: string): Promise<void> {
    const choice = this.rng.weighted({ approve: 6, reject: 1.5, cancel: 1.5, void: 1 });
    if (choice === 'cancel') {
      await this.post('cancel', `/v1/withdrawals/${withdrawalId}/cancel`, {});
      return;
    }
    const approved = await this.#review(withdrawalId, choice === 'reject' ? 'reject' : 'approve');
    if (choice === 'void' && approved.status === 200) await this.#review(withdrawalId, 'void');
  }

  /** One auditor's action, tried again while signsrv does not have the withdrawal yet or answers a retryable code. */
  async #review(withdrawalId: string, action: ReviewAction['action']): Promise<ReviewAction> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      let res: { status: number; body: { error?: { code: string } } } | undefined;
      try {
        res =
          action === 'approve'
            ? await this.signsrv.approve(withdrawalId)
            : action === 'reject'
              ? await this.signsrv.reject(withdrawalId, 'chaos campaign')
              : await this.signsrv.voidApproved(withdrawalId, 'chaos campaign: never sign it');
      } catch {
        res = undefined;
      }
      // signsrv may not have the request yet (404 while transrv's relay is behind a fault), or answers a retryable
      // code (a conflict with a concurrent pass): try again.
      const code = res?.body?.error?.code;
      const retryable = code !== undefined && isErrorCode(code) && errorRegistry[code].retryable;
      // APPROVAL_STALE: the approval named a view of the withdrawal older than signsrv's (or none, when the review
      // could not be read): an auditor reads it again and approves what is there now.
      const done = res !== undefined && res.status < 500 && res.status !== 404 && !retryable && code !== 'APPROVAL_STALE';
      if (done || Date.now() > deadline) {
        const review: ReviewAction = {
          withdrawalId,
          action,
          status: res?.status ?? 0,
          ...(res?.body?.error?.code ? { code: res.body.error.code } : {}),
        };
        this.reviews.push(review);
        return review;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Waits for the deposits still being sent. */
  settleDeposits(): Promise<unknown> {
    return this.#depositQueue;
  }
}
