import { type Server, type Socket, createConnection, createServer } from 'node:net';

/**
 * A TCP proxy in the test process in front of a shared node (the stack's litecoind), so that one cluster can lose its
 * node, or get a slow one, without the node being stopped for everyone else. `close()` refuses new connections and
 * cuts the open ones; `open()` listens again on the same port. `delayMs` holds every chunk sent to the node that long.
 */
export class TcpProxy {
  delayMs = 0;
  #server: Server | undefined;
  #port = 0;
  readonly #sockets = new Set<Socket>();

  private constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await proxy.open();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** `url` with its host and port replaced by this proxy's (credentials and path kept). */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.#port);
    return u.toString().replace(/\/$/, '');
  }

  async open(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => this.#relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
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
    client.on('data', (chunk) => {
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
    upstream.on('data', (chunk) => client.write(chunk));
  }
}
