import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';

// The HTTP edge of the real gatesrv and signsrv processes, tried as a careless or hostile client would: every answer,
// whatever layer refuses the request, is the documented envelope with nosniff and no-store, and never echoes it.

type Envelope = { error: { code: string; message: string; details: Record<string, unknown> } };

let cluster: Cluster;
let api: ApiClient;
let fixtures: LedgerFixtures;
let accountId = '';

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1'] });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Edge'));
  const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `edge-${randomUUID()}` });
  accountId = res.body.id;
  await fixtures.fund(accountId, 'ETH', 1000n);
});

afterAll(async () => {
  await cluster?.stop();
});

/** Sends raw bytes and returns the parsed answer (the server closes or answers one request). */
function raw(baseUrl: string, bytes: string): Promise<{ status: number; head: string; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let data = '';
    socket.setEncoding('utf8');
    const done = () => {
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: rest.join('\r\n\r\n') });
    };
    socket.on('data', (chunk: string) => {
      data += chunk;
      const [head = '', body = ''] = data.split('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(head)?.[1];
      if (length !== undefined && Buffer.byteLength(body) >= Number(length)) {
        socket.destroy();
        done();
      }
    });
    socket.on('end', done);
    socket.on('error', reject);
  });
}

function expectEnvelope(answer: { status: number; head: string; body: string }, status: number, code: string) {
  expect(answer.status).toBe(status);
  const parsed = JSON.parse(answer.body) as Envelope;
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(parsed.error).toMatchObject({ code, message: expect.any(String), details: expect.any(Object) });
  expect(answer.head).toContain('x-content-type-options: nosniff');
  expect(answer.head).toContain('cache-control: no-store');
  expect(answer.body).not.toContain('zzsecret');
}

describe.each([
  ['gatesrv', () => cluster.gatewayUrl],
  ['signsrv', () => cluster.signsrvUrl],
])('%s answers framework-level failures with the envelope', (_name, url) => {
  it.each([
    ['a bad request line', 'GARBAGE zzsecret\r\n\r\n', 400, 'VALIDATION_FAILED'],
    ['a bad Content-Length', 'POST /v1/zzsecret HTTP/1.1\r\nHost: x\r\nContent-Length: zzsecret\r\n\r\n', 400, 'VALIDATION_FAILED'],
    ['oversized headers', `GET /v1/assets HTTP/1.1\r\nHost: x\r\nX-Pad: zzsecret${'p'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['an over-long target', `GET /v1/zzsecret${'p'.repeat(4000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 414, 'URI_TOO_LONG'],
    ['a bad URL component', 'GET /v1/accounts/%zzsecret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'VALIDATION_FAILED'],
    ['an unknown route', 'GET /zzsecret HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'NOT_FOUND'],
  ])('%s', async (_what, bytes, status, code) => {
    expectEnvelope(await raw(url(), bytes), status, code);
  });
});

describe('gatesrv signed requests with bad bodies', () => {
  it('refuses a signed POST whose body is not sent as JSON with 415, and changes nothing', async () => {
    const before = await fixtures.snapshot();
    const res = await api.post<Envelope>(
      `/v1/accounts/${accountId}/withdrawals`,
      { asset: 'ETH', to: '0x000000000000000000000000000000000000dEaD', amount: '100' },
      { headers: { 'content-type': 'text/plain' } },
    );
    expect([res.status, res.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await fixtures.snapshot()).toEqual(before);
  });

  it('refuses a signed body that repeats a key (the last value would have won) and changes nothing', async () => {
    const before = await fixtures.snapshot();
    const other = await api.post<{ id: string }>('/v1/accounts', { externalId: `edge-${randomUUID()}` });
    const res = await api.post<Envelope>(
      '/v1/transfers',
      `{"from":"${accountId}","to":"${other.body.id}","asset":"ETH","amount":"1","amount":"900"}`,
    );
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.body.error.details).toEqual({ issues: [{ field: 'body', message: expect.any(String) }] });
    expect(await fixtures.snapshot()).toEqual(before);
  });

  it('an unauthenticated request gets 401 with one public reason whether or not the key exists', async () => {
    const unknown = new ApiClient(cluster.gatewayUrl, { keyId: 'zzsecret-no-such-key', secret: 'x'.repeat(32) });
    const wrongSecret = new ApiClient(cluster.gatewayUrl, { keyId: api.credentials.keyId, secret: 'y'.repeat(32) });
    const a = await unknown.get<Envelope>('/v1/assets');
    const b = await wrongSecret.get<Envelope>('/v1/assets');
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.body.error).toEqual(b.body.error);
    expect(JSON.stringify(a.body)).not.toContain('zzsecret');
  });
});
