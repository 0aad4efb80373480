import { type Server, type Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP proxy in the test process in front of a shared node (the stack's litecoind), so that one cluster can lose its
 * node, or get a slow one, without the node being stopped for everyone else. `close()` refuses new connections and
 * cuts the open ones; `open()` listens again on the same port. `delayMs` holds every chunk sent to the node that long.
 * `hold()` makes the link silent without closing anything (a partition: what is sent waits, in both directions, and new
 * connections are accepted but go nowhere); `release()` delivers what waited, in order, and relays again.
 */
export class TcpProxy {
  delayMs = 0;
  /** Chunks that arrived while held, each with where it goes; undefined while relaying. */
  #held: { to: Socket; chunk: Buffer }[] | undefined;
  #server: Server | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly targetHost: string,
    readonly targetPort: number,
    readonly listenHost: string,
  ) {}

  /**
   * @param options.listenHost the address to listen on (partition.test.ts: a veth's host side, for a process in a
   * network namespace) @default '127.0.0.1'
   */
  static async start(targetHost: string, targetPort: number, options: { readonly listenHost?: string } = {}): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort, options.listenHost ?? '127.0.0.1');
    await proxy.open();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** `url` with its host and port replaced by this proxy's (credentials and path kept). */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = this.listenHost;
    u.port = String(this.#port);
    return u.toString().replace(/\/$/, '');
  }

  async open(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => this.#relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.listenHost, () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Stops relaying: every chunk from now on waits (see the class comment). */
  hold(): void {
    this.#held ??= [];
  }

  /** Delivers what waited while held, in arrival order, and relays again. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const { to, chunk } of held) if (!to.destroyed) to.write(chunk);
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #relay(client: Socket): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (this.#held) {
        this.#held.push({ to: upstream, chunk });
        return;
      }
      if (this.delayMs <= 0) {
        upstream.write(chunk);
        return;
      }
      client.pause();
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
        client.resume();
      }, this.delayMs);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.#held) this.#held.push({ to: client, chunk });
      else client.write(chunk);
    });
  }
}
