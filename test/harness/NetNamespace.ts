import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';

/**
 * A network namespace joined to this one by a veth pair: a second "host" on this machine, for tests of network
 * partitions (partition.test.ts). The host side of the pair is `10.213.<n>.1/30` here, the namespace side
 * `10.213.<n>.2/30` there (with its own loopback up); nothing is routed beyond the pair, so a process in the namespace
 * reaches only what listens on {@link hostAddress}. `cut()` takes the host side down: every connection over the pair
 * hangs at once (no reset), as in a real partition; `heal()` brings it back.
 *
 * Names carry a random suffix (`wns-<hex>`, `wh-<hex>`) and the subnet is one no interface here uses, so parallel runs
 * never meet. `remove()` deletes the namespace and the pair (deleting either end of a veth deletes both).
 */
export class NetNamespace {
  readonly name: string;
  readonly hostInterface: string;
  readonly nsInterface: string;
  /** This side's address (in the caller's namespace): what the namespace's processes dial. */
  readonly hostAddress: string;
  /** The namespace side's address: what a process in the namespace listens on for peers here. */
  readonly nsAddress: string;
  #removed = false;

  private constructor(id: string, subnet: number) {
    this.name = `wns-${id}`;
    this.hostInterface = `wh-${id}`;
    this.nsInterface = `wp-${id}`;
    this.hostAddress = `10.213.${subnet}.1`;
    this.nsAddress = `10.213.${subnet}.2`;
  }

  /**
   * Creates the namespace and its veth pair, up.
   * @throws Error naming what is missing when `ip netns` is not permitted here (root or CAP_NET_ADMIN, and iproute2)
   */
  static create(): NetNamespace {
    const id = randomBytes(3).toString('hex');
    const used = ip('-4', '-o', 'addr', 'show');
    const free = Array.from({ length: 250 }, (_, i) => i + 1).filter((n) => !used.includes(`10.213.${n}.`));
    if (free.length === 0) throw new Error('no free 10.213.<n>.0/30 subnet for a test namespace');
    const net = new NetNamespace(id, free[randomInt(free.length)]!);
    try {
      ip('netns', 'add', net.name);
    } catch (error) {
      throw new Error(
        `cannot create a network namespace (\`ip netns add\`): partition tests need root or CAP_NET_ADMIN and iproute2: ${String(error)}`,
        { cause: error },
      );
    }
    try {
      ip('link', 'add', net.hostInterface, 'type', 'veth', 'peer', 'name', net.nsInterface);
      ip('link', 'set', net.nsInterface, 'netns', net.name);
      ip('addr', 'add', `${net.hostAddress}/30`, 'dev', net.hostInterface);
      ip('link', 'set', net.hostInterface, 'up');
      net.exec('ip', 'addr', 'add', `${net.nsAddress}/30`, 'dev', net.nsInterface);
      net.exec('ip', 'link', 'set', net.nsInterface, 'up');
      net.exec('ip', 'link', 'set', 'lo', 'up');
    } catch (error) {
      net.remove();
      throw error;
    }
    return net;
  }

  /** Runs a command inside the namespace and returns its output. */
  exec(command: string, ...args: string[]): string {
    return ip('netns', 'exec', this.name, command, ...args);
  }

  /** Cuts the namespace off: the host side of the pair goes down, and every packet over it is lost. */
  cut(): void {
    ip('link', 'set', this.hostInterface, 'down');
  }

  /** Brings the link back: connections that outlived the cut carry on. */
  heal(): void {
    ip('link', 'set', this.hostInterface, 'up');
  }

  /** Deletes the pair and the namespace (idempotent; never throws, so it can run in any afterAll). */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    for (const args of [
      ['link', 'del', this.hostInterface],
      ['netns', 'del', this.name],
    ]) {
      try {
        ip(...args);
      } catch {
        // Already gone (or never made).
      }
    }
  }
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
