import { type Socket, connect, createServer } from 'node:net';
import { type Discovery, type Instance, ServiceWatch } from '@wallet/discovery';
import { createLogger } from '@wallet/logger';
import { AccountServiceService } from '@wallet/proto';
import { GrpcServer, checkHealth } from '@wallet/rpc';
import { afterEach, describe, expect, it } from 'vitest';
import { AnyInstanceClient } from './AnyInstanceClient.js';
import { ShardClients } from './ShardClients.js';

// Health checks of the routing clients ride the channel each client keeps to its instance: a TCP proxy in front of a
// real gRPC server counts the connections made to it.

const log = createLogger('routing-test', { level: 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Counted = { readonly address: string; opened(): number; open(): number };

/** A gRPC server (its health service) behind a proxy counting the TCP connections made to it and those still open. */
async function countedServer(): Promise<Counted> {
  const server = new GrpcServer(log);
  const target = await server.listen('127.0.0.1:0', undefined);
  const port = Number(target.slice(target.lastIndexOf(':') + 1));
  let opened = 0;
  const sockets = new Set<Socket>();
  const proxy = createServer((socket) => {
    opened++;
    sockets.add(socket);
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      sockets.delete(socket);
      socket.destroy();
      upstream.destroy();
    };
    socket.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = proxy.address() as { port: number };
  cleanups.push(
    () => server.close(100),
    () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  );
  return { address: `127.0.0.1:${proxyPort}`, opened: () => opened, open: () => sockets.size };
}

/** A watch fed by hand, behind a Discovery that hands it out (etcd is not what these tests are about). */
function fakeDiscovery(service: string): {
  discovery: Discovery;
  put: (i: Instance) => void;
  remove: (i: Instance) => void;
} {
  const prefix = `/wallet/test/services/${service}/`;
  const watch = new ServiceWatch(prefix, log);
  return {
    discovery: { watch: async () => watch } as unknown as Discovery,
    put: (i) => watch.apply('put', prefix + i.instanceId, JSON.stringify(i)),
    remove: (i) => watch.apply('delete', prefix + i.instanceId, ''),
  };
}

const instance = (service: 'transrv' | 'accountsrv', address: string, nodeId?: string): Instance => ({
  service,
  instanceId: `${service}-${nodeId ?? 'a'}`,
  address,
  ...(nodeId === undefined ? {} : { nodeId }),
  startedAt: new Date().toISOString(),
});

async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('health checks over the routing clients', () => {
  it('ShardClients: repeated checks of a node share its one channel, which closes when the node leaves', async () => {
    const node = await countedServer();
    const { discovery, put, remove } = fakeDiscovery('transrv');
    const t1 = instance('transrv', node.address, 't1');
    put(t1);
    const shards = await ShardClients.watch(discovery, undefined);
    cleanups.push(() => shards.close());
    for (let i = 0; i < 10; i++) expect(await shards.checkHealth(t1, 1000)).toBe('SERVING');
    expect(node.opened()).toBe(1);
    // An address this object holds no client for is not dialed.
    expect(await shards.checkHealth({ ...t1, address: '127.0.0.1:1' }, 200)).toBe('UNREACHABLE');
    remove(t1);
    await until(() => node.open() === 0);
    expect(await shards.checkHealth(t1, 200)).toBe('UNREACHABLE');
    expect(node.opened()).toBe(1);
  });

  it('AnyInstanceClient: repeated checks of an instance share its one channel, which closes when it leaves', async () => {
    const accountsrv = await countedServer();
    const { discovery, put, remove } = fakeDiscovery('accountsrv');
    const a = instance('accountsrv', accountsrv.address);
    put(a);
    const client = await AnyInstanceClient.watch(discovery, 'accountsrv', AccountServiceService, undefined);
    cleanups.push(() => client.close());
    for (let i = 0; i < 10; i++) expect(await client.checkHealth(a, 1000)).toBe('SERVING');
    expect(accountsrv.opened()).toBe(1);
    remove(a);
    await until(() => accountsrv.open() === 0);
    expect(await client.checkHealth(a, 200)).toBe('UNREACHABLE');
    expect(accountsrv.opened()).toBe(1);
  });

  it('the control: the one-off checkHealth opens a channel per check (what the routing clients avoid)', async () => {
    const node = await countedServer();
    for (let i = 0; i < 3; i++) expect(await checkHealth(node.address, '', 1000)).toBe('SERVING');
    expect(node.opened()).toBe(3);
  });
});
