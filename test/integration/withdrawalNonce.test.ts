import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANVIL_CHAIN_ID } from '../contracts/deploy.js';
import { type WithdrawalView, WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';
import { type AnvilProcess, startAnvil } from '@wallet/testkit';

// Issue 11 item 2: the chain forgets a settled withdrawal's transaction (a reorg raced mining on the dev chain and
// the node's history went back) without the scanner noticing: the hot wallet's nonce on chain falls back below a
// nonce signsrv knows was mined, the destination has nothing although the books say confirmed, and every later
// withdrawal waits behind the gap in the pool. signsrv must raise `nonce_behind_chain` and `settled_receipt_missing`
// and send the very same signed transaction again until the chain's nonce passes it.
//
// The chain is rewound (evm_snapshot / evm_revert), so this test runs its own anvil: the stack's is shared.

let anvil: AnvilProcess;
let world: WithdrawalWorld;
const AMOUNT = 10n ** 16n;
const ETH_FEE = 100000000000000n;

beforeAll(async () => {
  anvil = await startAnvil({ chainId: ANVIL_CHAIN_ID });
  world = await WithdrawalWorld.start({
    chainRpc: { eth: anvil.rpcUrl },
    extraEnv: {
      WALLET_CHAIN_WS: JSON.stringify({ eth: `ws://127.0.0.1:${anvil.port}` }),
      // Ask for settled receipts on every pass here (a minute in production).
      SIGNSRV_RECEIPT_CHECK_MS: '500',
    },
  });
});

afterAll(async () => {
  if (world) expect(await world.fixtures.invariants()).toEqual([]);
  await world?.stop();
  await anvil?.stop();
});

type Alert = { kind: string; withdrawalId: string | null; details: Record<string, unknown> };

/** signsrv's alarms through its API (GET /v1/alerts), newest first. */
async function apiAlerts(): Promise<Alert[]> {
  const res = await world.signsrv.send<{ data: Alert[] }>('GET', '/v1/alerts?limit=200');
  expect(res.status).toBe(200);
  return res.body.data;
}

async function requested(account: string, to: string): Promise<WithdrawalView> {
  const res = await world.withdraw(account, { asset: 'ETH', to, amount: AMOUNT.toString() });
  expect(res.status).toBe(201);
  await world.signsrv.received(res.body.id);
  return res.body;
}

describe('the chain forgets a settled withdrawal', () => {
  it('alarms (nonce behind, receipt missing), re-sends the same signed transaction, pays once; later ones proceed', async () => {
    const account = await world.fundedAccount({ ETH: 3n * (AMOUNT + ETH_FEE) });
    const first = await requested(account, WithdrawalWorld.freshAddress());

    // The chain as it was before the withdrawal's transaction: to be put back once the books have settled it.
    const snapshot = await world.provider.send('evm_snapshot', []);
    expect((await world.signsrv.approve(first.id)).status).toBe(200);
    const settled = await world.waitStatus(first.id, 'confirmed');
    const txid = settled.txid!;
    const [tx] = await world.txsOf(first.id);
    expect(tx).toMatchObject({ txid, attempt: 0 });
    const stored = (await world.fixtures.db('withdrawal_txs').where({ txid }).first<{ raw: string } | undefined>('raw'))?.raw;
    expect(stored).toMatch(/^0x02/);
    expect(await world.provider.getBalance(first.to)).toBe(AMOUNT);

    // The node's history goes back: the transaction is gone, the hot wallet's nonce with it; the scanner is ahead of
    // the chain and notices nothing until the chain grows past it.
    expect(await world.provider.send('evm_revert', [snapshot])).toBe(true);
    expect(await world.provider.getTransactionReceipt(txid)).toBeNull();
    expect(await world.provider.getTransaction(txid)).toBeNull();
    expect(await world.provider.getTransactionCount(world.hotWallet, 'latest')).toBe(tx!.nonce);
    expect(await world.provider.getBalance(first.to)).toBe(0n);

    // Later withdrawals are signed with the next nonces and wait behind the gap.
    const later = [await requested(account, WithdrawalWorld.freshAddress()), await requested(account, WithdrawalWorld.freshAddress())];
    for (const w of later) expect((await world.signsrv.approveSigned(w.id)).status).toBe(200);
    for (const [i, w] of later.entries()) expect((await world.txsOf(w.id))[0]!.nonce).toBe(tx!.nonce + 1 + i);

    // Both alarms, served by signsrv's alerts API.
    const alarmed = await waitFor(
      'nonce_behind_chain and settled_receipt_missing',
      async () => {
        const alerts = (await apiAlerts()).filter((a) => a.withdrawalId === first.id);
        const behind = alerts.find((a) => a.kind === 'nonce_behind_chain');
        const missing = alerts.find((a) => a.kind === 'settled_receipt_missing');
        return behind && missing ? { behind, missing } : undefined;
      },
      60_000,
    );
    expect(alarmed.behind.details).toMatchObject({ chain: 'eth', nonce: tx!.nonce, txid, status: 'confirmed' });
    expect(alarmed.missing.details).toMatchObject({ chain: 'eth', txid });

    // The same signed transaction is mined again (same txid: the same bytes), and the queue behind it drains.
    const receipt = await waitFor(
      'the same transaction mined again',
      async () => (await world.provider.getTransactionReceipt(txid)) ?? undefined,
      60_000,
    );
    expect(receipt.from).toBe(world.hotWallet);
    expect(await world.provider.send('eth_getRawTransactionByHash', [txid])).toBe(stored);
    for (const w of later) await world.waitStatus(w.id, 'confirmed');

    // Paid exactly once; nothing new was signed for it; the books still say confirmed.
    expect(await world.provider.getBalance(first.to)).toBe(AMOUNT);
    for (const w of later) expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
    expect(await world.txsOf(first.id)).toEqual([tx]);
    expect(await world.minedTxCount(first.id)).toBe(1);
    expect((await world.get(first.id)).status).toBe('confirmed');
    expect(await world.provider.getTransactionCount(world.hotWallet, 'latest')).toBe(tx!.nonce + 3);
    // One alarm each, however many passes saw the condition.
    expect(await world.alerts('nonce_behind_chain', first.id)).toHaveLength(1);
    expect(await world.alerts('settled_receipt_missing', first.id)).toHaveLength(1);
  });
});
