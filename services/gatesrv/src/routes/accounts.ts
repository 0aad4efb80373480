import { WalletError } from '@wallet/errors';
import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { AccountView, BalanceView, accountView, listOf, pageOf } from '../views.js';
import { ACCOUNT, SIGNED, SIGNED_POST } from './errorSets.js';
import { AccountListQuery, AccountParams, CreateAccountBody } from './schemas.js';

/** Accounts: create (idempotent on externalId), list or find by externalId, read, balances. */
export function accountRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'accountsrv' | 'router' | 'shards' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { router, shards, upstreamTimeoutMs: timeoutMs } = deps;
  const accountsrv = () => deps.accountsrv.pick();
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/accounts',
        summary: 'Create an account (or return the one with this externalId)',
        tags: ['accounts'],
        security: 'signature',
        body: CreateAccountBody,
        responses: {
          201: { description: 'Created.', schema: AccountView },
          200: {
            description:
              'This client already has an account with this externalId (compared byte for byte), created by another request ' +
              '(a retry with the Idempotency-Key that created it answers 201 again).',
            schema: AccountView,
          },
        },
        errors: SIGNED_POST,
      },
      async ({ body }, request, reply) => {
        const { account, created } = await accountsrv().createAccount(
          { clientId: request.client.clientId, externalId: body.externalId, idempotencyKey: request.idempotency?.key ?? '' },
          { timeoutMs },
        );
        if (!account) throw new WalletError('INTERNAL', 'accountsrv returned no account');
        router.remember(account.id, { clientId: account.clientId, nodeId: account.nodeId });
        return reply.code(created ? 201 : 200).send(accountView(account));
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts',
        summary: "List the client's accounts, or find the one with an externalId",
        tags: ['accounts'],
        security: 'signature',
        query: AccountListQuery,
        responses: {
          200: {
            description:
              'Newest first by creation time (`order=asc`: oldest first), ties by id. With `externalId`: the account with that ' +
              'externalId (compared byte for byte) or an empty list, never a 404.',
            schema: pageOf(AccountView, 'AccountPage'),
          },
        },
        errors: SIGNED,
      },
      async ({ query }, request) => {
        const page = await accountsrv().listAccounts(
          {
            clientId: request.client.clientId,
            externalId: query.externalId ?? '',
            order: query.order ?? '',
            page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' },
          },
          { timeoutMs },
        );
        return { data: page.accounts.map(accountView), nextCursor: page.page?.nextCursor || null };
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id',
        summary: 'Read an account',
        tags: ['accounts'],
        security: 'signature',
        params: AccountParams,
        responses: { 200: { description: 'The account.', schema: AccountView } },
        errors: [...SIGNED, 'ACCOUNT_NOT_FOUND'],
      },
      async ({ params }, request) =>
        accountView(await accountsrv().getAccount({ clientId: request.client.clientId, accountId: params.id }, { timeoutMs })),
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id/balances',
        summary: "An account's balances per asset",
        tags: ['accounts'],
        security: 'signature',
        params: AccountParams,
        responses: { 200: { description: 'One row per asset the account has held.', schema: listOf(BalanceView, 'BalanceList') } },
        errors: [...SIGNED, ...ACCOUNT],
      },
      async ({ params }, request) => {
        const route = await router.resolve(request.client.clientId, params.id);
        const { balances } = await shards.call(route.nodeId, (c) => c.getBalances({ accountId: params.id }, { timeoutMs }));
        return { data: balances.map((b) => ({ asset: b.asset, available: b.available, frozen: b.frozen, pending: b.pending })) };
      },
    );
  };
}
