// The benchmark's baseline: one bare fastify process doing the same SQL as the cluster (the same ledger
// functions on the same database), with no signing, no gateway, no gRPC hop. Prints its URL, then serves.
import { createDb } from '@wallet/db';
import { completeTransfer, createTransfer, creditTransfer, getBalances } from '@wallet/ledger';
import Fastify from 'fastify';
import { serveUntilTerm } from './serveUntilTerm.js';

const db = createDb(process.env['MYSQL_URL']!);
const assets = ['BTC', 'ETH', 'LTC'];
const nodeOf = new Map<string, string>();
for (const row of await db('accounts').select<{ id: string; node_id: string }[]>('id', 'node_id')) nodeOf.set(row.id, row.node_id);

const app = Fastify();
app.get<{ Params: { id: string } }>('/v1/accounts/:id/balances', async (request) => {
  const balances = await getBalances(db, request.params.id, assets);
  return {
    data: balances.map((b) => ({
      asset: b.asset,
      available: b.available.toString(),
      frozen: b.frozen.toString(),
      pending: b.pending.toString(),
    })),
  };
});
app.post<{ Body: { from: string; to: string; asset: string; amount: string } }>('/v1/transfers', async (request, reply) => {
  const body = request.body;
  const fromNode = nodeOf.get(body.from)!;
  const toNode = nodeOf.get(body.to)!;
  const key = String(request.headers['idempotency-key']);
  const { transfer } = await createTransfer(db, fromNode, {
    clientId: 'bench',
    idempotencyKey: key,
    requestHash: '0'.repeat(64),
    fromAccountId: body.from,
    toAccountId: body.to,
    toNodeId: toNode,
    asset: body.asset,
    amount: BigInt(body.amount),
  });
  if (transfer.status === 'pending_credit') {
    await creditTransfer(db, toNode, {
      transferId: transfer.id,
      fromNodeId: fromNode,
      toAccountId: body.to,
      asset: body.asset,
      amount: transfer.amount,
    });
    await completeTransfer(db, transfer.id);
  }
  return reply.code(201).send({ id: transfer.id, status: 'completed' });
});
await serveUntilTerm(app, db);
