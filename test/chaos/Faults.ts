import { ChainGate } from './ChainGate.js';
import { createDb, type Knex } from '@wallet/db';
import type { JsonRpcProvider } from 'ethers';
import { Redis } from 'ioredis';
import type { Cluster } from '../harness/Cluster.js';
import type { PrivateStack } from './PrivateStack.js';
import type { SecondHost } from './SecondHost.js';
import type { Rng } from './rng.js';
import type { UtxoWorkload } from './utxo.js';
import { type Fault, type ServiceTarget, describeFault } from './schedule.js';

/** What the injector needs beyond the stack: the second host (the `host-cut` fault), how each transrv node starts. */
export type InjectorHosts = {
  readonly host: SecondHost;
  /** Starts transrv `nodeId` again as it was first started (t2: in the second host's namespace, through its forwarders). */
  readonly startTransrv: (nodeId: string) => Promise<unknown>;
};

/** What happened when a fault was injected: done, or skipped with the reason (its target was already down). */
export type Injected = { readonly fault: string; readonly startedAt: number; readonly result: 'done' | 'skipped'; readonly note?: string };

/**
 * Injects a campaign's faults into a running cluster and its private stack. A fault with a duration (a kill's
 * downtime, a pause, a restart, a slow or absent node) ends on its own timer, so faults overlap as the schedule says.
 * A process is restarted after a kill exactly as ops would: the same entry point and environment.
 */
export class FaultInjector {
  readonly log: Injected[] = [];
  /** Targets down or paused now (a second kill of a dead process is skipped, not stacked). */
  readonly #busy = new Set<string>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #admin: Knex;
  #rpcFaults = 0;
  #utxoRpcFaults = 0;

  constructor(
    readonly cluster: Cluster,
    readonly stack: PrivateStack,
    readonly provider: JsonRpcProvider,
    readonly mysqlUsers: readonly string[],
    adminUrl: string,
    readonly onEvent: (line: string) => void,
    readonly rng: Rng,
    readonly hosts: InjectorHosts,
    /** The Litecoin side (its deposits are what a double-spend replaces); without it UTXO faults are skipped. */
    readonly utxo?: UtxoWorkload,
    /** EVM reorgs take it exclusively (see ChainGate). */
    readonly evmGate: ChainGate = new ChainGate(),
  ) {
    this.#admin = createDb(adminUrl, { poolMin: 0, poolMax: 1 });
  }

