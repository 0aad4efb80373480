import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type ServiceError, credentials, status } from '@grpc/grpc-js';
import { isWalletError } from '@wallet/errors';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from './createClient.js';
import { GrpcServer } from './grpcServer.js';
import { GrpcTls, serviceOf } from './GrpcTls.js';
import { type MethodCallers, mayCall } from './methodCallers.js';

// Real certificates from the dev PKI script (openssl), real TLS handshakes on loopback.

const script = fileURLToPath(new URL('../../../deploy/local/dev-pki.sh', import.meta.url));
let root: string;
let pki: string;
let other: string;
const filesOf = (dir: string, name: string) => ({
  caFile: join(dir, 'ca.pem'),
  certFile: join(dir, `${name}.pem`),
  keyFile: join(dir, `${name}-key.pem`),
});

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'grpc-tls-test-'));
  pki = join(root, 'pki');
  other = join(root, 'other');
  execFileSync('bash', [script, pki, 'transrv', 'gatesrv', 'accountsrv', 'stranger'], { stdio: 'ignore' });
  // Same service names, another CA.
  execFileSync('bash', [script, other, 'gatesrv'], { stdio: 'ignore' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function refusal(run: () => unknown): { variables: unknown } {
  try {
    run();
  } catch (error) {
    if (isWalletError(error, 'CONFIG_INVALID')) return { variables: error.details['variables'] };
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('GrpcTls.fromFiles', () => {
  it('reads a service certificate issued by the CA', () => {
    const tls = GrpcTls.fromFiles(filesOf(pki, 'transrv'), 'transrv');
    expect(tls.service).toBe('transrv');
    expect(tls.notAfter.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);
  });

  it('refuses at start what every handshake would refuse later, naming the variable', () => {
    // Another service's certificate: its clients would refuse the name.
    expect(refusal(() => GrpcTls.fromFiles(filesOf(pki, 'gatesrv'), 'transrv')).variables).toEqual(['GRPC_TLS_CERT_FILE']);
    // A certificate from another CA.
    expect(refusal(() => GrpcTls.fromFiles({ ...filesOf(other, 'gatesrv'), caFile: join(pki, 'ca.pem') }, 'gatesrv')).variables).toEqual([
      'GRPC_TLS_CERT_FILE',
    ]);
    // Another certificate's key.
    expect(
      refusal(() => GrpcTls.fromFiles({ ...filesOf(pki, 'gatesrv'), keyFile: join(pki, 'transrv-key.pem') }, 'gatesrv')).variables,
    ).toEqual(['GRPC_TLS_KEY_FILE']);
    // A leaf where the CA should be, a missing file, a key where a certificate should be.
    expect(refusal(() => GrpcTls.fromFiles({ ...filesOf(pki, 'gatesrv'), caFile: join(pki, 'gatesrv.pem') }, 'gatesrv')).variables).toEqual(
      ['GRPC_TLS_CA_FILE'],
    );
    expect(refusal(() => GrpcTls.fromFiles({ ...filesOf(pki, 'gatesrv'), caFile: join(pki, 'nope.pem') }, 'gatesrv')).variables).toEqual([
      'GRPC_TLS_CA_FILE',
    ]);
    expect(
      refusal(() => GrpcTls.fromFiles({ ...filesOf(pki, 'gatesrv'), certFile: join(pki, 'gatesrv-key.pem') }, 'gatesrv')).variables,
    ).toEqual(['GRPC_TLS_CERT_FILE']);
  });

  it('a CA file may be a bundle of CAs (while the CA is changed)', () => {
    const bundle = join(root, 'bundle.pem');
    writeFileSync(bundle, Buffer.concat([readFileSync(join(pki, 'ca.pem')), readFileSync(join(other, 'ca.pem'))]));
    expect(GrpcTls.fromFiles({ ...filesOf(other, 'gatesrv'), caFile: bundle }, 'gatesrv').service).toBe('gatesrv');
    expect(GrpcTls.fromFiles({ ...filesOf(pki, 'gatesrv'), caFile: bundle }, 'gatesrv').service).toBe('gatesrv');
  });

  it('the script is idempotent: a second run keeps every file', () => {
    const before = join(root, 'before.pem');
    copyFileSync(join(pki, 'transrv.pem'), before);
    execFileSync('bash', [script, pki, 'transrv', 'gatesrv', 'accountsrv', 'stranger'], { stdio: 'ignore' });
    expect(execFileSync('cmp', [before, join(pki, 'transrv.pem')]).length).toBe(0);
  });
});

describe('serviceOf', () => {
  it('reads the service from a wallet.internal DNS name only', () => {
    expect(serviceOf('DNS:transrv.wallet.internal')).toBe('transrv');
    expect(serviceOf('DNS:other.example, DNS:gatesrv.wallet.internal')).toBe('gatesrv');
    expect(serviceOf('DNS:gatesrv.wallet.internal, DNS:gatesrv.wallet.internal')).toBe('gatesrv');
    // Two services in one certificate: neither (it could otherwise pass for the first in every authorization table).
    expect(serviceOf('DNS:gatesrv.wallet.internal, DNS:transrv.wallet.internal')).toBeUndefined();
    expect(serviceOf('DNS:transrv.wallet.internal.evil.example')).toBeUndefined();
    expect(serviceOf('IP Address:10.0.0.1')).toBeUndefined();
    expect(serviceOf(undefined)).toBeUndefined();
  });
});

const bytes = {
  requestSerialize: (value: Buffer) => value,
  requestDeserialize: (value: Buffer) => value,
  responseSerialize: (value: Buffer) => value,
  responseDeserialize: (value: Buffer) => value,
};
const Echo = { echo: { path: '/test.Echo/Echo', requestStream: false, responseStream: false, ...bytes } } as const;

describe('mTLS between a GrpcServer and its clients', () => {
  let server: GrpcServer;
  let address: string;
  const handled: (string | undefined)[] = [];

  beforeAll(async () => {
    server = new GrpcServer(createLogger('tls-test', { level: 'silent' })).addService(
      'test.Echo',
      Echo,
      {
        echo: async (request, ctx) => {
          handled.push(ctx.peer);
          return request;
        },
      },
      { echo: ['gatesrv'] },
    );
    address = await server.listen('127.0.0.1:0', GrpcTls.fromFiles(filesOf(pki, 'transrv'), 'transrv'));
  });
  afterAll(() => server.close(100));

  /** One raw call (no retries, no error mapping): the gRPC status the client sees. */
  function rawCall(creds: ReturnType<typeof credentials.createInsecure>, options = {}): Promise<number> {
    const client = new Client(address, creds, options);
    return new Promise<number>((resolve) => {
      client.makeUnaryRequest(
        Echo.echo.path,
        bytes.requestSerialize,
        bytes.responseDeserialize,
        Buffer.from('x'),
        { deadline: Date.now() + 3000 },
        (error: ServiceError | null) => resolve(error ? error.code : status.OK),
      );
    }).finally(() => client.close());
  }

  it('a client of the same CA gets through, and the server learns which service called', async () => {
    const gatesrv = GrpcTls.fromFiles(filesOf(pki, 'gatesrv'), 'gatesrv');
    const client = createClient(Echo, address, { tls: gatesrv.clientOf('transrv') });
    try {
      expect((await client.echo(Buffer.from('hi'))).toString()).toBe('hi');
    } finally {
      client.close();
    }
    expect(handled).toEqual(['gatesrv']);
  });

  it('plaintext, no certificate, a certificate of another CA, and a server of the wrong name are each refused', async () => {
    const before = handled.length;
    const gatesrv = GrpcTls.fromFiles(filesOf(pki, 'gatesrv'), 'gatesrv');
    const ca = gatesrv.clientOf('transrv');
    const caPem = readFileSync(join(pki, 'ca.pem'));
    expect(await rawCall(credentials.createInsecure())).toBe(status.UNAVAILABLE);
    expect(await rawCall(credentials.createSsl(caPem), ca.channelOptions)).toBe(status.UNAVAILABLE);
    const foreign = filesOf(other, 'gatesrv');
    expect(
      await rawCall(credentials.createSsl(caPem, readFileSync(foreign.keyFile), readFileSync(foreign.certFile)), ca.channelOptions),
    ).toBe(status.UNAVAILABLE);
    // The right client certificate, but the server is expected to be accountsrv: the client refuses transrv's.
    expect(await rawCall(gatesrv.clientOf('accountsrv').credentials, gatesrv.clientOf('accountsrv').channelOptions)).toBe(
      status.UNAVAILABLE,
    );
    // The control: the same raw call with the right credentials succeeds (the refusals above are not the harness).
    expect(await rawCall(ca.credentials, ca.channelOptions)).toBe(status.OK);
    expect(handled.length).toBe(before + 1);
  });
});

describe('per-method authorization by the caller certificate', () => {
  // Three methods: one for the gateway, one for other ledger nodes, and one the table lacks (deny by default).
  const Ledger = {
    balance: { ...Echo.echo, path: '/test.Ledger/Balance' },
    credit: { ...Echo.echo, path: '/test.Ledger/Credit' },
    unlisted: { ...Echo.echo, path: '/test.Ledger/Unlisted' },
  } as const;
  const table = { balance: ['gatesrv'], credit: ['transrv'] } as unknown as MethodCallers<typeof Ledger>;

  async function serve(tls: GrpcTls | undefined) {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('authz-test', {}, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const ran: string[] = [];
    const handler = (name: string) => async (request: Buffer) => {
      ran.push(name);
      return request;
    };
    const server = new GrpcServer(log).addService(
      'test.Ledger',
      Ledger,
      { balance: handler('balance'), credit: handler('credit'), unlisted: handler('unlisted') },
      table,
    );
    const address = await server.listen('127.0.0.1:0', tls);
    return { server, address, lines, ran };
  }

  /** What a call as `caller` ends with: OK or the wallet error code. */
  async function callAs(address: string, caller: string | undefined, method: keyof typeof Ledger): Promise<string> {
    const tls = caller === undefined ? undefined : GrpcTls.fromFiles(filesOf(pki, caller), caller).clientOf('transrv');
    const client = createClient(Ledger, address, {
      tls,
      retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0, retryableStatuses: [] },
    });
    try {
      await client[method](Buffer.from('x'));
      return 'OK';
    } catch (error) {
      return isWalletError(error) ? error.code : String(error);
    } finally {
      client.close();
    }
  }

  it('over mTLS lets through only the callers the table lists, refuses the rest before the handler with PEER_NOT_ALLOWED, and logs who tried what', async () => {
    const { server, address, lines, ran } = await serve(GrpcTls.fromFiles(filesOf(pki, 'transrv'), 'transrv'));
    try {
      expect(await callAs(address, 'gatesrv', 'balance')).toBe('OK');
      expect(await callAs(address, 'transrv', 'credit')).toBe('OK');
      // The gateway's certificate on the node-to-node method; a ledger node's on the gateway's.
      expect(await callAs(address, 'gatesrv', 'credit')).toBe('PEER_NOT_ALLOWED');
      expect(await callAs(address, 'transrv', 'balance')).toBe('PEER_NOT_ALLOWED');
      // A method missing from the table is closed to everyone.
      expect(await callAs(address, 'gatesrv', 'unlisted')).toBe('PEER_NOT_ALLOWED');
      expect(await callAs(address, 'transrv', 'unlisted')).toBe('PEER_NOT_ALLOWED');
      // A certificate of the CA for a name no table knows.
      expect(await callAs(address, 'stranger', 'balance')).toBe('PEER_NOT_ALLOWED');
      expect(ran).toEqual(['balance', 'credit']);
      const refusals = lines.filter((l) => l['msg'] === 'rpc refused: peer not allowed');
      expect(refusals.map((l) => [l['peer'], l['method']])).toEqual([
        ['gatesrv', '/test.Ledger/Credit'],
        ['transrv', '/test.Ledger/Balance'],
        ['gatesrv', '/test.Ledger/Unlisted'],
        ['transrv', '/test.Ledger/Unlisted'],
        ['stranger', '/test.Ledger/Balance'],
      ]);
      expect(refusals.every((l) => l['level'] === 40 && l['code'] === 'PEER_NOT_ALLOWED')).toBe(true);
    } finally {
      await server.close(100);
    }
  });

  it('over plaintext (no identity: the explicit dev opt-out) lets every call through, listed or not', async () => {
    const { server, address, ran } = await serve(undefined);
    try {
      expect(await callAs(address, undefined, 'balance')).toBe('OK');
      expect(await callAs(address, undefined, 'credit')).toBe('OK');
      expect(await callAs(address, undefined, 'unlisted')).toBe('OK');
      expect(ran).toEqual(['balance', 'credit', 'unlisted']);
    } finally {
      await server.close(100);
    }
  });

  it('a table naming a method the service does not have is refused when the service is added', () => {
    const log = createLogger('authz-test', { level: 'silent' });
    const typo = { echo: ['gatesrv'], ecoh: ['gatesrv'] } as unknown as MethodCallers<typeof Echo>;
    expect(() => new GrpcServer(log).addService('test.Echo', Echo, { echo: async (r) => r }, typo)).toThrow(/ecoh/);
  });
});

describe('mayCall', () => {
  it('allows only a listed caller of a listed method, never an unnamed caller or an inherited key', () => {
    const table = { credit: ['transrv'], closed: [] };
    expect(mayCall(table, 'credit', 'transrv')).toBe(true);
    expect(mayCall(table, 'credit', 'gatesrv')).toBe(false);
    expect(mayCall(table, 'credit', undefined)).toBe(false);
    expect(mayCall(table, 'closed', 'transrv')).toBe(false);
    expect(mayCall(table, 'missing', 'transrv')).toBe(false);
    expect(mayCall(table, 'toString', 'transrv')).toBe(false);
  });
});
