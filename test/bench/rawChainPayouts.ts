import { randomBytes } from 'node:crypto';
import type { Logger } from '@wallet/logger';
import { type JsonRpcProvider, Transaction, Wallet, hexlify, parseEther } from 'ethers';
import { inBatches } from './inBatches.js';
import { mineEvery } from './mineEvery.js';
import { randomAddress } from './randomAddress.js';
import { type CountedLoadResult, runRequests } from './runRequests.js';

export type RawChainPayoutsOptions = {
  readonly provider: JsonRpcProvider;
  /** The node's JSON-RPC URL, for the load generator (the same node as `provider`). */
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly count: number;
  readonly concurrency: number;
  /** Wei per transfer. */
  readonly amount: bigint;
  /** Confirmations a transfer needs, counted as the scanner counts them: head - block + 1. */
  readonly confirmations: number;
  readonly mineEveryMs: number;
  readonly timeoutMs: number;
  readonly log: Logger;
};

export type RawChainPayouts = {
  /** eth_sendRawTransaction calls, from the first sent to the last answered. */
  readonly sends: CountedLoadResult;
  /** From the first send until the first transfer / every transfer had its confirmations; null if never. */
  readonly firstConfirmedSeconds: number | null;
  readonly allConfirmedSeconds: number | null;
  readonly confirmedPerSecond: number | null;
  readonly blocksMinedByCadence: number;
  /** Receipts with status 1, and destinations holding exactly `amount`, of `count`. */
  readonly succeeded: number;
  readonly paid: number;
};

/**
 * The chain's own throughput for a batch of payouts, the raw material of the withdrawal pipeline: `count` plain ETH
 * transfers from one fresh, funded account to fresh addresses, signed locally with ethers (nonces assigned locally,
 * in order) and sent with eth_sendRawTransaction through the same closed-loop load generator at `concurrency`,
 * while a block is mined every `mineEveryMs`; timed until each has `confirmations`.
 */
export async function measureRawChainPayouts(o: RawChainPayoutsOptions): Promise<RawChainPayouts> {
  const { provider, log } = o;
  const wallet = new Wallet(hexlify(randomBytes(32)));
  const funds = o.amount * BigInt(o.count) + parseEther('100');
  await provider.send('anvil_setBalance', [wallet.address, `0x${funds.toString(16)}`]);
  const firstNonce = await provider.getTransactionCount(wallet.address, 'pending');
  const fees = await provider.getFeeData();
  const maxPriorityFeePerGas = fees.maxPriorityFeePerGas ?? 1_000_000_000n;
  // Twice what the node suggests: no transfer of the batch may wait on its price.
  const maxFeePerGas = 2n * (fees.maxFeePerGas ?? 2n * maxPriorityFeePerGas);
  const destinations = Array.from({ length: o.count }, () => randomAddress());
  const hashes: string[] = [];
  log.info({ from: wallet.address, count: o.count, firstNonce }, 'raw chain: sending signed transfers');

  const mining = mineEvery(() => provider.send('anvil_mine', ['0x1']), o.mineEveryMs);
  const started = performance.now();
  const sinceStart = () => (performance.now() - started) / 1000;
  const watching = watchConfirmations();
  const sends = await runRequests(
    o.rpcUrl,
    o.concurrency,
    o.count,
    (i) => {
      const tx = Transaction.from({
        type: 2,
        chainId: o.chainId,
        nonce: firstNonce + i,
        to: destinations[i]!,
        value: o.amount,
        gasLimit: 21_000n,
        maxFeePerGas,
        maxPriorityFeePerGas,
      });
      tx.signature = wallet.signingKey.sign(tx.unsignedHash);
      hashes[i] = tx.hash!;
      const body = JSON.stringify({ jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [tx.serialized] });
      return { method: 'POST', path: pathOf(o.rpcUrl), headers: { 'content-type': 'application/json' }, body };
    },
    {
      ok: (status, body) => status === 200 && (JSON.parse(body) as { error?: unknown }).error === undefined,
      onProgress: (answered) => log.info({ answered, of: o.count }, 'raw chain: transfers sent'),
    },
  );
  log.info({ seconds: sends.seconds, errors: sends.errors }, 'raw chain: every transfer sent; waiting for confirmations');
  const { firstConfirmedSeconds, allConfirmedSeconds } = await watching;
  const { blocks } = await mining.stop();

  const receipts = await inBatches(hashes, 32, (h) => provider.getTransactionReceipt(h));
  const balances = await inBatches(destinations, 32, (a) => provider.getBalance(a));
  return {
    sends,
    firstConfirmedSeconds,
    allConfirmedSeconds,
    confirmedPerSecond: allConfirmedSeconds === null ? null : o.count / allConfirmedSeconds,
    blocksMinedByCadence: blocks,
    succeeded: receipts.filter((r) => r?.status === 1).length,
    paid: balances.filter((b) => b === o.amount).length,
  };

  /**
   * Polls the head and the sender's mined nonce every 100 ms. Nonces are mined in order, so the first transfer is
   * the first one mined and the last is mined last: their blocks say when the first and every transfer had
   * their confirmations.
   */
  async function watchConfirmations(): Promise<{ firstConfirmedSeconds: number | null; allConfirmedSeconds: number | null }> {
    let firstBlock: number | undefined;
    let lastBlock: number | undefined;
    let firstConfirmedSeconds: number | null = null;
    let lastLog = 0;
    for (;;) {
      const [head, mined] = await Promise.all([provider.getBlockNumber(), provider.getTransactionCount(wallet.address, 'latest')]);
      const count = mined - firstNonce;
      if (firstBlock === undefined && count >= 1) firstBlock = (await provider.getTransactionReceipt(hashes[0]!))?.blockNumber;
      if (lastBlock === undefined && count >= o.count)
        lastBlock = (await provider.getTransactionReceipt(hashes[o.count - 1]!))?.blockNumber;
      const confirmed = (block: number | undefined) => block !== undefined && head - block + 1 >= o.confirmations;
      if (firstConfirmedSeconds === null && confirmed(firstBlock)) firstConfirmedSeconds = sinceStart();
      if (confirmed(lastBlock)) return { firstConfirmedSeconds, allConfirmedSeconds: sinceStart() };
      if (sinceStart() * 1000 > o.timeoutMs) {
        log.error({ mined: count, of: o.count }, 'raw chain: timed out waiting for confirmations');
        return { firstConfirmedSeconds, allConfirmedSeconds: null };
      }
      if (sinceStart() - lastLog >= 2) {
        lastLog = sinceStart();
        log.info({ mined: count, of: o.count, head }, 'raw chain: transfers mined');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The path of a JSON-RPC URL (anvil answers on `/`). */
function pathOf(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  return `${u.pathname}${u.search}`;
}
