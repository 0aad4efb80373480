import type { ApiDocument } from '@wallet/http-edge';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';

/**
 * `GET /v1/openapi.json` (unsigned): the OpenAPI 3.1 document generated from the routes' own zod schemas. Built once,
 * on first request, after every route plugin has declared itself.
 */
export function openApiRoutes(api: ApiDocument): FastifyPluginAsync {
  let cached: string | undefined;
  return async (app) => {
    api.route(
      app,
      {
        method: 'GET',
        path: '/openapi.json',
        summary: 'This document',
        tags: ['meta'],
        responses: { 200: { description: 'OpenAPI 3.1.', schema: z.object({ openapi: z.string() }).passthrough() } },
      },
      async (_input, _request, reply) => {
        cached ??= JSON.stringify(api.toJSON());
        return reply.type('application/json; charset=utf-8').send(cached);
      },
    );
  };
}
