import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on now (the OS's choice, bound and released): for a server that cannot
 * be told to bind port 0, or for a client that must meet a refused connection.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
