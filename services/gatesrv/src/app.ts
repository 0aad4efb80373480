import type { AssetRegistry } from '@wallet/assets';
import {
  type AuthenticatedClient,
  type IdempotencyStore,
  type RateLimiter,
  type RequestAuthenticator,
  requestHash,
  shouldStoreResponse,
} from '@wallet/client-auth';
import { WalletError, toWalletError } from '@wallet/errors';
import type { Logger } from '@wallet/logger';
import type { AccountServiceService, WithdrawalRecord } from '@wallet/proto';
import type { AnyInstanceClient, ShardClients } from '@wallet/routing';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AccountRouter } from './AccountRouter.js';
import { callAnyNode } from './callAnyNode.js';
import { parseInput } from './parseInput.js';
import type { Peers } from './peers.js';
import {
  AccountParams,
  AddressListQuery,
  CreateAccountBody,
  CreateAddressBody,
  CreateWithdrawalBody,
  EmptyBody,
  LedgerQuery,
  ListQuery,
  NoQuery,
  TransferBody,
  WithdrawalParams,
} from './schemas.js';

export type GatesrvDeps = {
  readonly instanceId: string;
  readonly log: Logger;
  readonly bodyLimitBytes: number;
  readonly upstreamTimeoutMs: number;
  readonly peers: Peers;
  readonly registry: AssetRegistry;
  readonly authenticator: RequestAuthenticator;
  readonly rateLimiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  readonly accountsrv: AnyInstanceClient<typeof AccountServiceService>;
  readonly shards: ShardClients;
  readonly router: AccountRouter;
};

type IdempotencyClaim = { key: string; hash: string; replayed: boolean };

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated client (set for every /v1 route before its handler runs). */
    client: AuthenticatedClient;
    idempotency: IdempotencyClaim | undefined;
  }
}

/** Seconds a client should wait before retrying a request that hit an unavailable shard or service. */
const RETRY_AFTER_UNAVAILABLE_S = 5;

/** Builds the gateway's HTTP app without listening (tests use `inject()`). */
export function buildApp(deps: GatesrvDeps) {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }),
    bodyLimit: deps.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    // Paths are signed as sent: no rewriting of trailing slashes or duplicate slashes.
    routerOptions: { ignoreTrailingSlash: false },
  });
  app.decorateRequest('client', undefined as unknown as AuthenticatedClient);
  app.decorateRequest('idempotency', undefined);

  // Bodies stay raw bytes until the signature over them is checked; JSON is parsed after that.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => {
    const walletError = fromFastifyError(error);
    if (walletError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed');
    if (walletError.code === 'RATE_LIMITED') {
      const seconds = walletError.details['retryAfterSeconds'];
      reply.header('retry-after', String(typeof seconds === 'number' ? seconds : 1));
    }
    if (walletError.code === 'SHARD_UNAVAILABLE' || walletError.code === 'UNAVAILABLE')
      reply.header('retry-after', String(RETRY_AFTER_UNAVAILABLE_S));
    return reply.code(walletError.httpStatus).send(walletError.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new WalletError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(e.httpStatus).send(e.toJSON());
  });

  // Unsigned: load balancers and ops probe it. 200 when accountsrv and at least one transrv answer.
  app.get('/healthz', async (_request, reply) => {
    const health = await deps.peers.health(Math.min(deps.upstreamTimeoutMs, 2000));
    const ok = health.accountsrv.some((p) => p.status === 'SERVING') && health.transrv.some((p) => p.status === 'SERVING');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', instanceId: deps.instanceId, ...health });
  });

  void app.register(async (v1) => v1Routes(v1, deps), { prefix: '/v1' });
  return app;
}

