import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { Client, type ChannelCredentials, type ServiceError, credentials, status } from '@grpc/grpc-js';
import { type Db, createDb } from '@wallet/db';
import { isWalletError } from '@wallet/errors';
import { AccountServiceService, TransServiceService } from '@wallet/proto';
import { type PromiseClient, createClient } from '@wallet/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ensureDevPki, grpcTlsEnv } from '../harness/Cluster.js';
import { repoRoot } from '../harness/repoRoot.js';
import { mysqlUrl } from '../harness/stackEnv.js';

// gRPC mTLS on a real cluster (issue 18): every service's gRPC port refuses callers without a certificate of the
// cluster's CA, before any handler runs; a service refuses to start with a partial TLS config or, in prod, without one.
// Past the handshake, each method is open only to the callers its service's authorization table lists.

let cluster: Cluster;
let db: Db;
let accountsrvAddress: string;
/** accountsrv as walletctl calls it (operator methods). */
let api: PromiseClient<typeof AccountServiceService>;
/** accountsrv as the gateway calls it (the client API). */
let gateApi: PromiseClient<typeof AccountServiceService>;

beforeAll(async () => {
  cluster = await Cluster.start({ transrvNodes: ['t1'] });
  expect(cluster.grpcTlsDir).toBeDefined();
  db = createDb(mysqlUrl(cluster.database), { poolMin: 0, poolMax: 2 });
  accountsrvAddress = String((await cluster.process('accountsrv').ready())['address']);
  api = createClient(AccountServiceService, accountsrvAddress, { tls: cluster.grpcClientTls('accountsrv') });
  gateApi = createClient(AccountServiceService, accountsrvAddress, { tls: cluster.grpcClientTls('accountsrv', 'gatesrv') });
});

