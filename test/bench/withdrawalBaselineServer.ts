// The withdrawals benchmark's baseline: one bare fastify process calling createWithdrawal from @wallet/withdrawals
// directly on the cluster's database (the same freeze, withdrawal row, audit event and outbox row in one MySQL
// transaction), with no signature check, no gateway idempotency cache, no gRPC hop and no relay to signsrv.
// Prints its URL as one JSON line, then serves until SIGTERM.
//
//   MYSQL_URL        the cluster's database
//   WALLET_ASSETS    the cluster's asset registry (JSON), so fees and minimums are the same
//   BENCH_CLIENT_ID  the exchange client the withdrawals are booked to (the accounts' owner)
import { assetRegistryEnv } from '@wallet/assets';
import { requestHash } from '@wallet/client-auth';
import { createDb } from '@wallet/db';
import { createWithdrawal } from '@wallet/withdrawals';
import Fastify from 'fastify';
import { serveUntilTerm } from './serveUntilTerm.js';

const db = createDb(process.env['MYSQL_URL']!);
const registry = assetRegistryEnv.parse(process.env['WALLET_ASSETS']);
const clientId = process.env['BENCH_CLIENT_ID']!;
const nodeOf = new Map<string, string>();
for (const row of await db('accounts').where({ client_id: clientId }).select<{ id: string; node_id: string }[]>('id', 'node_id'))
  nodeOf.set(row.id, row.node_id);

type Body = { raw: string; json: { asset: string; to: string; amount: string } };

const app = Fastify();
// The request hash is over the raw body bytes, as the gateway computes it: keep them next to the parsed JSON.
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, raw, done) => {
  try {
    done(null, { raw: raw as string, json: JSON.parse(raw as string) as Body['json'] });
  } catch (error) {
    done(error as Error, undefined);
  }
});
app.post<{ Params: { id: string }; Body: Body }>('/v1/accounts/:id/withdrawals', async (request, reply) => {
  const { raw, json } = request.body;
  const { withdrawal, created } = await createWithdrawal(db, nodeOf.get(request.params.id)!, registry, {
    clientId,
    idempotencyKey: String(request.headers['idempotency-key']),
    requestHash: requestHash({ method: 'POST', route: request.url, body: raw }),
    accountId: request.params.id,
    asset: json.asset,
    to: json.to,
    amount: BigInt(json.amount),
  });
  if (!created) void reply.header('idempotent-replayed', 'true');
  return reply.code(201).send({
    id: withdrawal.id,
    accountId: withdrawal.accountId,
    chain: withdrawal.chain,
    asset: withdrawal.asset,
    to: withdrawal.to,
    amount: withdrawal.amount.toString(),
    fee: withdrawal.fee.toString(),
    status: withdrawal.status,
    createdAt: withdrawal.createdAt.toISOString(),
    updatedAt: withdrawal.updatedAt.toISOString(),
  });
});
await serveUntilTerm(app, db);