  /** Starts `fault` (its end runs in the background; {@link settle} waits for every end). */
  async inject(fault: Fault, startedAt: number): Promise<void> {
    const record = (result: Injected['result'], note?: string): void => {
      this.log.push({ fault: describeFault(fault), startedAt, result, ...(note ? { note } : {}) });
      this.onEvent(`${describeFault(fault)}${result === 'skipped' ? ` (skipped: ${note})` : ''}`);
    };
    switch (fault.kind) {
      case 'kill': {
        if (this.#busy.has(fault.target)) return record('skipped', `${fault.target} is down or paused`);
        this.#busy.add(fault.target);
        await this.cluster.process(fault.target).stop('SIGKILL');
        record('done');
        this.#later(fault.downMs, async () => {
          await this.#restart(fault.target);
          this.#busy.delete(fault.target);
        });
        return;
      }
      case 'pause': {
        if (this.#busy.has(fault.target)) return record('skipped', `${fault.target} is down or paused`);
        this.#busy.add(fault.target);
        const p = this.cluster.process(fault.target);
        p.child.kill('SIGSTOP');
        record('done');
        this.#later(fault.pauseMs, async () => {
          p.child.kill('SIGCONT');
          this.#busy.delete(fault.target);
        });
        return;
      }
      case 'redis-flushall': {
        if (!this.stack.redis.running) return record('skipped', 'redis is down');
        const redis = new Redis(this.stack.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
        try {
          await redis.connect();
          await redis.flushall();
          record('done');
        } catch (error) {
          record('skipped', String(error));
        } finally {
          redis.disconnect();
        }
        return;
      }
      case 'redis-restart':
      case 'etcd-restart': {
        const server = fault.kind === 'redis-restart' ? this.stack.redis : this.stack.etcd;
        if (this.#busy.has(server.name)) return record('skipped', `${server.name} is already down`);
        this.#busy.add(server.name);
        await server.kill();
        record('done');
        this.#later(fault.downMs, async () => {
          await server.start();
          this.#busy.delete(server.name);
        });
        return;
      }
      case 'mysql-kill': {
        const [rows] = (await this.#admin.raw(
          `SELECT id FROM information_schema.PROCESSLIST WHERE user IN (${this.mysqlUsers.map(() => '?').join(', ')})`,
          [...this.mysqlUsers],
        )) as [{ id: number }[]];
        const victims: { id: number }[] = [];
        while (victims.length < fault.sessions && rows.length > 0) victims.push(rows.splice(this.rng.int(0, rows.length - 1), 1)[0]!);
        for (const v of victims) await this.#admin.raw(`KILL ${Number(v.id)}`).catch(() => {});
        record('done', `${victims.length} of ${victims.length + rows.length} sessions`);
        return;
      }
      case 'evm-reorg': {
        // Alone on the node (ChainGate): the harness's sends and mining wait, and the services' requests are held at
        // the node's proxy, with a moment for those already passed on to be answered.
        const head = await this.evmGate.exclusive(async () => {
          const proxy = this.stack.anvilProxy;
          proxy.hold();
          try {
            await new Promise((r) => setTimeout(r, 250));
            const at = await this.provider.getBlockNumber();
            // Replaces the last `depth` blocks with empty ones: their transactions are gone (deposits and payouts alike).
            await this.provider.send('anvil_reorg', [Math.min(fault.depth, Math.max(0, at - 1)), []]);
            return at;
          } finally {
            proxy.release();
          }
        });
        record('done', `from head ${head}`);
        return;
      }
      case 'evm-rpc-slow':
      case 'evm-rpc-down': {
        if (this.#rpcFaults > 0) return record('skipped', 'the node is already slow or down');
        this.#rpcFaults++;
        if (fault.kind === 'evm-rpc-slow') this.stack.anvilProxy.delayMs = fault.delayMs;
        else await this.stack.anvilProxy.close();
        record('done');
        this.#later(fault.forMs, async () => {
          this.stack.anvilProxy.delayMs = 0;
          await this.stack.anvilProxy.open();
          this.#rpcFaults--;
        });
        return;
      }
      case 'host-cut': {
        const { host } = this.hosts;
        if (host.isCut) return record('skipped', 'the host is already cut off');
        host.cut();
        record('done');
        this.#later(fault.forMs, async () => {
          host.heal();
          this.onEvent('host healed');
        });
        return;
      }
      case 'utxo-reorg': {
        if (!this.utxo) return record('skipped', 'no UTXO chain');
        const uw = this.utxo;
        let replaced = '';
        const head = await uw.chain.reorg(fault.depth, async (removed) => {
          if (!fault.doubleSpend) return;
          const victim = await uw.doubleSpendOne(this.rng, removed).catch((error: unknown) => String(error));
          if (typeof victim === 'string') replaced = `, the double-spend failed: ${victim}`;
          else replaced = victim ? `, deposit ${victim.txid} replaced by ${victim.replacedBy}` : ', no replaceable deposit came back';
        });
        record('done', `from height ${head}${replaced}`);
        return;
      }
      case 'utxo-double-spend': {
        if (!this.utxo) return record('skipped', 'no UTXO chain');
        const victim = await this.utxo.doubleSpendOne(this.rng);
        if (!victim) return record('skipped', 'no replaceable deposit in the mempool');
        record('done', `deposit ${victim.txid} replaced by ${victim.replacedBy}`);
        return;
      }
      case 'utxo-rpc-slow':
      case 'utxo-rpc-down': {
        if (this.#utxoRpcFaults > 0) return record('skipped', 'the node is already slow or down');
        this.#utxoRpcFaults++;
        const proxy = this.stack.litecoindProxy;
        if (fault.kind === 'utxo-rpc-slow') proxy.delayMs = fault.delayMs;
        else await proxy.close();
        record('done');
        this.#later(fault.forMs, async () => {
          proxy.delayMs = 0;
          await proxy.open();
          this.#utxoRpcFaults--;
        });
        return;
      }
    }
  }

  /** Waits until every fault has ended (processes restarted and resumed, servers back, the node answering). */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async close(): Promise<void> {
    await this.#admin.destroy();
  }

  #later(ms: number, end: () => Promise<void>): void {
    const p = new Promise((r) => setTimeout(r, ms))
      .then(end)
      .catch((error: unknown) => this.onEvent(`a fault's end failed: ${String(error)}`))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /**
   * Starts the killed process again as a supervisor would (Kubernetes restarts a crashed pod with a back-off): a start
   * that fails (transrv t2 restarted while its host is cut off cannot reach MySQL and exits) is tried again, 1 s
   * doubling to 8 s apart, for up to 3 minutes. Without this one failed start left the process down for the rest of
   * the run (seed 9: t2 killed during a host cut).
   */
  async #restart(target: ServiceTarget): Promise<void> {
    const deadline = Date.now() + 180_000;
    for (let attempt = 1, waitMs = 1000; ; attempt++, waitMs = Math.min(8000, waitMs * 2)) {
      try {
        if (target.startsWith('transrv-')) await this.hosts.startTransrv(target.slice('transrv-'.length));
        else if (target === 'signsrv') await this.cluster.startSignsrv();
        else if (target.startsWith('gatesrv')) await this.cluster.startGatesrv(target);
        else await this.cluster.spawnRaw('accountsrv', 'accountsrv', {}).ready(60_000);
        this.onEvent(attempt === 1 ? `${target} restarted` : `${target} restarted (start ${attempt})`);
        return;
      } catch (error) {
        // A start that did not get to `ready` in time may still be running (signsrv waits for a chain node that is
        // down): it is stopped before the next try, or two processes would run under one name.
        const left = this.cluster.processes.get(target);
        if (left?.running) await left.stop('SIGKILL');
        if (Date.now() + waitMs > deadline) throw error;
        this.onEvent(`${target} failed to start (${String(error).slice(0, 120)}); starting it again in ${waitMs} ms`);
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }
}
