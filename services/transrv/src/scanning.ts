import type { AssetRegistry, ChainSpec } from '@wallet/assets';
import { toWalletError } from '@wallet/errors';
import { createChainAdapter } from '@wallet/chains';
import type { NodeDbs } from '@wallet/db';
import { PeriodicTask } from '@wallet/jobs';
import { type Transfer, expirePaymentRequests, expireRedPackets, settleDeposits } from '@wallet/ledger';
import {
  bookConsolidationFees,
  bookSweepFees,
  bookTreasuryMoveFees,
  settleInternalWithdrawals,
  settleWithdrawals,
} from '@wallet/withdrawals';
import { type CrashPoint } from '@wallet/lifecycle';
import type { Logger } from '@wallet/logger';
import { type FeeSource, FeeRateCollector } from '@wallet/rates';
import { HotWallets, ScannerService } from '@wallet/scanner';
import type { Etcd3 } from 'etcd3';

/**
 * Chain work of a transrv node: it campaigns to be the (single, cluster-wide) scanner of each chain (EVM or
 * UTXO) that has an RPC URL, and it settles the deposits of its own accounts (credit at the asset's
 * confirmations, reverse after a reorg), its withdrawals whose transaction has its confirmations (confirmed
 * or failed), and its approved internal withdrawals (credited in the ledger, nothing on chain) every half second.
 */
