import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devApiCall } from './devApi.js';

const credentials = { keyId: 'key_test', secret: 'secret' };
/** What the test server received: the request line, headers and body. */
const received: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    res.writeHead(req.method === 'POST' ? 201 : 404, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
let baseUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('devApiCall', () => {
  it('sends the path, query and body as signed, with an Idempotency-Key on a POST', async () => {
    received.length = 0;
    const answer = await devApiCall(baseUrl, credentials, {
      method: 'post',
      pathWithQuery: '/v1/accounts?x=1',
      body: '{"externalId":"a"}',
    });
    expect(answer).toMatchObject({ status: 201, body: '{"ok":true}' });
    expect(answer.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/v1/accounts?x=1',
        body: '{"externalId":"a"}',
        headers: expect.objectContaining({
          'x-api-key': 'key_test',
          'x-signature': expect.stringMatching(/^[0-9a-f]{64}$/),
          'idempotency-key': answer.idempotencyKey,
          'content-type': 'application/json',
        }),
      }),
    ]);
    const again = await devApiCall(baseUrl, credentials, { method: 'GET', pathWithQuery: '/v1/assets' });
    expect(again).toEqual({ status: 404, body: '{"ok":true}', idempotencyKey: null });
    expect(received[1]!.headers['idempotency-key']).toBeUndefined();
  });

  it.each([
    ['a method the API has not', { method: 'TRACE', pathWithQuery: '/v1/assets' }],
    ['a path without its slash', { method: 'GET', pathWithQuery: 'v1/assets' }],
    ['a path the URL parser would rewrite', { method: 'GET', pathWithQuery: '/v1/../v1/assets' }],
    ['a path with a space', { method: 'GET', pathWithQuery: '/v1/accounts?externalId=a b' }],
    ['a body that is not JSON', { method: 'POST', pathWithQuery: '/v1/accounts', body: 'externalId=a' }],
  ])('refuses %s before sending anything', async (_case, request) => {
    received.length = 0;
    await expect(devApiCall(baseUrl, credentials, request)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(received).toEqual([]);
  });
});
