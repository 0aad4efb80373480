import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 now (the OS's choice), for a process that cannot be told to bind port 0 and report. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
