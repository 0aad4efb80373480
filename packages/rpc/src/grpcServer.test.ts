import { Client, Metadata, credentials } from '@grpc/grpc-js';
import { WalletError } from '@wallet/errors';
import { createLogger, runWithRequestId } from '@wallet/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from './createClient.js';
import { GrpcServer } from './grpcServer.js';

// Request ids across a real gRPC hop on loopback: a call made while a request is handled carries its id, and every
// line the server writes for it (its own and the handler's, through any logger) carries the same id.

const bytes = {
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
};
const Echo = { echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, ...bytes } } as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('rpc-test', {}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const seen: string[] = [];
  const server = new GrpcServer(log).addService(
    'test.Echo',
    Echo,
    {
      echo: async (request, ctx) => {
        seen.push(ctx.requestId);
        await new Promise((resolve) => setTimeout(resolve, 2));
        // The service's own logger, not the call's: the line still carries the request id.
        log.info({ n: request.length }, 'handled');
        if (request.toString() === 'refuse') throw new WalletError('NOT_FOUND', 'nothing');
        return request;
      },
      // Plaintext: no caller identity, so the authorization table (closed here) is not consulted.
    },
    { echo: [] },
  );
  const address = await server.listen('127.0.0.1:0', undefined);
  const client = createClient(Echo, address);
  cleanups.push(
    () => client.close(),
    () => server.close(100),
  );
  return { lines, seen, client, address };
}

describe('request ids over gRPC', () => {
  it("a call made inside runWithRequestId carries that id to the server's context and every line it writes for the call", async () => {
    const { lines, seen, client } = await start();
    await runWithRequestId('req-from-gateway', () => client.echo(Buffer.from('a')));
    await runWithRequestId('req-2', () => client.echo(Buffer.from('refuse')).catch(() => undefined));
    expect(seen).toEqual(['req-from-gateway', 'req-2']);
    const forFirst = lines.filter((l) => l['requestId'] === 'req-from-gateway').map((l) => l['msg']);
    expect(forFirst).toEqual(['handled', 'rpc']);
    expect(lines.find((l) => l['msg'] === 'rpc' && l['requestId'] === 'req-from-gateway')).toMatchObject({
      method: '/test.Echo/Echo',
      code: 'OK',
    });
    expect(lines.find((l) => l['msg'] === 'rpc' && l['requestId'] === 'req-2')).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('an explicit requestId option wins; a call outside any request gets a fresh id from the server', async () => {
    const { seen, client } = await start();
    await runWithRequestId('ambient', () => client.echo(Buffer.from('a'), { requestId: 'explicit-1' }));
    await client.echo(Buffer.from('b'));
    expect(seen[0]).toBe('explicit-1');
    expect(seen[1]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a malformed id from a peer is replaced, never logged', async () => {
    const { lines, seen, address } = await start();
    const raw = new Client(address, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const bad = 'bad id with spaces';
    const metadata = new Metadata();
    metadata.set('x-request-id', bad);
    await new Promise((resolve, reject) =>
      raw.makeUnaryRequest(Echo.echo.path, bytes.requestSerialize, bytes.responseDeserialize, Buffer.from('x'), metadata, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    expect(seen[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.stringify(lines)).not.toContain(bad);
  });
});

describe('call observers (metrics)', () => {
  it('tell the server and the client of every call with its method path, status code name and duration', async () => {
    const log = createLogger('rpc-test', {}, { write: () => undefined });
    type Seen = { path: string; code: string; seconds: number };
    const served: Seen[] = [];
    const made: Seen[] = [];
    const server = new GrpcServer(log, { observe: (c) => served.push(c) }).addService(
      'test.Echo',
      Echo,
      {
        echo: async (request) => {
          if (request.toString() === 'refuse') throw new WalletError('NOT_FOUND', 'nothing');
          return request;
        },
      },
      { echo: [] },
    );
    const address = await server.listen('127.0.0.1:0', undefined);
    const client = createClient(Echo, address, { observe: (c) => made.push(c) });
    // Nothing listens there: the call fails before it is sent.
    const dead = createClient(Echo, '127.0.0.1:1', { observe: (c) => made.push(c), defaultTimeoutMs: 500 });
    cleanups.push(
      () => client.close(),
      () => dead.close(),
      () => server.close(100),
    );
    await client.echo(Buffer.from('a'));
    await expect(client.echo(Buffer.from('refuse'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(dead.echo(Buffer.from('a'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(served.map((c) => [c.path, c.code])).toEqual([
      ['/test.Echo/Echo', 'OK'],
      ['/test.Echo/Echo', 'NOT_FOUND'],
    ]);
    expect(made.map((c) => [c.path, c.code])).toEqual([
      ['/test.Echo/Echo', 'OK'],
      ['/test.Echo/Echo', 'NOT_FOUND'],
      ['/test.Echo/Echo', 'UNAVAILABLE'],
    ]);
    for (const c of [...served, ...made]) expect(c.seconds).toBeGreaterThanOrEqual(0);
    expect(made[0]!.seconds).toBeGreaterThanOrEqual(served[0]!.seconds);
  });
});
