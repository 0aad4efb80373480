import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Client, type ChannelCredentials, type ServiceError, credentials, status } from '@grpc/grpc-js';
import { type Db, createDb } from '@wallet/db';
import { AccountServiceService } from '@wallet/proto';
import { type PromiseClient, createClient } from '@wallet/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ensureDevPki, grpcTlsEnv } from '../harness/Cluster.js';
import { repoRoot } from '../harness/repoRoot.js';
import { mysqlUrl } from '../harness/stackEnv.js';

// gRPC mTLS on a real cluster (issue 18): every service's gRPC port refuses callers without a certificate of the
// cluster's CA, before any handler runs; a service refuses to start with a partial TLS config or, in prod, without one.

let cluster: Cluster;
let db: Db;
let accountsrvAddress: string;
let api: PromiseClient<typeof AccountServiceService>;

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1'] });
  expect(cluster.grpcTlsDir).toBeDefined();
  db = createDb(mysqlUrl(cluster.database), { poolMin: 0, poolMax: 2 });
  accountsrvAddress = String((await cluster.process('accountsrv').ready())['address']);
  api = createClient(AccountServiceService, accountsrvAddress, { tls: cluster.grpcClientTls('accountsrv') });
});

afterAll(async () => {
  api?.close();
  await db?.destroy();
  await cluster?.stop();
});

/** One createAccount call with raw grpc-js credentials (no retries, no error mapping): the gRPC status it ended with. */
function rawCreateAccount(creds: ChannelCredentials, clientId: string, externalId: string): Promise<number> {
  const client = new Client(accountsrvAddress, creds, { 'grpc.ssl_target_name_override': 'accountsrv.wallet.internal' });
  const method = AccountServiceService.createAccount;
  return new Promise<number>((resolve) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      { clientId, externalId, idempotencyKey: '' },
      { deadline: Date.now() + 5000 },
      (error: ServiceError | null) => resolve(error ? error.code : status.OK),
    );
  }).finally(() => client.close());
}

describe('gRPC over mTLS', () => {
  it('the cluster runs over mTLS: the gateway reaches accountsrv and transrv, and servers know who calls', async () => {
    // Every service said so at start.
    for (const p of cluster.processes.values()) expect(p.lines.some((l) => l.msg === 'grpc mtls')).toBe(true);
    // gatesrv -> accountsrv and transrv: /healthz checks each over gRPC with gatesrv's certificate.
    const health = await fetch(`${cluster.gatewayUrl}/healthz`);
    expect({ status: health.status, body: await health.json() }).toEqual({ status: 200, body: { status: 'ok' } });
    const { client } = await api.createClient({ name: 'mtls-e2e' });
    const { account, created } = await api.createAccount({ clientId: client!.id, externalId: 'e2e-1', idempotencyKey: '' });
    expect(created).toBe(true);
    expect(account!.nodeId).toBe('t1');
    // accountsrv's line for the call names the caller from its certificate.
    const line = await cluster.process('accountsrv').waitForLog((l) => l.msg === 'rpc' && String(l['method']).endsWith('/CreateAccount'));
    expect(line).toMatchObject({ peer: 'walletctl', code: 'OK' });
  });

  it('a plaintext client, a client without a certificate and one with another CA are refused, and nothing is done', async () => {
    const { client } = await api.createClient({ name: 'mtls-refusals' });
    const clientId = client!.id;
    const dir = cluster.grpcTlsDir!;
    const ca = readFileSync(join(dir, 'ca.pem'));
    // Another CA with the same service names (so only the issuer differs).
    const otherDir = ensureDevPki(join(repoRoot, '.stack', 'test-pki-other-ca'), ['walletctl']);
    const other = grpcTlsEnv(otherDir, 'walletctl');
    const accountsOf = async () => (await db('accounts').where({ client_id: clientId }).count({ n: '*' }))[0]!['n'];

    expect(await rawCreateAccount(credentials.createInsecure(), clientId, 'plain')).toBe(status.UNAVAILABLE);
    expect(await rawCreateAccount(credentials.createSsl(ca), clientId, 'no-cert')).toBe(status.UNAVAILABLE);
    const foreign = credentials.createSsl(ca, readFileSync(other['GRPC_TLS_KEY_FILE']!), readFileSync(other['GRPC_TLS_CERT_FILE']!));
    expect(await rawCreateAccount(foreign, clientId, 'other-ca')).toBe(status.UNAVAILABLE);
    expect(Number(await accountsOf())).toBe(0);
    const handled = cluster.process('accountsrv').lines.filter((l) => l.msg === 'rpc' && String(l['method']).endsWith('/CreateAccount'));

    // The control: the same raw call with this cluster's certificate creates the account.
    const own = grpcTlsEnv(dir, 'walletctl');
    const good = credentials.createSsl(ca, readFileSync(own['GRPC_TLS_KEY_FILE']!), readFileSync(own['GRPC_TLS_CERT_FILE']!));
    expect(await rawCreateAccount(good, clientId, 'good')).toBe(status.OK);
    expect(Number(await accountsOf())).toBe(1);
    // No handler ran for the refused calls: the only new CreateAccount line is the control's.
    await cluster
      .process('accountsrv')
      .waitForLog((l) => l.msg === 'rpc' && String(l['method']).endsWith('/CreateAccount') && !handled.includes(l));
    const after = cluster.process('accountsrv').lines.filter((l) => l.msg === 'rpc' && String(l['method']).endsWith('/CreateAccount'));
    expect(after.length).toBe(handled.length + 1);
  });

  it('a partial TLS config, and no TLS in prod, are refused at start with CONFIG_INVALID', async () => {
    const refused = async (label: string, env: Record<string, string>) => {
      const p = cluster.spawnRaw('accountsrv', label, env);
      expect(await p.exited).toBe(1);
      return p.lines.find((l) => l.msg.includes('invalid configuration'));
    };
    const partial = await refused('accountsrv-partial-tls', { GRPC_TLS_KEY_FILE: '' });
    expect(partial).toMatchObject({ code: 'CONFIG_INVALID', details: { variables: ['GRPC_TLS_KEY_FILE'] } });
    const prod = await refused('accountsrv-prod-plaintext', {
      WALLET_ENV: 'prod',
      GRPC_TLS_CA_FILE: '',
      GRPC_TLS_CERT_FILE: '',
      GRPC_TLS_KEY_FILE: '',
    });
    expect(prod).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { variables: ['GRPC_TLS_CA_FILE', 'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE'] },
    });
    // Another service's certificate is refused at start too (its clients would refuse the name).
    const wrong = await refused('accountsrv-wrong-cert', grpcTlsEnv(cluster.grpcTlsDir!, 'transrv'));
    expect(wrong).toMatchObject({ code: 'CONFIG_INVALID', details: { variables: ['GRPC_TLS_CERT_FILE'] } });
  });
});
