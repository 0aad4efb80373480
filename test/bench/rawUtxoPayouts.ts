import type { Logger } from '@wallet/logger';
import { Transaction } from 'bitcoinjs-lib';
import type { Litecoind } from '../harness/litecoind.js';
import { mineEvery } from './mineEvery.js';
import { type Percentiles, percentiles } from './percentiles.js';
import { type CountedLoadResult, runRequests } from './runRequests.js';

/** Each funding output the miner wallet makes for one payout (1 LTC, in litoshi). */
const FUNDING_OUTPUT = 100_000_000n;
/** One P2WPKH input, two P2WPKH outputs: 10.5 + 68 + 2 x 31 = 140.5 vB (a 72-byte signature), rounded up. */
const PAYOUT_VSIZE = 141n;

/** Payouts signed beforehand by the miner wallet, each spending its own confirmed output: what the baseline sends. */
export type PreparedUtxoPayouts = {
  readonly raws: readonly string[];
  readonly txids: readonly string[];
  /** The transaction that made the outputs they spend. */
  readonly fundingTxid: string;
  readonly feeRate: bigint;
};

/**
 * Prepares `destinations.length` payouts of `amount` each the way a node's own wallet would, outside any timing: one
 * `sendmany` of the miner wallet to as many fresh addresses of its own (1 LTC each), mined; then for each output
 * `createrawtransaction` (that output in; the payment, and change to a random address outside every wallet so the
 * miner wallet does not grow) and `signrawtransactionwithwallet`, at `feeRate` sat/vB.
 * @param feeRate sat/vB, the rate the system paid, so both sides buy the same block space
 */
export async function prepareRawUtxoPayouts(o: {
  readonly node: Litecoind;
  readonly destinations: readonly string[];
  /** Where each payout's change goes: addresses outside every wallet, one per payout. */
  readonly changeAddresses: readonly string[];
  /** Litoshi per payout. */
  readonly amount: bigint;
  readonly feeRate: bigint;
  readonly log: Logger;
}): Promise<PreparedUtxoPayouts> {
  const { node, log } = o;
  const count = o.destinations.length;
  const fee = o.feeRate * PAYOUT_VSIZE;
  const change = FUNDING_OUTPUT - o.amount - fee;
  if (change <= 0n) throw new Error(`raw utxo: ${o.amount} + fee ${fee} does not fit in a funding output`);
  const own: string[] = [];
  for (let i = 0; i < count; i++) own.push(await node.call<string>('getnewaddress', ['', 'bech32'], true));
  const fundingTxid = await node.sendMany(Object.fromEntries(own.map((a) => [a, coins(FUNDING_OUTPUT)])));
  for (let tries = 0; ; tries++) {
    await node.mineFiller(1);
    const { confirmations } = await node.call<{ confirmations: number }>('gettransaction', [fundingTxid], true);
    if (confirmations >= 1) break;
    if (tries >= 10) throw new Error(`raw utxo: funding ${fundingTxid} not mined after ${tries + 1} blocks`);
  }
  // litecoind 0.21 names an output's address in `addresses` (later versions: `address`).
  const funding = await node.call<{ vout: { n: number; scriptPubKey: { address?: string; addresses?: string[] } }[] }>(
    'getrawtransaction',
    [fundingTxid, true],
  );
  const voutOf = new Map(funding.vout.map((v) => [v.scriptPubKey.address ?? v.scriptPubKey.addresses?.[0], v.n]));
  log.info({ fundingTxid, count, feeRate: o.feeRate }, 'raw utxo: funded; signing the payouts with the miner wallet');

  const raws: string[] = [];
  const txids: string[] = [];
  for (let i = 0; i < count; i++) {
    const vout = voutOf.get(own[i]);
    if (vout === undefined) throw new Error(`raw utxo: funding ${fundingTxid} pays nothing to ${own[i]!}`);
    const unsigned = await node.call<string>('createrawtransaction', [
      [{ txid: fundingTxid, vout }],
      [{ [o.destinations[i]!]: coins(o.amount) }, { [o.changeAddresses[i]!]: coins(change) }],
    ]);
    const signed = await node.call<{ hex: string; complete: boolean }>('signrawtransactionwithwallet', [unsigned], true);
    if (!signed.complete) throw new Error(`raw utxo: the miner wallet could not sign payout ${i}`);
    const tx = Transaction.fromHex(signed.hex);
    if (BigInt(tx.virtualSize()) > PAYOUT_VSIZE) throw new Error(`raw utxo: payout ${i} is ${tx.virtualSize()} vB, over ${PAYOUT_VSIZE}`);
    raws.push(signed.hex);
    txids.push(tx.getId());
  }
  return { raws, txids, fundingTxid, feeRate: o.feeRate };
}

export type RawUtxoPayouts = {
  /** sendrawtransaction calls, from the first sent to the last answered. */
  readonly sends: CountedLoadResult;
  /** From the first send until the first / every payout had its confirmations; null if never. */
  readonly firstConfirmedSeconds: number | null;
  readonly allConfirmedSeconds: number | null;
  readonly confirmedPerSecond: number | null;
  /** Per payout, from its send until it was seen with its confirmations. */
  readonly sendToConfirmed: Percentiles;
  readonly blocksMinedByCadence: number;
  /** Payouts seen mined, of those prepared (only those sent without error are waited for). */
  readonly mined: number;
};

