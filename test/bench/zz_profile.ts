import { randomUUID } from 'node:crypto';
import { signRequest } from '@wallet/client-auth';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { ApiClient } from '../harness/ApiClient.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { runLoad } from './loadGenerator.js';
process.env['WALLET_RUN_FROM'] = 'dist';
const cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '1000000' } });
const fx = new LedgerFixtures(cluster.database);
const creds = await createApiClient(cluster, 'p');
const api = new ApiClient(cluster.gatewayUrl, creds);
const acc: string[] = [];
for (let i = 0; i < 64; i++) {
  const r = await api.post<{ id: string }>('/v1/accounts', { externalId: 'b' + i });
  acc.push(r.body.id);
  await fx.fund(r.body.id, 'ETH', 10n ** 20n);
}
const mode = process.argv[2] ?? 'balances';
const next = () => {
  if (mode === 'balances') {
    const path = `/v1/accounts/${acc[Math.floor(Math.random() * 64)]}/balances`;
    return {
      method: 'GET',
      path,
      headers: { ...signRequest({ keyId: creds.keyId, secret: creds.secret, method: 'GET', pathWithQuery: path }) },
    };
  }
  const body = JSON.stringify({
    from: acc[Math.floor(Math.random() * 32)],
    to: acc[32 + Math.floor(Math.random() * 32)],
    asset: 'ETH',
    amount: '1',
  });
  return {
    method: 'POST',
    path: '/v1/transfers',
    body,
    headers: {
      ...signRequest({ keyId: creds.keyId, secret: creds.secret, method: 'POST', pathWithQuery: '/v1/transfers', body }),
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
    },
  };
};
await runLoad(cluster.gatewayUrl, 64, 2, next);
console.log('START', Date.now());
const r = await runLoad(cluster.gatewayUrl, 64, 8, next);
console.log(mode, r.rps.toFixed(0), 'p50', r.p50Ms.toFixed(1), 'p99', r.p99Ms.toFixed(1));
await fx.close();
await cluster.stop();
