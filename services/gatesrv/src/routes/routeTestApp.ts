// Test scaffolding for the route plugins' inject() tests (imported only by *.test.ts beside it): an edge app with a
// fixed authenticated client in place of the signature check, and the upstream gRPC clients as plain objects.
import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { SourceAllowList, allKeyScopes } from '@wallet/client-auth';
import { WalletError } from '@wallet/errors';
import { ApiDocument, createEdgeApp } from '@wallet/http-edge';
import { createLogger } from '@wallet/logger';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';

export const CLIENT_ID = 'cl_TEST';
export const registry = AssetRegistry.parse(devRegistryInput);

type Upstream = Record<string, (...args: never[]) => Promise<unknown>>;

export type Fakes = {
  /** accountsrv methods the routes call. */
  readonly accountsrv?: Upstream;
  /** transrv methods, per node id. */
  readonly nodes?: Record<string, Upstream>;
  /** account id -> node id (others are ACCOUNT_NOT_FOUND). */
  readonly accounts?: Record<string, string>;
};

/** What the routes asked the fakes, in order. */
export type Calls = { method: string; nodeId?: string; args: unknown }[];

export function routeDeps(fakes: Fakes, calls: Calls): RouteDeps {
  const record = (upstream: Upstream, nodeId?: string) =>
    new Proxy(upstream, {
      get: (target, method: string) => {
        const fn = target[method];
        if (fn === undefined) return undefined;
        return async (args: unknown) => {
          calls.push({ method, ...(nodeId === undefined ? {} : { nodeId }), args });
          return (fn as (a: unknown) => Promise<unknown>)(args);
        };
      },
    });
  const nodes = fakes.nodes ?? {};
  return {
    registry,
    upstreamTimeoutMs: 1000,
    accountsrv: { pick: () => record(fakes.accountsrv ?? {}) } as unknown as RouteDeps['accountsrv'],
    shards: {
      liveNodes: () => Object.keys(nodes),
      isLive: (nodeId: string) => nodeId in nodes,
      call: async (nodeId: string, fn: (c: unknown) => Promise<unknown>) => {
        const node = nodes[nodeId];
        if (node === undefined) throw new WalletError('SHARD_UNAVAILABLE', `transrv node ${nodeId} is unavailable`);
        return fn(record(node, nodeId));
      },
    } as unknown as RouteDeps['shards'],
    router: {
      resolve: async (clientId: string, accountId: string) => {
        const nodeId = fakes.accounts?.[accountId];
        if (clientId !== CLIENT_ID || nodeId === undefined) throw new WalletError('ACCOUNT_NOT_FOUND');
        return { clientId, nodeId };
      },
      remember: () => {},
    } as unknown as RouteDeps['router'],
  };
}

/**
 * An edge app serving `plugin` under /v1 for one authenticated client, with `Idempotency-Key` passed through as the
 * claim the signed-request hooks would have made.
 */
export async function routeTestApp(plugin: (api: ApiDocument, deps: RouteDeps) => FastifyPluginAsync, fakes: Fakes) {
  const calls: Calls = [];
  const app: FastifyInstance = createEdgeApp({ log: createLogger('gatesrv-test', { level: 'silent' }), bodyLimitBytes: 64 * 1024 });
  const api = new ApiDocument({ title: 'test', version: '0' });
  await app.register(
    async (v1) => {
      v1.decorateRequest('client', undefined as never);
      v1.decorateRequest('idempotency', undefined);
      v1.addHook('preValidation', async (request) => {
        request.client = { clientId: CLIENT_ID, keyId: 'k_TEST', scopes: allKeyScopes, allowList: new SourceAllowList([]) };
        const key = request.headers['idempotency-key'];
        if (typeof key === 'string') request.idempotency = { key, hash: 'h'.repeat(64), replayed: false };
      });
      await v1.register(plugin(api, routeDeps(fakes, calls)));
    },
    { prefix: '/v1' },
  );
  await app.ready();
  return { app, api, calls };
}

/** A JSON POST as a client sends it. */
export function post(url: string, body: unknown, key = 'idem-1') {
  return {
    method: 'POST' as const,
    url,
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    payload: JSON.stringify(body),
  };
}

/** The error code of an error answer. */
export function codeOf(body: string): string {
  return (JSON.parse(body) as { error: { code: string } }).error.code;
}
