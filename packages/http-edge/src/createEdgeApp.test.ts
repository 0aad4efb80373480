import { Agent, get } from 'node:http';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { WalletError } from '@wallet/errors';
import { createLogger, currentRequestId } from '@wallet/logger';
import { freePort } from '@wallet/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiDocument } from './ApiDocument.js';
import { createEdgeApp } from './createEdgeApp.js';

const log = createLogger('http-edge-test', { level: 'silent' });

function build() {
  const app = createEdgeApp({ log, bodyLimitBytes: 1024, maxUrlLength: 600 });
  const api = new ApiDocument({ title: 't', version: '1' });
  void app.register(
    async (v1) => {
      api.route(
        v1,
        {
          method: 'POST',
          path: '/things/:id',
          summary: 'make',
          params: z.object({ id: z.string().regex(/^[a-z]{1,10}$/) }).strict(),
          body: z.object({ n: z.number().int() }).strict(),
          responses: { 201: { description: 'made' } },
        },
        async (input, _req, reply) => reply.code(201).send({ id: input.params.id, n: input.body.n }),
      );
      api.route(v1, { method: 'GET', path: '/boom', summary: 'fails', responses: { 200: { description: 'never' } } }, async () => {
        throw new Error('secret internal detail');
      });
      api.route(v1, { method: 'GET', path: '/store', summary: 'needs Redis', responses: { 200: { description: 'never' } } }, async () => {
        // A real client of a Redis that is not there: what gatesrv's stores meet while Redis restarts.
        const redis = new Redis({ host: '127.0.0.1', port: await freePort(), maxRetriesPerRequest: 1, retryStrategy: () => 50 });
        redis.on('error', () => {}); // the refused connections are the point
        try {
          return await redis.get('k');
        } finally {
          redis.disconnect();
        }
      });
      api.route(v1, { method: 'GET', path: '/busy', summary: 'limited', responses: { 200: { description: 'never' } } }, async () => {
        throw new WalletError('RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 3 } });
      });
      api.route(v1, { method: 'GET', path: '/old', summary: 'old style', responses: { 200: { description: 'never' } } }, async () => {
        throw new WalletError('VALIDATION_FAILED', 'limit must be 1..200', { details: { field: 'limit' } });
      });
    },
    { prefix: '/v1' },
  );
  return { app, api };
}

type Envelope = { error: { code: string; message: string; details: Record<string, unknown> } };

function expectEnvelope(body: string, code: string, status: number, actualStatus: number): Envelope {
  expect(actualStatus).toBe(status);
  const parsed = JSON.parse(body) as Envelope;
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(parsed.error.code).toBe(code);
  expect(typeof parsed.error.message).toBe('string');
  expect(typeof parsed.error.details).toBe('object');
  return parsed;
}

describe('createEdgeApp (inject)', () => {
  const { app } = build();
  afterAll(() => app.close());

  it('validates params, body and query into one details shape', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/things/ABC?x=1',
      headers: { 'content-type': 'application/json' },
      payload: '{"n":1.5,"extra":true}',
    });
    const e = expectEnvelope(r.body, 'VALIDATION_FAILED', 400, r.statusCode);
    const fields = (e.error.details['issues'] as { field: string }[]).map((i) => i.field);
    expect(fields).toContain('params.id');
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/things/abc',
      headers: { 'content-type': 'application/json' },
      payload: '{"n":2}',
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ id: 'abc', n: 2 });
    const q = await app.inject({
      method: 'POST',
      url: '/v1/things/abc?x=1',
      headers: { 'content-type': 'application/json' },
      payload: '{"n":2}',
    });
    expect((expectEnvelope(q.body, 'VALIDATION_FAILED', 400, q.statusCode).error.details['issues'] as { field: string }[])[0]!.field).toBe(
      'query',
    );
  });

  it('answers 415 for a body that is not JSON and 400 for duplicate keys', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/things/abc', headers: { 'content-type': 'text/plain' }, payload: '{"n":2}' });
    expectEnvelope(r.body, 'UNSUPPORTED_MEDIA_TYPE', 415, r.statusCode);
    const form = await app.inject({
      method: 'POST',
      url: '/v1/things/abc',
      payload: { n: '2' },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectEnvelope(form.body, 'UNSUPPORTED_MEDIA_TYPE', 415, form.statusCode);
    const dup = await app.inject({
      method: 'POST',
      url: '/v1/things/abc',
      headers: { 'content-type': 'application/json' },
      payload: '{"n":1,"n":1000}',
    });
    expectEnvelope(dup.body, 'VALIDATION_FAILED', 400, dup.statusCode);
  });

  it('answers 413 with the envelope', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/things/abc',
      headers: { 'content-type': 'application/json' },
      payload: `{"n":1,"p":"${'x'.repeat(2000)}"}`,
    });
    expectEnvelope(r.body, 'PAYLOAD_TOO_LARGE', 413, r.statusCode);
  });

  it('answers an unknown route with 404 without echoing the path', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/<script>alert(1)</script>' });
    expectEnvelope(r.body, 'NOT_FOUND', 404, r.statusCode);
    expect(r.body).not.toContain('script');
  });

  it('answers 414 for a long target and a long parameter, without echoing it', async () => {
    const long = await app.inject({ method: 'GET', url: `/v1/things/${'q'.repeat(700)}` });
    expectEnvelope(long.body, 'URI_TOO_LONG', 414, long.statusCode);
    expect(long.body).not.toContain('qqqq');
    const param = await app.inject({ method: 'POST', url: `/v1/things/${'q'.repeat(300)}` });
    expectEnvelope(param.body, 'URI_TOO_LONG', 414, param.statusCode);
    expect(param.body).not.toContain('qqqq');
  });

  it('answers a bad URL component with 400 without echoing it', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/things/%zzsecret' });
    expectEnvelope(r.body, 'VALIDATION_FAILED', 400, r.statusCode);
    expect(r.body).not.toContain('secret');
  });

  it('hides internal errors behind INTERNAL', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/boom' });
    expectEnvelope(r.body, 'INTERNAL', 500, r.statusCode);
    expect(r.body).not.toContain('secret internal detail');
  });

  it('answers a Redis that cannot be reached with a retryable 503 UNAVAILABLE, not INTERNAL', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/store' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ error: { code: 'UNAVAILABLE' } });
  });

  it('sends Retry-After for RATE_LIMITED and the issues shape for old-style validation errors', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/busy' });
    expectEnvelope(r.body, 'RATE_LIMITED', 429, r.statusCode);
    expect(r.headers['retry-after']).toBe('3');
    const old = await app.inject({ method: 'GET', url: '/v1/old' });
    expect(expectEnvelope(old.body, 'VALIDATION_FAILED', 400, old.statusCode).error.details).toEqual({
      issues: [{ field: 'limit', message: 'limit must be 1..200' }],
    });
  });

  it('sets nosniff and no-store on every answer, errors included', async () => {
    for (const url of ['/v1/busy', '/nope', '/v1/boom']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['cache-control']).toBe('no-store');
    }
  });
});