afterAll(async () => {
  api?.close();
  gateApi?.close();
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
    const { account, created } = await gateApi.createAccount({ clientId: client!.id, externalId: 'e2e-1', idempotencyKey: '' });
    expect(created).toBe(true);
    expect(account!.nodeId).toBe('t1');
    // accountsrv's lines for the calls name the caller from its certificate.
    const process = cluster.process('accountsrv');
    expect(await process.waitForLog((l) => l.msg === 'rpc' && String(l['method']).endsWith('/CreateClient'))).toMatchObject({
      peer: 'walletctl',
      code: 'OK',
    });
    expect(await process.waitForLog((l) => l.msg === 'rpc' && String(l['method']).endsWith('/CreateAccount'))).toMatchObject({
      peer: 'gatesrv',
      code: 'OK',
    });
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

    // The control: the same raw call with this cluster's gateway certificate creates the account.
    const own = grpcTlsEnv(dir, 'gatesrv');
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

  it('a certificate of the CA is refused with PEER_NOT_ALLOWED on a method its service may not call, logged, nothing done', async () => {
    const { client } = await api.createClient({ name: 'mtls-authz' });
    const clientId = client!.id;
    const { account } = await gateApi.createAccount({ clientId, externalId: 'authz-1', idempotencyKey: '' });
    const transrvAddress = String((await cluster.process('transrv-t1').ready())['address']);
    const ledgerAs = (as: string) => createClient(TransServiceService, transrvAddress, { tls: cluster.grpcClientTls('transrv', as) });
    const codeOf = (call: Promise<unknown>) =>
      call.then(
        () => 'OK',
        (error: unknown) => (isWalletError(error) ? error.code : String(error)),
      );
    const gate = ledgerAs('gatesrv');
    const operator = ledgerAs('walletctl');
    try {
      // A stolen gateway certificate cannot credit an account through the node-to-node leg of a transfer.
      const credit = {
        transferId: 'tr_authz_1',
        fromNodeId: 't2',
        toAccountId: account!.id,
        asset: 'ETH',
        amount: '1000',
        withdrawalId: '',
        withdrawalChain: '',
        withdrawalAddress: '',
      };
      expect(await codeOf(gate.creditTransfer(credit))).toBe('PEER_NOT_ALLOWED');
      // Nor issue an API key (walletctl's), nor read a key's secret as walletctl (the gateway's lookup).
      expect(await codeOf(gateApi.createClientKey({ clientId, scopes: ['read'], allowedCidrs: [] }))).toBe('PEER_NOT_ALLOWED');
      expect(await codeOf(api.getClientCredentials({ keyId: 'nobody' }))).toBe('PEER_NOT_ALLOWED');
      // walletctl does not call ledger nodes at all.
      expect(await codeOf(operator.getBalances({ accountId: account!.id }))).toBe('PEER_NOT_ALLOWED');
      // The control: the gateway's own method on the same node, with the same certificate, is answered.
      expect(await codeOf(gate.getBalances({ accountId: account!.id }))).toBe('OK');
    } finally {
      gate.close();
      operator.close();
    }
    // Nothing was done: no credit, no key.
    expect(await db('transfer_credits').where({ transfer_id: 'tr_authz_1' }).first()).toBeUndefined();
    expect(Number((await db('client_keys').where({ client_id: clientId }).count({ n: '*' }))[0]!['n'])).toBe(1);
    // Each refusal is logged by the refusing server with who tried what.
    const refused = async (service: string, last: string) => {
      const isRefusal = (l: { msg: string; [k: string]: unknown }) => l.msg === 'rpc refused: peer not allowed';
      await cluster.process(service).waitForLog((l) => isRefusal(l) && String(l['method']).endsWith(`/${last}`));
      return cluster
        .process(service)
        .lines.filter(isRefusal)
        .map((l) => [l['peer'], String(l['method']).split('/').pop()]);
    };
    expect(await refused('transrv-t1', 'GetBalances')).toEqual([
      ['gatesrv', 'CreditTransfer'],
      ['walletctl', 'GetBalances'],
    ]);
    expect(await refused('accountsrv', 'GetClientCredentials')).toEqual([
      ['gatesrv', 'CreateClientKey'],
      ['walletctl', 'GetClientCredentials'],
    ]);
  });

  it("an internal withdrawal's credit from a transrv peer: its chain must be the asset's; without chain and address it must be backed by a withdrawal row", async () => {
    const { client } = await api.createClient({ name: 'mtls-internal-credit' });
    const { account } = await gateApi.createAccount({ clientId: client!.id, externalId: 'credit-1', idempotencyKey: '' });
    const node = String(account!.nodeId);
    const address = String((await cluster.process(`transrv-${node}`).ready())['address']);
    const peer = createClient(TransServiceService, address, { tls: cluster.grpcClientTls('transrv', 'transrv') });
    const credit = (transferId: string, fields: { withdrawalChain: string; withdrawalAddress: string }) =>
      peer.creditTransfer({
        transferId,
        fromNodeId: node === 't1' ? 't2' : 't1',
        toAccountId: account!.id,
        asset: 'ETH',
        amount: '1000',
        withdrawalId: 'wd_01M00000000000000000000000',
        ...fields,
      });
    const codeOf = (call: Promise<unknown>) =>
      call.then(
        () => 'OK',
        (error: unknown) => (isWalletError(error) ? error.code : String(error)),
      );
    try {
      // The paying node names the chain the withdrawal was made on: ETH is not an asset of ltc.
      expect(await codeOf(credit('tr_credit_1', { withdrawalChain: 'ltc', withdrawalAddress: '0x' + '11'.repeat(20) }))).toBe(
        'VALIDATION_FAILED',
      );
      // A sender that predates the fields: the receiver checks the withdrawal row itself, and there is none.
      expect(await codeOf(credit('tr_credit_2', { withdrawalChain: '', withdrawalAddress: '' }))).toBe('CONFLICT');
    } finally {
      peer.close();
    }
    expect(await db('transfer_credits').whereIn('transfer_id', ['tr_credit_1', 'tr_credit_2'])).toEqual([]);
    expect(await db('deposits').where({ account_id: account!.id })).toEqual([]);
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
