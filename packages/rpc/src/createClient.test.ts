import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, status } from '@grpc/grpc-js';
import { isWalletError } from '@wallet/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { type PromiseClient, createClient } from './createClient.js';

// A real gRPC server in this process and the wallet client, on loopback: what a caller is told when the transport
// fails. A request that may have reached the server must never come back as INTERNAL (a 500 for a request that was
// applied): it is TIMEOUT (retry with the same idempotency key); one that surely was not sent is UNAVAILABLE.

const bytes = {
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
};
const Echo = { echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, ...bytes } } as const;
type EchoClient = PromiseClient<typeof Echo>;

/** Resolves the next time a call reaches the handler. */
type Gate = { arrived: Promise<void>; open: () => void };

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/**
 * A server whose handler records each request as applied and answers once the test opens its gate: the request
 * is applied even when the answer never reaches the caller.
 */
async function slowServer() {
  const server = new Server();
  const applied: string[] = [];
  let gate: Gate | undefined;
  let arrived: () => void = () => {};
  const arrival = () => new Promise<void>((r) => (arrived = r));
  let nextArrival = arrival();
  server.addService(Echo, {
    echo: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      applied.push(call.request.toString());
      let open: () => void = () => {};
      const answered = new Promise<void>((r) => (open = r));
      gate = { arrived: nextArrival, open };
      arrived();
      nextArrival = arrival();
      void answered.then(() => callback(null, call.request));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  cleanups.push(() => server.forceShutdown());
  return {
    server,
    address: `127.0.0.1:${port}`,
    applied,
    /** Waits for the next call to reach the handler. */
    nextCall: () => nextArrival,
    answer: () => gate?.open(),
  };
}

function client(address: string, timeoutMs = 5000): EchoClient {
  const c = createClient(Echo, address, { target: 'echo', defaultTimeoutMs: timeoutMs });
  cleanups.push(() => c.close());
  return c;
}

describe('createClient transport failures', () => {
  it('a call in flight when its client is closed is still answered (the channel closes after it settles)', async () => {
    const s = await slowServer();
    const c = client(s.address);
    const arrived = s.nextCall();
    const answer = c.echo(Buffer.from('a'));
    await arrived;
    c.close();
    s.answer();
    expect((await answer).toString()).toBe('a');
  });

  it('closed client, then the peer drops the connection mid-call (request applied): TIMEOUT, never INTERNAL', async () => {
    const s = await slowServer();
    const c = client(s.address);
    const arrived = s.nextCall();
    const answer = c.echo(Buffer.from('b')).catch((e: unknown) => e);
    await arrived;
    // The routing layer saw the node's registration expire and closed its client, with this call in flight; then
    // the node's connection went away. The server had the request: it is applied.
    c.close();
    s.server.forceShutdown();
    const error = await answer;
    expect(s.applied).toEqual(['b']);
    expect(isWalletError(error, 'TIMEOUT')).toBe(true);
  });

  it('a connection dropped after the request was sent: TIMEOUT', async () => {
    const s = await slowServer();
    const c = client(s.address);
    const arrived = s.nextCall();
    const answer = c.echo(Buffer.from('c')).catch((e: unknown) => e);
    await arrived;
    s.server.forceShutdown();
    const error = await answer;
    expect(s.applied).toEqual(['c']);
    expect(isWalletError(error, 'TIMEOUT')).toBe(true);
  });

  it('a deadline passed while the server works: TIMEOUT', async () => {
    const s = await slowServer();
    const error = await client(s.address, 300)
      .echo(Buffer.from('d'))
      .catch((e: unknown) => e);
    expect(s.applied).toEqual(['d']);
    expect(isWalletError(error, 'TIMEOUT')).toBe(true);
  });

  it('nothing listening (request surely not sent): UNAVAILABLE', async () => {
    const s = await slowServer();
    const address = s.address;
    s.server.forceShutdown();
    const error = await client(address)
      .echo(Buffer.from('e'))
      .catch((e: unknown) => e);
    expect(isWalletError(error, 'UNAVAILABLE')).toBe(true);
  });

  it('a call on a client closed before it: UNAVAILABLE (not sent)', async () => {
    const s = await slowServer();
    const c = client(s.address);
    c.close();
    const error = await c.echo(Buffer.from('f')).catch((e: unknown) => e);
    expect(isWalletError(error, 'UNAVAILABLE')).toBe(true);
    expect(s.applied).toEqual([]);
  });

  it('a status without a wallet code from a live server (UNKNOWN, INTERNAL, CANCELLED): TIMEOUT', async () => {
    for (const code of [status.UNKNOWN, status.INTERNAL, status.CANCELLED]) {
      const server = new Server();
      server.addService(Echo, {
        echo: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => callback({ code, details: 'transport trouble' }),
      });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
      );
      cleanups.push(() => server.forceShutdown());
      const error = await client(`127.0.0.1:${port}`)
        .echo(Buffer.from('g'))
        .catch((e: unknown) => e);
      expect(isWalletError(error, 'TIMEOUT'), status[code]).toBe(true);
    }
  });
});
