import { createHash } from 'node:crypto';
import { type Db } from '@wallet/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBalances } from './balances.js';
import { settleDeposits } from './deposits.js';
import { type NewPaymentRequest, createPaymentRequest, expirePaymentRequests, getPaymentRequest } from './paymentRequests.js';
import { createTestDatabase } from '@wallet/testkit';

// Payment requests against a real MariaDB: deposits credited by settleDeposits (the transrv settlement path) count
// for the request on their address, once, in the crediting transaction; expiry and late payments; reversals.

let db: Db;
let drop: () => Promise<void>;
const NODE = 't1';
const CLIENT = 'cli_pr';
let blocks = 0;
let seq = 0;

beforeAll(async () => {
  ({ db, drop } = await createTestDatabase());
});
afterAll(async () => drop());

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

function request(over: Partial<NewPaymentRequest> = {}): NewPaymentRequest {
  const n = ++seq;
  return {
    clientId: CLIENT,
    idempotencyKey: `pr-${n}`,
    requestHash: hash(`pr-${n}`),
    accountId: `acc_pr${n}`,
    asset: 'ETH',
    chain: 'eth',
    // Mixed case as accountsrv answers (EIP-55); deposits record it in lower case, as the scanner does.
    address: `0xAbC${n.toString(16).padStart(37, '0')}`,
    amount: 100n,
    expiresInSeconds: 3600,
    ...over,
  };
}

/** A deposit on `address` in a new canonical block; credited by the next settlement (1 confirmation). */
async function deposit(
  r: { accountId: string; address: string },
  amount: bigint,
  options: { asset?: string; seenAt?: Date; block?: boolean } = {},
): Promise<string> {
  const number = ++blocks;
  const blockHash = `0x${hash(`b${number}`)}`;
  await db('chain_blocks').insert({ chain: 'eth', number, hash: blockHash, parent_hash: `0x${hash(`b${number - 1}`)}` });
  const id = `dep_PR${String(number).padStart(24, '0')}`;
  await db('deposits').insert({
    id,
    chain: 'eth',
    txid: `0x${hash(`tx${number}`)}`,
    output_index: -1,
    asset: options.asset ?? 'ETH',
    address: r.address.toLowerCase(),
    account_id: r.accountId,
    client_id: CLIENT,
    node_id: NODE,
    amount: amount.toString(),
    block_number: number,
    block_hash: blockHash,
    status: 'pending',
    ...(options.seenAt ? { created_at: options.seenAt } : {}),
  });
  return id;
}

const settle = () => settleDeposits(db, NODE, () => 1);
const events = async (id: string) =>
  (await db('event_outbox').where({ resource_id: id }).orderBy('id').select<{ type: string; data: string }[]>('type', 'data')).map((e) => ({
    type: e.type,
    ...(JSON.parse(e.data) as { received: string; lateReceived: string; status: string; depositId: string | null }),
  }));

