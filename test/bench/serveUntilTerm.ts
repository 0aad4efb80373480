import type { Db } from '@wallet/db';
import type { FastifyInstance } from 'fastify';

/** Listens on a free loopback port, prints `{"url": ...}` as one line for the parent, and closes on SIGTERM. */
export async function serveUntilTerm(app: FastifyInstance, db: Db): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` })}\n`);
  process.on(
    'SIGTERM',
    () =>
      void app
        .close()
        .then(() => db.destroy())
        .then(() => process.exit(0)),
  );
}