/** The signed client API of shared/API.md. */
async function v1Routes(app: FastifyInstance, deps: GatesrvDeps): Promise<void> {
  const { registry, router, shards, idempotency } = deps;
  const accountsrv = () => deps.accountsrv.pick();
  const timeoutMs = deps.upstreamTimeoutMs;

  app.addHook('preValidation', async (request, reply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    request.client = await deps.authenticator.authenticate({
      headers: request.headers,
      method: request.method,
      pathWithQuery: request.url,
      rawBody,
    });
    const limit = await deps.rateLimiter.consume(request.client.keyId);
    if (!limit.allowed) {
      throw new WalletError('RATE_LIMITED', 'too many requests for this API key', {
        details: { retryAfterSeconds: limit.retryAfterSeconds },
      });
    }
    request.body = rawBody.length === 0 ? undefined : parseJson(rawBody);
    if (request.method === 'POST') {
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || key.length === 0) {
        throw new WalletError('VALIDATION_FAILED', 'every POST needs an Idempotency-Key header', { details: { field: 'Idempotency-Key' } });
      }
      const hash = requestHash({ method: request.method, route: request.url, body: rawBody });
      const claim = await idempotency.begin(request.client.clientId, key, hash);
      if (claim.kind === 'replay') {
        request.idempotency = { key, hash, replayed: true };
        return reply.code(claim.status).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(claim.body);
      }
      request.idempotency = { key, hash, replayed: false };
    }
    return undefined;
  });

  // The first response to an Idempotency-Key is kept (shared by all gateways); a 5xx or a retryable
  // refusal is not, so a transient outage never becomes the permanent answer for that key.
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const claim = request.idempotency;
    if (!claim || claim.replayed || !request.client) return payload;
    const body =
      typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : JSON.stringify(payload ?? null);
    try {
      if (shouldStoreResponse(reply.statusCode, errorCodeOf(reply.statusCode, body))) {
        await idempotency.complete(request.client.clientId, claim.key, claim.hash, reply.statusCode, body);
      } else await idempotency.abandon(request.client.clientId, claim.key, claim.hash);
    } catch (error) {
      // MySQL unique keys still make the operation idempotent; only the cached replay is lost.
      request.log.warn({ err: error }, 'idempotency record not saved');
    }
    return payload;
  });

  const noQuery = (request: FastifyRequest) => parseInput(NoQuery, request.query, 'query');

  app.get('/assets', async (request) => {
    noQuery(request);
    return {
      data: registry.assetIds().map((id) => {
        const a = registry.asset(id);
        return {
          asset: a.id,
          chain: a.chain,
          decimals: a.decimals,
          confirmations: a.confirmations,
          minWithdrawal: a.minWithdrawal.toString(),
          withdrawalFee: a.withdrawalFee.toString(),
          ...(a.contract === undefined ? {} : { contract: a.contract }),
        };
      }),
    };
  });

  app.post('/accounts', async (request, reply) => {
    noQuery(request);
    const body = parseInput(CreateAccountBody, request.body, 'body');
    const { account, created } = await accountsrv().createAccount(
      { clientId: request.client.clientId, externalId: body.externalId },
      { timeoutMs },
    );
    if (!account) throw new WalletError('INTERNAL', 'accountsrv returned no account');
    router.remember(account.id, { clientId: account.clientId, nodeId: account.nodeId });
    return reply.code(created ? 201 : 200).send({ id: account.id, externalId: account.externalId, createdAt: account.createdAt });
  });

  app.get('/accounts/:id', async (request) => {
    noQuery(request);
    const { id } = parseInput(AccountParams, request.params, 'params');
    const account = await accountsrv().getAccount({ clientId: request.client.clientId, accountId: id }, { timeoutMs });
    return { id: account.id, externalId: account.externalId, createdAt: account.createdAt };
  });

  app.get('/accounts/:id/balances', async (request) => {
    noQuery(request);
    const { id } = parseInput(AccountParams, request.params, 'params');
    const route = await router.resolve(request.client.clientId, id);
    const { balances } = await shards.call(route.nodeId, (c) => c.getBalances({ accountId: id }, { timeoutMs }));
    return { data: balances };
  });

  app.post('/accounts/:id/addresses', async (request, reply) => {
    noQuery(request);
    const { id } = parseInput(AccountParams, request.params, 'params');
    const body = parseInput(CreateAddressBody, request.body, 'body');
    registry.chain(body.chain);
    const address = await accountsrv().createAddress(
      { clientId: request.client.clientId, accountId: id, chain: body.chain, idempotencyKey: request.idempotency?.key ?? '' },
      { timeoutMs },
    );
    return reply.code(201).send({ chain: address.chain, address: address.address, index: address.index, createdAt: address.createdAt });
  });

  app.get('/accounts/:id/addresses', async (request) => {
    const { id } = parseInput(AccountParams, request.params, 'params');
    const query = parseInput(AddressListQuery, request.query, 'query');
    if (query.chain) registry.chain(query.chain);
    const page = await accountsrv().listAddresses(
      {
        clientId: request.client.clientId,
        accountId: id,
        chain: query.chain ?? '',
        page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' },
      },
      { timeoutMs },
    );
    return {
      data: page.addresses.map((a) => ({ chain: a.chain, address: a.address, index: a.index, createdAt: a.createdAt })),
      nextCursor: page.page?.nextCursor || null,
    };
  });

  app.get('/accounts/:id/ledger', async (request) => {
    const { id } = parseInput(AccountParams, request.params, 'params');
    const query = parseInput(LedgerQuery, request.query, 'query');
    if (query.asset) registry.asset(query.asset);
    const route = await router.resolve(request.client.clientId, id);
    const page = await shards.call(route.nodeId, (c) =>
      c.listLedger(
        { accountId: id, asset: query.asset ?? '', page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' } },
        { timeoutMs },
      ),
    );
    return {
      data: page.entries.map((e) => ({
        id: e.id,
        asset: e.asset,
        amount: e.amount,
        kind: e.kind,
        refId: e.refId,
        balanceAfter: e.balanceAfter,
        bucket: e.bucket,
        createdAt: e.createdAt,
      })),
      nextCursor: page.page?.nextCursor || null,
    };
  });

  app.get('/accounts/:id/deposits', async (request) => {
    const { id } = parseInput(AccountParams, request.params, 'params');
    const query = parseInput(ListQuery, request.query, 'query');
    const route = await router.resolve(request.client.clientId, id);
    const page = await shards.call(route.nodeId, (c) =>
      c.listDeposits({ accountId: id, page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' } }, { timeoutMs }),
    );
    return {
      data: page.deposits.map((d) => ({
        id: d.id,
        asset: d.asset,
        chain: d.chain,
        address: d.address,
        txid: d.txid,
        outputIndex: d.outputIndex,
        amount: d.amount,
        blockNumber: Number(d.blockNumber),
        blockHash: d.blockHash,
        confirmations: d.confirmations,
        status: d.status,
        createdAt: d.createdAt,
        creditedAt: d.creditedAt || null,
      })),
      nextCursor: page.page?.nextCursor || null,
    };
  });

  app.post('/transfers', async (request, reply) => {
    noQuery(request);
    const body = parseInput(TransferBody, request.body, 'body');
    registry.asset(body.asset);
    if (body.from === body.to) throw new WalletError('VALIDATION_FAILED', 'from and to must differ', { details: { field: 'body.to' } });
    const clientId = request.client.clientId;
    const [from, to] = await Promise.all([router.resolve(clientId, body.from), router.resolve(clientId, body.to)]);
    // Refuse up front when the receiver's node is down: debiting now would leave the value in transit.
    if (!shards.isLive(to.nodeId))
      throw new WalletError('SHARD_UNAVAILABLE', `transrv node ${to.nodeId} is unavailable`, { details: { nodeId: to.nodeId } });
    const claim = request.idempotency!;
    const { transfer, created } = await shards.call(from.nodeId, (c) =>
      c.transfer(
        {
          clientId,
          idempotencyKey: claim.key,
          requestHash: claim.hash,
          fromAccountId: body.from,
          toAccountId: body.to,
          toNodeId: to.nodeId,
          asset: body.asset,
          amount: body.amount.toString(),
        },
        { timeoutMs },
      ),
    );
    if (!transfer) throw new WalletError('INTERNAL', 'transrv returned no transfer');
    if (!created) reply.header('idempotent-replayed', 'true');
    return reply.code(201).send({
      id: transfer.id,
      from: transfer.fromAccountId,
      to: transfer.toAccountId,
      asset: transfer.asset,
      amount: transfer.amount,
      status: transfer.status,
      createdAt: transfer.createdAt,
    });
  });

  app.post('/accounts/:id/withdrawals', async (request, reply) => {
    noQuery(request);
    const { id } = parseInput(AccountParams, request.params, 'params');
    const body = parseInput(CreateWithdrawalBody, request.body, 'body');
    registry.asset(body.asset);
    const clientId = request.client.clientId;
    const route = await router.resolve(clientId, id);
    const claim = request.idempotency!;
    const { withdrawal, created } = await shards.call(route.nodeId, (c) =>
      c.createWithdrawal(
        {
          clientId,
          idempotencyKey: claim.key,
          requestHash: claim.hash,
          accountId: id,
          asset: body.asset,
          to: body.to,
          amount: body.amount.toString(),
        },
        { timeoutMs },
      ),
    );
    if (!withdrawal) throw new WalletError('INTERNAL', 'transrv returned no withdrawal');
    if (!created) reply.header('idempotent-replayed', 'true');
    return reply.code(201).send(withdrawalView(withdrawal));
  });

  app.get('/accounts/:id/withdrawals', async (request) => {
    const { id } = parseInput(AccountParams, request.params, 'params');
    const query = parseInput(ListQuery, request.query, 'query');
    const route = await router.resolve(request.client.clientId, id);
    const page = await shards.call(route.nodeId, (c) =>
      c.listWithdrawals({ accountId: id, page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' } }, { timeoutMs }),
    );
    return { data: page.withdrawals.map(withdrawalView), nextCursor: page.page?.nextCursor || null };
  });

  // By id alone: the gateway does not know the account, so any node reads it (and refuses another client's).
  app.get('/withdrawals/:id', async (request) => {
    noQuery(request);
    const { id } = parseInput(WithdrawalParams, request.params, 'params');
    const clientId = request.client.clientId;
    return withdrawalView(await callAnyNode(shards, (c) => c.getWithdrawal({ clientId, withdrawalId: id }, { timeoutMs })));
  });

  app.post('/withdrawals/:id/cancel', async (request, reply) => {
    noQuery(request);
    const { id } = parseInput(WithdrawalParams, request.params, 'params');
    // The contract's body is `{}`; no body at all says the same.
    parseInput(EmptyBody, request.body ?? {}, 'body');
    const clientId = request.client.clientId;
    // Any node finds it (NOT_FOUND for another client's); only its account's node may release the funds.
    const found = await callAnyNode(shards, (c) => c.getWithdrawal({ clientId, withdrawalId: id }, { timeoutMs }));
    const route = await router.resolve(clientId, found.accountId);
    const cancelled = await shards.call(route.nodeId, (c) => c.cancelWithdrawal({ clientId, withdrawalId: id }, { timeoutMs }));
    return reply.code(200).send(withdrawalView(cancelled));
  });
}

/** A withdrawal as clients see it (shared/API.md); what it does not have yet is null, as for deposits. */
function withdrawalView(w: WithdrawalRecord) {
  return {
    id: w.id,
    accountId: w.accountId,
    chain: w.chain,
    asset: w.asset,
    to: w.to,
    amount: w.amount,
    fee: w.fee,
    status: w.status,
    txid: w.txid || null,
    confirmations: w.confirmations < 0 ? null : w.confirmations,
    reason: w.reason || null,
    networkFee: w.networkFee || null,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

function errorCodeOf(status: number, body: string): string | undefined {
  if (status < 400) return undefined;
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new WalletError('VALIDATION_FAILED', 'body is not valid JSON');
  }
}

/** Maps fastify's own errors (body too large, bad content...) onto registry codes. */
function fromFastifyError(error: unknown): WalletError {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new WalletError('PAYLOAD_TOO_LARGE');
  if (
    typeof e.code === 'string' &&
    e.code.startsWith('FST_') &&
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500
  ) {
    return new WalletError('VALIDATION_FAILED', typeof e.message === 'string' ? e.message : undefined);
  }
  return toWalletError(error);
}