describe('payment requests', () => {
  it('counts two partial payments, then an overpayment, each once, with an event at each change; other assets do not count', async () => {
    const req = request();
    const { paymentRequest: pr, created } = await createPaymentRequest(db, NODE, req);
    expect(created).toBe(true);
    expect(pr).toMatchObject({ status: 'pending', received: 0n, amount: 100n, latePayment: false, nodeId: NODE });
    expect(pr.expiresAt.getTime() - pr.createdAt.getTime()).toBeGreaterThanOrEqual(3_599_000);

    const d1 = await deposit(req, 40n);
    await settle();
    expect(await getPaymentRequest(db, CLIENT, pr.id)).toMatchObject({ status: 'partially_paid', received: 40n });
    await deposit(req, 7n, { asset: 'USDT' });
    const d2 = await deposit(req, 60n);
    await settle();
    expect(await getPaymentRequest(db, CLIENT, pr.id)).toMatchObject({ status: 'paid', received: 100n });
    const d3 = await deposit(req, 5n);
    await settle();
    await settle(); // nothing left to credit: nothing counted twice
    const after = await getPaymentRequest(db, CLIENT, pr.id);
    expect(after).toMatchObject({ status: 'overpaid', received: 105n, lateReceived: 0n });
    expect(after.paidAt).not.toBeNull();
    const [eth] = await getBalances(db, req.accountId, ['ETH']);
    expect(eth!.available).toBe(105n);
    expect((await events(pr.id)).map((e) => [e.type, e.received, e.depositId])).toEqual([
      ['payment_request.created', '0', null],
      ['payment_request.partially_paid', '40', d1],
      ['payment_request.paid', '100', d2],
      ['payment_request.overpaid', '105', d3],
    ]);
    const [{ n }] = (await db('payment_request_payments').where({ payment_request_id: pr.id }).count({ n: '*' })) as [{ n: string }];
    expect(Number(n)).toBe(3);
  });

  it('is idempotent on the key: the same body answers the first request, another body is refused', async () => {
    const req = request();
    const first = await createPaymentRequest(db, NODE, req);
    const again = await createPaymentRequest(db, NODE, { ...req, address: '0xfeed' });
    expect(again).toEqual({ paymentRequest: first.paymentRequest, created: false });
    await expect(createPaymentRequest(db, NODE, { ...req, requestHash: hash('other') })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    await expect(getPaymentRequest(db, 'cli_other', first.paymentRequest.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('expires unpaid requests past their deadline; a payment seen after it is credited and flagged, the status kept', async () => {
    const req = request({ expiresInSeconds: 1 });
    const { paymentRequest: pr } = await createPaymentRequest(db, NODE, req);
    await deposit(req, 30n);
    await settle();
    expect(await expirePaymentRequests(db, NODE)).toBe(0); // not due yet
    await new Promise((r) => setTimeout(r, 1100));
    expect(await expirePaymentRequests(db, NODE)).toBe(1);
    expect(await getPaymentRequest(db, CLIENT, pr.id)).toMatchObject({ status: 'expired', received: 30n });
    expect(await expirePaymentRequests(db, NODE)).toBe(0);

    await deposit(req, 70n);
    await settle();
    const late = await getPaymentRequest(db, CLIENT, pr.id);
    expect(late).toMatchObject({ status: 'expired', received: 30n, lateReceived: 70n, latePayment: true });
    const [eth] = await getBalances(db, req.accountId, ['ETH']);
    expect(eth!.available).toBe(100n);
    expect((await events(pr.id)).map((e) => e.type)).toEqual([
      'payment_request.created',
      'payment_request.partially_paid',
      'payment_request.expired',
      'payment_request.late_payment',
    ]);
  });

  it('does not expire a request while a payment seen in time awaits its confirmations; once credited it pays it', async () => {
    const req = request({ expiresInSeconds: 1 });
    const { paymentRequest: pr } = await createPaymentRequest(db, NODE, req);
    await deposit(req, 100n, { seenAt: new Date(pr.expiresAt.getTime() - 500) });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await expirePaymentRequests(db, NODE)).toBe(0);
    await settle();
    expect(await getPaymentRequest(db, CLIENT, pr.id)).toMatchObject({ status: 'paid', received: 100n, latePayment: false });
    expect(await expirePaymentRequests(db, NODE)).toBe(0);
  });

  it('takes back a payment whose deposit is reversed after its block left the chain', async () => {
    const req = request();
    const { paymentRequest: pr } = await createPaymentRequest(db, NODE, req);
    await deposit(req, 50n);
    const d2 = await deposit(req, 50n);
    await settle();
    expect(await getPaymentRequest(db, CLIENT, pr.id)).toMatchObject({ status: 'paid', received: 100n });
    // What the scanner does when the credited deposit's block is dropped.
    await db('deposits').where({ id: d2 }).update({ status: 'reversal_pending' });
    await settle();
    const back = await getPaymentRequest(db, CLIENT, pr.id);
    expect(back).toMatchObject({ status: 'partially_paid', received: 50n, paidAt: null });
    const last = (await events(pr.id)).at(-1)!;
    expect(last).toMatchObject({ type: 'payment_request.payment_reversed', status: 'partially_paid', received: '50', depositId: d2 });
    await settle();
    expect((await getPaymentRequest(db, CLIENT, pr.id)).received).toBe(50n);
  });
});
