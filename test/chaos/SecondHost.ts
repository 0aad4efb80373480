import { NetNamespace } from '../harness/NetNamespace.js';
import { TcpProxy } from '../harness/TcpProxy.js';

/**
 * A second "host" for the campaign's transrv node t2: a network namespace joined to this one by a veth pair
 * (test/harness/NetNamespace.ts), with forwarders on the pair's host side to everything t2 dials (MySQL, Redis, etcd,
 * the chains' nodes). The `host-cut` fault takes the pair down: every connection t2 has, and every one made to it
 * (gatesrv's calls, t1's credit legs), hangs at once, as in a real partition; `heal()` brings the link back.
 *
 * Where namespaces cannot be made (no root or CAP_NET_ADMIN), {@link SecondHost.create} throws with what is missing:
 * the campaign fails rather than run without the fault.
 */
export class SecondHost {
  readonly #proxies: TcpProxy[] = [];
  #cut = false;

  private constructor(readonly net: NetNamespace) {}

  static create(): SecondHost {
    return new SecondHost(NetNamespace.create());
  }

  /** What t2 (in the namespace) listens on: reachable from here over the pair. */
  get listenAddr(): string {
    return `${this.net.nsAddress}:0`;
  }

  /** What the nodes here listen on so that t2 can dial them too (t1's CreditTransfer). */
  get hostListenAddr(): string {
    return `${this.net.hostAddress}:0`;
  }

  get name(): string {
    return this.net.name;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /** `url` as t2 dials it: through a forwarder on the pair's host side (kept for the host's life). */
  async forward(url: string): Promise<string> {
    const u = new URL(url);
    const proxy = await TcpProxy.start(u.hostname, Number(u.port), { listenHost: this.net.hostAddress });
    this.#proxies.push(proxy);
    return proxy.urlFor(url);
  }

  /** Each URL of a JSON map of URLs (WALLET_CHAIN_RPC's shape) forwarded. */
  async forwardAll(urls: Readonly<Record<string, string>>): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [key, url] of Object.entries(urls)) out[key] = await this.forward(url);
    return out;
  }

  cut(): void {
    this.net.cut();
    this.#cut = true;
  }

  heal(): void {
    this.net.heal();
    this.#cut = false;
  }

  /** Heals the link (a node cut off would wait out its shutdown grace), closes the forwarders, removes the namespace. */
  async close(): Promise<void> {
    try {
      if (this.#cut) this.heal();
    } catch {
      // the namespace may be gone
    }
    for (const p of this.#proxies) await p.close().catch(() => {});
    this.net.remove();
  }
}
