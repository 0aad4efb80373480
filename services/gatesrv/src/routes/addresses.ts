import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import type { RouteDeps } from '../deps.js';
import { AddressView, addressView, pageOf } from '../views.js';
import { SIGNED, SIGNED_POST } from './errorSets.js';
import { AccountParams, AddressListQuery, CreateAddressBody } from './schemas.js';

/** Deposit addresses of an account. */
export function addressRoutes(
  api: ApiDocument,
  deps: Pick<RouteDeps, 'accountsrv' | 'registry' | 'upstreamTimeoutMs'>,
): FastifyPluginAsync {
  const { registry, upstreamTimeoutMs: timeoutMs } = deps;
  const accountsrv = () => deps.accountsrv.pick();
  return async (app) => {
    api.route(
      app,
      {
        method: 'POST',
        path: '/accounts/:id/addresses',
        summary: 'Issue a new deposit address on a chain',
        tags: ['addresses'],
        security: 'signature',
        params: AccountParams,
        body: CreateAddressBody,
        responses: { 201: { description: 'A new address (each call derives the next one).', schema: AddressView } },
        errors: [...SIGNED_POST, 'ACCOUNT_NOT_FOUND', 'UNSUPPORTED_CHAIN'],
      },
      async ({ params, body }, request, reply) => {
        registry.chain(body.chain);
        const address = await accountsrv().createAddress(
          { clientId: request.client.clientId, accountId: params.id, chain: body.chain, idempotencyKey: request.idempotency?.key ?? '' },
          { timeoutMs },
        );
        return reply.code(201).send(addressView(address, registry));
      },
    );

    api.route(
      app,
      {
        method: 'GET',
        path: '/accounts/:id/addresses',
        summary: "List an account's deposit addresses",
        tags: ['addresses'],
        security: 'signature',
        params: AccountParams,
        query: AddressListQuery,
        responses: { 200: { description: 'Newest first.', schema: pageOf(AddressView, 'AddressPage') } },
        errors: [...SIGNED, 'ACCOUNT_NOT_FOUND', 'UNSUPPORTED_CHAIN'],
      },
      async ({ params, query }, request) => {
        if (query.chain) registry.chain(query.chain);
        const page = await accountsrv().listAddresses(
          {
            clientId: request.client.clientId,
            accountId: params.id,
            chain: query.chain ?? '',
            page: { limit: query.limit ?? 0, cursor: query.cursor ?? '' },
          },
          { timeoutMs },
        );
        return { data: page.addresses.map((a) => addressView(a, registry)), nextCursor: page.page?.nextCursor || null };
      },
    );
  };
}
