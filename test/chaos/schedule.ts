import type { Rng } from './rng.js';

/** The processes a fault can hit, by the harness's labels. */
export const serviceTargets = ['transrv-t1', 'transrv-t2', 'signsrv', 'gatesrv', 'gatesrv-2', 'accountsrv'] as const;
export type ServiceTarget = (typeof serviceTargets)[number];

/** One fault of a campaign, fixed by the seed: what, on what, when (ms after the workload starts), for how long. */
export type Fault =
  | { readonly at: number; readonly kind: 'kill'; readonly target: ServiceTarget; readonly downMs: number }
  | { readonly at: number; readonly kind: 'pause'; readonly target: ServiceTarget; readonly pauseMs: number }
  | { readonly at: number; readonly kind: 'redis-flushall' }
  | { readonly at: number; readonly kind: 'redis-restart'; readonly downMs: number }
  | { readonly at: number; readonly kind: 'etcd-restart'; readonly downMs: number }
  | { readonly at: number; readonly kind: 'mysql-kill'; readonly sessions: number }
  | { readonly at: number; readonly kind: 'evm-reorg'; readonly depth: number }
  | { readonly at: number; readonly kind: 'evm-rpc-slow'; readonly delayMs: number; readonly forMs: number }
  | { readonly at: number; readonly kind: 'evm-rpc-down'; readonly forMs: number }
  | { readonly at: number; readonly kind: 'host-cut'; readonly forMs: number }
  | { readonly at: number; readonly kind: 'utxo-reorg'; readonly depth: number; readonly doubleSpend: boolean }
  | { readonly at: number; readonly kind: 'utxo-double-spend' }
  | { readonly at: number; readonly kind: 'utxo-rpc-slow'; readonly delayMs: number; readonly forMs: number }
  | { readonly at: number; readonly kind: 'utxo-rpc-down'; readonly forMs: number };

export type FaultKind = Fault['kind'];

export type ScheduleOptions = {
  /** How long faults are injected (the workload runs this long, then the cluster is left to settle). */
  readonly durationMs: number;
  /** Mean time between two faults' starts. @default 6000 */
  readonly meanGapMs?: number;
  /** The discovery lease TTL: pauses outlast it, so leaders lose their leases. */
  readonly ttlSeconds: number;
  /** The EVM confirmations: some reorgs go deeper. */
  readonly confirmations: number;
  /** The UTXO chain's (LTC) confirmations: some of its reorgs go deeper too. */
  readonly utxoConfirmations: number;
};

const weights: Readonly<Record<FaultKind, number>> = {
  kill: 5,
  pause: 3,
  'redis-flushall': 1,
  'redis-restart': 1,
  'etcd-restart': 1,
  'mysql-kill': 2,
  'evm-reorg': 3,
  'evm-rpc-slow': 1,
  'evm-rpc-down': 1,
  'host-cut': 1.5,
  'utxo-reorg': 3,
  'utxo-double-spend': 2,
  'utxo-rpc-slow': 1,
  'utxo-rpc-down': 1,
};

/**
 * The faults of a campaign, from its generator alone: start times with exponential gaps (so faults sometimes overlap:
 * a kill while another process is paused, a reorg while the node's RPC is down), each with its own parameters. The same
 * seed and options give the same list.
 */
export function faultSchedule(rng: Rng, options: ScheduleOptions): Fault[] {
  const meanGap = options.meanGapMs ?? 6000;
  const out: Fault[] = [];
  let at = Math.round(meanGap / 2);
  while (at < options.durationMs) {
    const kind = rng.weighted(weights);
    out.push(faultOf(rng, kind, at, options));
    at += Math.max(500, Math.round(-Math.log(1 - rng.next()) * meanGap));
  }
  return out;
}

function faultOf(rng: Rng, kind: FaultKind, at: number, o: ScheduleOptions): Fault {
  switch (kind) {
    case 'kill':
      return { at, kind, target: rng.pick(serviceTargets), downMs: rng.int(0, 4000) };
    case 'pause':
      // Past the lease TTL most of the time: the leader's lease expires while it is frozen, and it wakes up late.
      return { at, kind, target: rng.pick(serviceTargets), pauseMs: rng.int(1000, o.ttlSeconds * 1000 + 4000) };
    case 'redis-flushall':
      return { at, kind };
    case 'redis-restart':
      return { at, kind, downMs: rng.int(200, 3000) };
    case 'etcd-restart':
      return { at, kind, downMs: rng.int(200, 3000) };
    case 'mysql-kill':
      return { at, kind, sessions: rng.int(1, 4) };
    case 'evm-reorg':
      // Mostly within the confirmations (a pending deposit orphaned), sometimes past them (a credited one reversed).
      return { at, kind, depth: rng.next() < 0.8 ? rng.int(1, o.confirmations - 1) : rng.int(o.confirmations, o.confirmations + 3) };
    case 'evm-rpc-slow':
      return { at, kind, delayMs: rng.int(200, 2000), forMs: rng.int(2000, 8000) };
    case 'evm-rpc-down':
      return { at, kind, forMs: rng.int(1000, 6000) };
    case 'host-cut':
      // transrv t2's host off the network: past the lease TTL most of the time (its accounts answer SHARD_UNAVAILABLE,
      // its scanner lease moves to t1, its late writes are fenced), sometimes shorter (requests time out, then resume).
      return { at, kind, forMs: rng.int(1000, o.ttlSeconds * 1000 + 6000) };
    case 'utxo-reorg': {
      // As the EVM reorg: mostly within the confirmations, sometimes past them; one in three also double-spends a
      // replaceable deposit the reorg put back in the mempool, so that deposit never comes back.
      const c = o.utxoConfirmations;
      const depth = rng.next() < 0.8 ? rng.int(1, Math.max(1, c - 1)) : rng.int(c, c + 3);
      return { at, kind, depth, doubleSpend: rng.next() < 1 / 3 };
    }
    case 'utxo-double-spend':
      return { at, kind };
    case 'utxo-rpc-slow':
      return { at, kind, delayMs: rng.int(200, 2000), forMs: rng.int(2000, 8000) };
    case 'utxo-rpc-down':
      return { at, kind, forMs: rng.int(1000, 6000) };
  }
}

/** One line per fault, for the report and for reproducing a run. */
export function describeFault(f: Fault): string {
  const { at, kind, ...rest } = f;
  const params = Object.entries(rest)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return `+${(at / 1000).toFixed(1)}s ${kind}${params ? ` ${params}` : ''}`;
}
