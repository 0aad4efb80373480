import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import type { Etcd3 } from 'etcd3';
import type { BlockSource } from './blockSource.js';
import { ChainScanner } from './ChainScanner.js';
import type { HotWallets } from './HotWallets.js';
import { type Leadership, campaign } from './LeaderElection.js';
import { WatchedAddresses } from './WatchedAddresses.js';

export type ScannerServiceOptions = {
  readonly db: Knex;
  readonly etcd: Etcd3;
  /** WALLET_ENV: elections are per cluster namespace. */
  readonly env: string;
  readonly chain: string;
  readonly source: BlockSource;
  /** The chain's canonical address form (lower-case hex for EVM). */
  readonly canonical: (address: string) => string;
  readonly candidate: string;
  readonly ttlSeconds: number;
  readonly log: Logger;
  /** Pause when caught up with the node. @default 500 */
  readonly pollMs?: number;
  /** First block for a chain with no checkpoint. @default the node's head at first start */
  readonly startHeight?: number;
  /** Warn when the node advanced but the checkpoint did not for this long. @default 30000 */
  readonly stallMs?: number;
  /** Most blocks written per fenced transaction. @default 64 */
  readonly windowBlocks?: number;
  /** Blocks fetched from the node at once. @default 8 */
  readonly fetchConcurrency?: number;
  /** The chain's hot wallets, whose transactions settle withdrawals. */
  readonly hotWallets?: HotWallets;
};

export type ScannerMetrics = {
  readonly chain: string;
  readonly leader: boolean;
  readonly checkpoint: number | null;
  readonly head: number | null;
  /** Node head minus scanned height. */
  readonly lag: number | null;
  readonly stalled: boolean;
};

/**
 * Runs the scanner of one chain in every process that may scan it; exactly one of them is active
 * cluster-wide (etcd election), the others wait as standbys. The active one scans under its fencing
 * token until it loses leadership (then it stops at once and campaigns again), logging catch-up progress
 * and the lag to the node head, and shouting when it stops advancing while the node advances.
 */
export class ScannerService {
  readonly #o: ScannerServiceOptions;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #leadership: Leadership | undefined;
  #metrics: { checkpoint: number | null; head: number | null; stalled: boolean } = { checkpoint: null, head: null, stalled: false };
  /** When the checkpoint last moved (kept across failures and re-elections, so repeated errors count as a stall). */
  #lastAdvance = Date.now();

  constructor(options: ScannerServiceOptions) {
    this.#o = options;
  }

  start(): void {
    this.#loop = this.#run();
  }

