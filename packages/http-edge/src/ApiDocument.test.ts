import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ApiDocument } from './ApiDocument.js';

const header = (description: string) => ({ description, schema: { type: 'string' as const } });

function doc() {
  return new ApiDocument(
    { title: 't', version: '1' },
    { sig: { type: 'apiKey', in: 'header', name: 'X-Key' } },
    {
      scopeOf: (method, path) => (method === 'GET' ? 'read' : path === '/v1/pay' ? 'pay' : undefined),
      responseHeaders: { 'X-Request-Id': header('the id') },
      securedResponseHeaders: { 'RateLimit-Limit': header('budget') },
    },
  );
}

describe('ApiDocument scopes and response headers', () => {
  it("puts each secured route's scope in its security requirement, and the headers on every answer", async () => {
    const api = doc();
    const app = Fastify();
    await app.register(
      async (v1) => {
        api.route(
          v1,
          { method: 'GET', path: '/things', summary: 's', security: 'sig', responses: { 200: { description: 'ok' } } },
          async () => ({}),
        );
        api.route(
          v1,
          { method: 'POST', path: '/pay', summary: 's', security: 'sig', responses: { 201: { description: 'ok' } } },
          async () => ({}),
        );
        api.route(v1, { method: 'GET', path: '/open', summary: 's', responses: { 200: { description: 'ok' } } }, async () => ({}));
      },
      { prefix: '/v1' },
    );
    type Op = { security: Record<string, string[]>[]; responses: Record<string, { headers?: Record<string, unknown> }> };
    const paths = api.toJSON().paths as Record<string, Record<string, Op>>;
    expect(paths['/v1/things']!['get']!.security).toEqual([{ sig: ['read'] }]);
    expect(paths['/v1/pay']!['post']!.security).toEqual([{ sig: ['pay'] }]);
    expect(paths['/v1/open']!['get']!.security).toEqual([]);
    expect(Object.keys(paths['/v1/pay']!['post']!.responses['201']!.headers ?? {})).toEqual(['X-Request-Id', 'RateLimit-Limit']);
    expect(Object.keys(paths['/v1/pay']!['post']!.responses['400']!.headers ?? {})).toEqual(['X-Request-Id', 'RateLimit-Limit']);
    expect(Object.keys(paths['/v1/open']!['get']!.responses['200']!.headers ?? {})).toEqual(['X-Request-Id']);
    await app.close();
  });

  it('refuses to register a secured route without a scope', async () => {
    const api = doc();
    const app = Fastify();
    await app.register(async (v1) => {
      expect(() =>
        api.route(
          v1,
          { method: 'POST', path: '/unscoped', summary: 's', security: 'sig', responses: { 201: { description: 'ok' } } },
          async () => ({}),
        ),
      ).toThrow(/no scope/);
    });
    await app.close();
  });
});