/** Sends raw bytes to a listening server and returns everything it answered until it closed. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, 3000).unref();
  });
}

function parseRaw(answer: string): { status: number; headers: string; body: string } {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body };
}

describe('createEdgeApp (HTTP parser errors on a real socket)', () => {
  const { app } = build();
  let port = 0;
  beforeAll(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app.close());

  it.each([
    ['a bad request line', 'GARBAGE /x\r\n\r\n', 400, 'VALIDATION_FAILED'],
    ['a bad Content-Length', 'POST /v1/things/abc HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'VALIDATION_FAILED'],
    ['oversized headers', `GET /v1/busy HTTP/1.1\r\nHost: x\r\nX-Big: ${'s'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['an oversized target', `GET /v1/${'s'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
  ])('answers %s with the envelope', async (_what, bytes, status, code) => {
    const answer = parseRaw(await rawRequest(port, bytes));
    expectEnvelope(answer.body, code, status, answer.status);
    expect(answer.body).not.toContain('sss');
    expect(answer.headers).toContain('x-content-type-options: nosniff');
    expect(answer.headers).toContain('cache-control: no-store');
    expect(answer.headers).toMatch(/x-request-id: [0-9a-f-]{36}/);
  });
});

describe('createEdgeApp closing under a keep-alive peer (a load balancer)', () => {
  // Each request in flight when close() begins is held until the test lets it go.
  async function closingWithInFlight(hijack: boolean) {
    const app = createEdgeApp({ log, bodyLimitBytes: 1024 });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived = () => {};
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    app.get('/slow', async (_request, reply) => {
      arrived();
      if (!hijack) {
        await released;
        return { ok: true };
      }
      // As the event stream does: headers first, the end later.
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive' });
      reply.raw.write('retry: 2000\n\n');
      await released;
      reply.raw.end();
      return reply;
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const agent = new Agent({ keepAlive: true });
    const answer = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/slow', agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      }).on('error', reject);
    });
    await inFlight;
    const started = Date.now();
    let closedAt = 0;
    const closed = app.close().then(() => (closedAt = Date.now()));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closedAt).toBe(0); // waits for the request in flight
    release();
    const result = await answer;
    await closed;
    agent.destroy();
    return { ...result, closeMs: closedAt - started };
  }

  it('finishes a request in flight, tells the peer not to reuse its connection, and closes promptly', async () => {
    const { status, connection, body, closeMs } = await closingWithInFlight(false);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ ok: true });
    expect(connection).toBe('close');
    // Not keepAliveTimeout (72 s) later: the connection is not left open behind the answer.
    expect(closeMs).toBeLessThan(2000);
  });

  it('closes the connection of a hijacked answer (a stream) once it ends', async () => {
    const { status, body, closeMs } = await closingWithInFlight(true);
    expect(status).toBe(200);
    expect(body).toBe('retry: 2000\n\n');
    expect(closeMs).toBeLessThan(2000);
  });
});

describe('createEdgeApp request ids, access log and source address', () => {
  const lines: Record<string, unknown>[] = [];
  const capturing = createLogger(
    'http-edge-test',
    {},
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );

  function traced(trustedProxies?: readonly string[]) {
    const app = createEdgeApp({
      log: capturing,
      bodyLimitBytes: 64,
      accessLog: { fields: (request) => ({ who: request.headers['x-who'] ?? null }) },
      ...(trustedProxies === undefined ? {} : { trustedProxies }),
    });
    const api = new ApiDocument({ title: 't', version: '1' });
    void app.register(
      async (v1) => {
        api.route(
          v1,
          {
            method: 'POST',
            path: '/echo',
            summary: 'echo',
            body: z.object({ n: z.number() }).strict(),
            responses: { 200: { description: 'ok' } },
          },
          async ({ body }, request) => {
            // After the body was read (from the socket's events): still inside the request's scope.
            request.log.info('handler ran');
            return { n: body.n, scoped: currentRequestId(), ip: request.ip };
          },
        );
        api.route(v1, { method: 'GET', path: '/away', summary: 'node away', responses: { 200: { description: 'never' } } }, async () => {
          throw new WalletError('SHARD_UNAVAILABLE', 'transrv node t2 is unavailable');
        });
        api.route(v1, { method: 'GET', path: '/bug', summary: 'a bug', responses: { 200: { description: 'never' } } }, async () => {
          throw new Error('a bug');
        });
        api.route(
          v1,
          { method: 'GET', path: '/ip', summary: 'ip', responses: { 200: { description: 'ok' } } },
          async (_input, request) => ({
            ip: request.ip,
          }),
        );
      },
      { prefix: '/v1' },
    );
    return app;
  }

  const json = { 'content-type': 'application/json' };

  it('keeps a well-formed X-Request-Id, on success and on every kind of refusal, and handles the request under it', async () => {
    const app = traced();
    lines.length = 0;
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { ...json, 'x-request-id': 'client-id.1:A_b-2' },
      payload: '{"n":1}',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-request-id']).toBe('client-id.1:A_b-2');
    expect(ok.json()).toMatchObject({ n: 1, scoped: 'client-id.1:A_b-2' });
    expect(lines.find((l) => l['msg'] === 'handler ran')?.['requestId']).toBe('client-id.1:A_b-2');
    const refusals = [
      { method: 'GET' as const, url: '/nope', status: 404 },
      { method: 'POST' as const, url: '/v1/echo', headers: json, payload: `{"n":1,"p":"${'x'.repeat(100)}"}`, status: 413 },
      { method: 'POST' as const, url: '/v1/echo', headers: json, payload: '{"n":"x"}', status: 400 },
      { method: 'POST' as const, url: '/v1/echo', headers: { 'content-type': 'text/plain' }, payload: 'x', status: 415 },
      { method: 'GET' as const, url: '/v1/%zz', status: 400 },
    ];
    for (const [i, { status, ...request }] of refusals.entries()) {
      const id = `refusal-${i}`;
      const r = await app.inject({ ...request, headers: { ...request.headers, 'x-request-id': id } });
      expect({ url: request.url, status: r.statusCode, id: r.headers['x-request-id'] }).toEqual({ url: request.url, status, id });
    }
    await app.close();
  });

  it('replaces a malformed X-Request-Id with a fresh one and never echoes or logs it', async () => {
    const app = traced();
    lines.length = 0;
    const bad = ['has space', 'x'.repeat(129), 'semi;colon', 'ünï'];
    const seen = new Set<string>();
    for (const id of bad) {
      const r = await app.inject({ method: 'GET', url: '/v1/ip', headers: { 'x-request-id': id } });
      const given = String(r.headers['x-request-id']);
      expect(given).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(given).not.toBe(id);
      seen.add(given);
    }
    const none = await app.inject({ method: 'GET', url: '/v1/ip' });
    seen.add(String(none.headers['x-request-id']));
    expect(seen.size).toBe(bad.length + 1);
    expect(JSON.stringify(lines)).not.toContain('has space');
    expect(JSON.stringify(lines)).not.toContain('semi;colon');
    await app.close();
  });

  it('logs a retryable 5xx (a node away) as a warning and only what should never happen (INTERNAL) as an error', async () => {
    const app = traced();
    await app.inject({ method: 'GET', url: '/v1/away', headers: { 'x-request-id': 'lvl-away' } });
    await app.inject({ method: 'GET', url: '/v1/bug', headers: { 'x-request-id': 'lvl-bug' } });
    const failed = (id: string) => lines.find((l) => l['msg'] === 'request failed' && l['requestId'] === id);
    await expect.poll(() => failed('lvl-bug')).toBeDefined();
    expect(failed('lvl-away')).toMatchObject({ level: 40, code: 'SHARD_UNAVAILABLE' });
    expect(failed('lvl-bug')).toMatchObject({ level: 50, code: 'INTERNAL' });
    await app.close();
  });

  it('writes one access line per request: method, route pattern, status, ms, request id and the fields given; no path or body', async () => {
    const app = traced();
    lines.length = 0;
    await app.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { ...json, 'x-request-id': 'acc-1', 'x-who': 'k1' },
      payload: '{"n":42}',
    });
    await app.inject({ method: 'GET', url: '/missing/path', headers: { 'x-request-id': 'acc-2' } });
    await app.inject({ method: 'GET', url: '/v1/ip?q1=x', headers: { 'x-request-id': 'acc-3' } });
    // The access line is written when the response has been sent (onResponse), which can come after inject resolves
    // on a loaded machine: waited for, then checked.
    // Only this test's lines: a previous test's app can still be writing its last access line after `lines` was cleared.
    const ours = () =>
      lines
        .filter((l) => l['msg'] === 'access' && String(l['requestId']).startsWith('acc-'))
        .sort((a, b) => String(a['requestId']).localeCompare(String(b['requestId'])));
    await expect.poll(() => ours().length).toBe(3);
    const access = ours();
    expect(access[0]).toMatchObject({ requestId: 'acc-1', method: 'POST', route: '/v1/echo', status: 200, who: 'k1' });
    expect(typeof access[0]!['ms']).toBe('number');
    expect(access[1]).toMatchObject({ requestId: 'acc-2', method: 'GET', route: null, status: 404, who: null });
    expect(access[2]).toMatchObject({ requestId: 'acc-3', method: 'GET', route: '/v1/ip', status: 400 });
    // Without the numbers every line has (time, ms, pid), which may contain "42" by chance.
    const text = JSON.stringify(access.map(({ time: _time, ms: _ms, pid: _pid, ...rest }) => rest));
    expect(text).not.toContain('q1');
    expect(text).not.toContain('42');
    expect(text).not.toContain('missing');
    await app.close();
  });

  it('takes the source address from the socket, ignoring X-Forwarded-For unless the proxy is trusted', async () => {
    const plain = traced();
    const spoofed = await plain.inject({
      method: 'GET',
      url: '/v1/ip',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '10.1.2.3' },
    });
    expect(spoofed.json()).toEqual({ ip: '127.0.0.1' });
    await plain.close();
    const proxied = traced(['127.0.0.0/8']);
    const viaProxy = await proxied.inject({
      method: 'GET',
      url: '/v1/ip',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '10.1.2.3' },
    });
    expect(viaProxy.json()).toEqual({ ip: '10.1.2.3' });
    const notProxy = await proxied.inject({
      method: 'GET',
      url: '/v1/ip',
      remoteAddress: '192.0.2.7',
      headers: { 'x-forwarded-for': '10.1.2.3' },
    });
    expect(notProxy.json()).toEqual({ ip: '192.0.2.7' });
    await proxied.close();
  });
});