export async function startChainWork(options: {
  /**
   * The node's two databases (docs/sharding.md). The scanner is the cluster's (global tables; its block transactions
   * still write every node's deposits, a census group); settlement moves this node's money (the shard).
   */
  readonly dbs: NodeDbs;
  readonly etcd: Etcd3;
  readonly env: string;
  readonly nodeId: string;
  readonly registry: AssetRegistry;
  readonly rpcUrls: Readonly<Record<string, string>>;
  readonly wsUrls: Readonly<Record<string, string>>;
  /** First block of a chain with no checkpoint; chains not listed start at the node's head. */
  readonly startHeights?: Readonly<Record<string, number>>;
  readonly scan: boolean;
  readonly ttlSeconds: number;
  readonly log: Logger;
  /** localhash per transaction hash from Redis blockout_ctx (null where it has none). */
  readonly ctxLookup: (txids: readonly string[]) => Promise<(string | null)[]>;
  /** Delivers the cross-node credit of an internal withdrawal just settled (the transfer relay). */
  readonly deliverCredit: (transfer: Transfer) => void;
  /** Test-only crash points (see @wallet/withdrawals crashPoints). @default none */
  readonly crashPoint?: CrashPoint;
  /** How often each chain's fee rate is sampled into `fee_rates` (across the cluster). @default hourly */
  readonly feeRatesMs?: number;
  /** The first wait before starting again a scanner whose node did not answer (then doubling to 30 s). @default 1 s */
  readonly scannerStartRetryMs?: number;
}): Promise<{ scanners: ScannerService[]; stop: () => Promise<void> }> {
  const { registry, log } = options;
  const { global } = options.dbs;
  const scanners: ScannerService[] = [];
  const closers: (() => Promise<void>)[] = [];
  const feeSources: FeeSource[] = [];
  const startScanner = async (chain: ChainSpec): Promise<void> => {
    const rpcUrl = options.rpcUrls[chain.id]!;
    const wsUrl = options.wsUrls[chain.id];
    // Checks the node serves the configured chain (CONFIG_INVALID when it does not).
    const adapter = await createChainAdapter({
      chain,
      assets: [...registry.assets.values()].filter((a) => a.chain === chain.id),
      rpcUrl,
      ...(wsUrl
        ? { wsUrl, onWatchError: (error: Error) => log.debug({ err: error, chain: chain.id }, 'new-head subscription down; polling') }
        : {}),
    });
    closers.push(() => adapter.close());
    feeSources.push({ chain: chain.id, feeEstimate: () => adapter.feeEstimate() });
    const canonical = (address: string): string => adapter.canonicalAddress(address);
    const startHeight = options.startHeights?.[chain.id];
    const service = new ScannerService({
      db: global,
      etcd: options.etcd,
      env: options.env,
      chain: chain.id,
      source: adapter,
      canonical,
      candidate: options.nodeId,
      hotWallets: new HotWallets(global, chain.id, canonical, options.ctxLookup),
      ...(startHeight === undefined ? {} : { startHeight }),
      ttlSeconds: options.ttlSeconds,
      log: log.child({ component: 'scanner', chain: chain.id }),
    });
    service.start();
    scanners.push(service);
    // Stopped before its adapter closes (closers run last first).
    closers.push(() => service.stop());
  };
  // Chains whose node did not answer at start: the node serves its API and settles meanwhile (settling reads MySQL
  // only), and a pass with back-off starts each scanner once its node answers. A node that answers for another chain
  // refuses the start (a configuration error); one that is down is an outage the process must outlive, as it
  // outlives one later.
  const pending: ChainSpec[] = [];
  if (options.scan) {
    for (const chain of registry.chains.values()) {
      if (!options.rpcUrls[chain.id]) continue;
      try {
        await startScanner(chain);
      } catch (error) {
        const walletError = toWalletError(error);
        if (!walletError.retryable) throw walletError;
        log.warn({ err: walletError, chain: chain.id }, 'chain node unreachable at start: its scanner starts once it answers');
        pending.push(chain);
      }
    }
  }
  const scannerStarts = new PeriodicTask({
    name: 'scanner-start',
    log,
    intervalMs: options.scannerStartRetryMs ?? 1000,
    run: async () => {
      const failed: unknown[] = [];
      for (const chain of [...pending]) {
        try {
          await startScanner(chain);
          pending.splice(pending.indexOf(chain), 1);
          log.info({ chain: chain.id }, 'chain node answers: scanner started');
        } catch (error) {
          failed.push(error);
        }
      }
      if (failed.length > 0) throw failed[0];
    },
  });
  if (pending.length > 0) scannerStarts.start();

  // Each step logs its own failure and the next step runs regardless: a step that fails must not hold up the others.
  const settle = async (): Promise<void> => {
    try {
      const result = await settleDeposits(options.dbs, options.nodeId, (asset) => registry.asset(asset).confirmations, {
        // One line per deposit, with its ids and txid: the line an operator greps for when a customer asks.
        onSettled: ({ outcome, ...deposit }) =>
          (outcome === 'shortfall' ? log.warn : log.info).call(
            log,
            deposit,
            `deposit ${outcome === 'credited' ? 'credited' : 'reversed'}${outcome === 'shortfall' ? ' with a shortfall' : ''}`,
          ),
      });
      if (result.credited + result.reversed > 1) log.info({ ...result }, 'deposits settled');
      if (result.shortfalls)
        log.error({ shortfalls: result.shortfalls }, 'reorg reversal could not take back the whole deposit: shortfall booked');
    } catch (error) {
      log.error({ err: error }, 'deposit settlement failed; retrying');
    }
    try {
      // After the credits of this pass: a payment credited in it counts before its request is judged.
      const expired = await expirePaymentRequests(options.dbs, options.nodeId);
      if (expired) log.info({ expired }, 'payment requests expired');
    } catch (error) {
      log.error({ err: error }, 'expiring payment requests failed; retrying');
    }
    try {
      const expired = await expireRedPackets(options.dbs, options.nodeId);
      if (expired) log.info({ expired }, 'red packets expired: what nobody claimed went back');
    } catch (error) {
      log.error({ err: error }, 'expiring red packets failed; retrying');
    }
    try {
      const result = await settleWithdrawals(options.dbs, options.nodeId, registry, log);
      if (result.confirmed + result.failed > 1) log.info({ ...result }, 'withdrawals settled');
    } catch (error) {
      log.error({ err: error }, 'withdrawal settlement failed; retrying');
    }
    try {
      await bookConsolidationFees(options.dbs, options.nodeId, registry, log);
    } catch (error) {
      log.error({ err: error }, 'booking consolidation fees failed; retrying');
    }
    try {
      await bookSweepFees(options.dbs, options.nodeId, registry, log);
    } catch (error) {
      log.error({ err: error }, 'booking sweep fees failed; retrying');
    }
    try {
      await bookTreasuryMoveFees(options.dbs, options.nodeId, registry, log);
    } catch (error) {
      log.error({ err: error }, 'booking treasury move fees failed; retrying');
    }
    try {
      const result = await settleInternalWithdrawals(
        options.dbs,
        options.nodeId,
        log,
        options.crashPoint ? { crashPoint: options.crashPoint } : {},
      );
      for (const transfer of result.transfers) options.deliverCredit(transfer);
    } catch (error) {
      log.error({ err: error }, 'internal withdrawal settlement failed; retrying');
    }
  };
  const settlement = new PeriodicTask({ name: 'settlement', log, intervalMs: 500, run: settle });
  settlement.start();
  const feeRates = new FeeRateCollector({
    db: global,
    nodeId: options.nodeId,
    log: log.child({ component: 'fee-rates' }),
    sources: feeSources,
    ...(options.feeRatesMs === undefined ? {} : { intervalMs: options.feeRatesMs }),
  });
  feeRates.start();
  return {
    scanners,
    stop: async () => {
      await scannerStarts.stop();
      await feeRates.stop();
      await settlement.stop();
      for (const close of closers.reverse()) await close();
    },
  };
}