/**
 * The node's own throughput for the payouts the system makes: `prepared` sent with `sendrawtransaction` through the
 * same closed-loop load generator at `concurrency` while a block is mined every `mineEveryMs` (to an address outside
 * every wallet), timed until each has `confirmations` (head - block + 1, as the scanner counts them).
 */
export async function measureRawUtxoPayouts(o: {
  readonly node: Litecoind;
  readonly prepared: PreparedUtxoPayouts;
  readonly concurrency: number;
  readonly confirmations: number;
  readonly mineEveryMs: number;
  readonly timeoutMs: number;
  readonly log: Logger;
}): Promise<RawUtxoPayouts> {
  const { node, log, prepared } = o;
  const count = prepared.raws.length;
  const ours = new Set(prepared.txids);
  const url = new URL(node.rpcUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  const sentAt = new Map<string, number>();
  const minedAt = new Map<string, number>(); // txid -> height
  const confirmedAt = new Map<string, number>(); // txid -> performance.now()
  let scanned = await node.height();
  let expected = count;
  log.info({ count, concurrency: o.concurrency, mineMs: o.mineEveryMs, from: scanned }, 'raw utxo: sending the signed payouts');

  const mining = mineEvery(() => node.mineFiller(1), o.mineEveryMs);
  const started = performance.now();
  const sinceStart = () => (performance.now() - started) / 1000;
  const watching = watchConfirmations();
  const sends = await runRequests(
    `${url.protocol}//${url.host}`,
    o.concurrency,
    count,
    (i) => {
      sentAt.set(prepared.txids[i]!, performance.now());
      const body = JSON.stringify({ jsonrpc: '1.0', id: i, method: 'sendrawtransaction', params: [prepared.raws[i]!] });
      return { method: 'POST', path: '/', headers: { authorization, 'content-type': 'application/json' }, body };
    },
    {
      ok: (status, body) => {
        if (status !== 200) return false;
        const answer = JSON.parse(body) as { result?: unknown; id?: number };
        return answer.result === prepared.txids[answer.id ?? -1];
      },
      // litecoind answers 500 when its RPC work queue (-rpcworkqueue, 16 by default) is full: a refusal to queue the
      // call, not to take the transaction; sent again, as any client of the node would.
      retry: (status, body) => status === 500 && body.includes('Work queue depth exceeded'),
      onProgress: (answered) => log.info({ answered, of: count }, 'raw utxo: payouts sent'),
    },
  );
  // Only the payouts the node took can confirm: wait for those alone.
  expected = count - sends.errors;
  log.info(
    { seconds: sends.seconds, errors: sends.errors, retries: sends.retries },
    'raw utxo: every payout sent; waiting for confirmations',
  );
  const watched = await watching;
  const firstConfirmedSeconds = watched.firstConfirmedSeconds;
  // Every payout confirmed, or the run does not count.
  const allConfirmedSeconds = sends.errors === 0 ? watched.allConfirmedSeconds : null;
  const { blocks } = await mining.stop();
  return {
    sends,
    firstConfirmedSeconds,
    allConfirmedSeconds,
    confirmedPerSecond: allConfirmedSeconds === null ? null : count / allConfirmedSeconds,
    sendToConfirmed: percentiles([...confirmedAt].map(([txid, at]) => at - sentAt.get(txid)!)),
    blocksMinedByCadence: blocks,
    mined: minedAt.size,
  };

  /**
   * Every 100 ms: the head, and each block not yet read (`getblock` verbosity 1: its txids) for our payouts; one
   * call per poll and one per new block, whatever the number of payouts.
   */
  async function watchConfirmations(): Promise<{ firstConfirmedSeconds: number | null; allConfirmedSeconds: number | null }> {
    let firstConfirmedSeconds: number | null = null;
    let lastLog = 0;
    for (;;) {
      const head = await node.height();
      for (; scanned < head; scanned++) {
        const hash = await node.call<string>('getblockhash', [scanned + 1]);
        const block = await node.call<{ tx: string[] }>('getblock', [hash, 1]);
        for (const txid of block.tx) if (ours.has(txid)) minedAt.set(txid, scanned + 1);
      }
      const now = performance.now();
      for (const [txid, height] of minedAt) if (!confirmedAt.has(txid) && head - height + 1 >= o.confirmations) confirmedAt.set(txid, now);
      if (firstConfirmedSeconds === null && confirmedAt.size > 0) firstConfirmedSeconds = sinceStart();
      if (confirmedAt.size >= expected) return { firstConfirmedSeconds, allConfirmedSeconds: sinceStart() };
      if (sinceStart() * 1000 > o.timeoutMs) {
        log.error({ mined: minedAt.size, confirmed: confirmedAt.size, of: count }, 'raw utxo: timed out waiting for confirmations');
        return { firstConfirmedSeconds, allConfirmedSeconds: null };
      }
      if (sinceStart() - lastLog >= 2) {
        lastLog = sinceStart();
        log.info({ mined: minedAt.size, confirmed: confirmedAt.size, of: count, head }, 'raw utxo: payouts mined');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Litoshi as the node's decimal LTC (8 places; a string, so nothing passes through a float). */
function coins(litoshi: bigint): string {
  return `${litoshi / 100_000_000n}.${(litoshi % 100_000_000n).toString().padStart(8, '0')}`;
}