  metrics(): ScannerMetrics {
    const { checkpoint, head, stalled } = this.#metrics;
    return {
      chain: this.#o.chain,
      leader: this.#leadership !== undefined,
      checkpoint,
      head,
      lag: checkpoint !== null && head !== null ? Math.max(0, head - checkpoint) : null,
      stalled,
    };
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#leadership?.resign();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { log, chain } = this.#o;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      /** Whether this process was the active scanner when the error came: only then can it be a stalled scanner. */
      let leading = false;
      try {
        const leadership = await campaign({
          etcd: this.#o.etcd,
          prefix: `/wallet/${this.#o.env}/scanners/${chain}/`,
          candidate: this.#o.candidate,
          ttlSeconds: this.#o.ttlSeconds,
          log,
          signal,
        });
        this.#leadership = leadership;
        leading = true;
        void leadership.lost.then(() => (leading = false));
        await this.#scanWhileLeader(leadership);
      } catch (error) {
        if (signal.aborted) break;
        if (isWalletError(error, 'FENCED')) {
          // Another process leads now (this one was paused or cut off): the cluster's scanner is fine.
          log.warn('a newer scanner has written: stepping down');
          this.#metrics = { ...this.#metrics, stalled: false };
        } else if (!leading) {
          // A standby (or a leader whose lease is gone) failing is not a stalled scanner: the leader scans. A leader whose
          // step failed after its lease went (its node or etcd cut off mid-step) stopped scanning: said as the clean stop
          // says it, so operators see one line for it whichever way it went.
          // (#leadership is set once elected and cleared only after this block.)
          if (this.#leadership !== undefined) log.warn({ err: error }, 'leadership lost: stopped scanning');
          else log.warn({ err: error }, 'not the active scanner; campaigning again');
        } else {
          log.error({ err: error }, 'scanner failed; campaigning again');
          // A scanner that keeps failing is a stalled scanner too: say so as loudly as when it stops quietly.
          if (Date.now() - this.#lastAdvance > (this.#o.stallMs ?? 30_000)) {
            if (!this.#metrics.stalled) log.error({ checkpoint: this.#metrics.checkpoint }, 'SCANNER STALLED: it keeps failing');
            this.#metrics = { ...this.#metrics, stalled: true };
          }
        }
        await sleep(1000, undefined, { signal }).catch(() => {});
      } finally {
        await this.#leadership?.resign();
        this.#leadership = undefined;
      }
    }
  }

  async #scanWhileLeader(leadership: Leadership): Promise<void> {
    const { db, chain, source, log } = this.#o;
    const signal = this.#abort.signal;
    let lost = false;
    void leadership.lost.then(() => (lost = true));
    const startHeight = this.#o.startHeight ?? (await source.head()).number;
    const scanner = new ChainScanner({
      db,
      chain,
      source,
      watched: new WatchedAddresses(db, chain, this.#o.canonical, source.createAddressIndex?.()),
      fence: { chain, token: leadership.token, holder: this.#o.candidate },
      log,
      startHeight,
      ...(this.#o.hotWallets ? { hotWallets: this.#o.hotWallets } : {}),
    });
    const first = await scanner.checkpoint();
    const from = first ? first.number + 1 : startHeight;
    const head = (await source.head()).number;
    // The catch-up to do, said up front; progress follows every 5 s.
    log.info({ from, head, lag: Math.max(0, head - from + 1), token: leadership.token.toString() }, 'scanning as leader');
    // Wake up on a new head instead of waiting out the poll (when the node offers subscriptions). A head
    // announced while a step runs is remembered, so the next idle wait is skipped.
    const heads: { arrived: boolean; wake: (() => void) | undefined } = { arrived: false, wake: undefined };
    const unwatch = source.watchHeads?.(() => {
      heads.arrived = true;
      heads.wake?.();
    });
    let lastReport = Date.now();
    let scannedSinceReport = 0;
    while (!signal.aborted && !lost) {
      heads.arrived = false;
      // Windows of up to 64 blocks while catching up; one block at a time when following the head.
      const result = await scanner.scan(this.#o.windowBlocks ?? 64, this.#o.fetchConcurrency ?? 8);
      if (result.kind === 'scanned') {
        scannedSinceReport += result.blocks;
        this.#lastAdvance = Date.now();
        this.#metrics.checkpoint = result.block.number;
      }
      const now = Date.now();
      if (result.kind === 'idle' || now - lastReport >= 5000) {
        // The scan already asked the node for its head; ask again only if it did not.
        const head = result.kind !== 'reorg' && result.head !== undefined ? result.head : (await source.head()).number;
        const checkpoint = (await scanner.checkpoint())?.number ?? null;
        const stalled = checkpoint !== null && head > checkpoint && now - this.#lastAdvance > (this.#o.stallMs ?? 30_000);
        if (stalled && !this.#metrics.stalled)
          log.error({ head, checkpoint }, 'SCANNER STALLED: the node advances but the scanner does not');
        this.#metrics = { checkpoint, head, stalled };
        if (now - lastReport >= 5000) {
          const seconds = (now - lastReport) / 1000;
          const lag = checkpoint === null ? null : head - checkpoint;
          // Progress is news while catching up; a scanner that follows the head (a block or less behind) says so at
          // debug only, or an idle cluster's log would be mostly these lines.
          const catchingUp = lag === null || lag > 1;
          log[catchingUp ? 'info' : 'debug'](
            { checkpoint, head, lag, blocksPerSecond: Math.round(scannedSinceReport / seconds) },
            'scan progress',
          );
          lastReport = now;
          scannedSinceReport = 0;
        }
      }
      if (result.kind === 'idle' && !heads.arrived) {
        // One abort listener per wait, removed when the wait ends (else they pile up while the node is idle).
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', wake);
            resolve();
          };
          const timer = setTimeout(wake, this.#o.pollMs ?? 500);
          heads.wake = wake;
          signal.addEventListener('abort', wake, { once: true });
        });
        heads.wake = undefined;
      }
    }
    unwatch?.();
    if (lost) log.warn('leadership lost: stopped scanning');
    else log.info('scanner stopped');
  }
}
