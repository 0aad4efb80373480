import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { blockoutKeys } from '@wallet/withdrawal-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FalseReturningToken,
  type TestToken,
  anvilDeployer,
  anvilProvider,
  deployFalseReturningToken,
  deployGate,
  deployTaxedToken,
  mined,
} from '../contracts/deploy.js';
import { ensureSignerSecrets } from '../harness/Cluster.js';
import { WithdrawalWorld, hotWalletOf } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

// signsrv's sender when things go wrong: transactions stuck behind each other, fees at the cap, a node that refuses
// what was signed, destinations that refuse payment, rows or Redis entries altered after signing, tokens that do
// not move what they say, a new hot wallet key, and a reorg deeper than a settled withdrawal's confirmations.
// Real anvil (automine switched off where a transaction must stay unmined), real cluster processes.

let world: WithdrawalWorld;
let falsy: FalseReturningToken;
let taxed: TestToken;
let otherSecrets: string;
const AMOUNT = 10n ** 16n;
const ETH_FEE = 100000000000000n;
const TOKEN_FEE = 100000n;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // Tokens the hot wallet pays with are deployed before the cluster, so they can be listed in its registry.
  const mnemonic = generateMnemonic(wordlist, 128);
  const deployer = anvilDeployer(anvilProvider());
  falsy = await deployFalseReturningToken(deployer, { name: 'Falsy', symbol: 'FALSY', decimals: 6 });
  taxed = await deployTaxedToken(deployer, { name: 'Taxed', symbol: 'TAX', decimals: 6 });
  await mined(falsy.mint(hotWalletOf(mnemonic), 10n ** 12n));
  await mined(taxed.mint(hotWalletOf(mnemonic), 10n ** 12n));
  world = await WithdrawalWorld.start({ transrvNodes: ['t1'], ttlSeconds: 3, mnemonic }, [
    { id: 'FALSY', contract: await falsy.getAddress() },
    { id: 'TAX', contract: await taxed.getAddress() },
  ]);
  otherSecrets = mkdtempSync(join(tmpdir(), 'wallet-other-key-'));
});

afterAll(async () => {
  if (world) {
    await world.provider.send('evm_setAutomine', [true]);
    expect(await world.fixtures.invariants()).toEqual([]);
  }
  await world?.stop();
  if (otherSecrets) rmSync(otherSecrets, { recursive: true, force: true });
});

async function restartSignsrv(env: Record<string, string> = {}): Promise<void> {
  await world.cluster.process('signsrv').stop('SIGKILL');
  await world.cluster.startSignsrv(env);
}

/** A withdrawal of `amount` from a fresh funded account, received by signsrv. */
async function requested(asset: string, amount: bigint, to = WithdrawalWorld.freshAddress()) {
  const fee = asset === 'ETH' ? ETH_FEE : TOKEN_FEE;
  const account = await world.fundedAccount({ [asset]: amount + fee });
  const res = await world.withdraw(account, { asset, to, amount: amount.toString() });
  expect(res.status).toBe(201);
  await world.signsrv.received(res.body.id);
  return { id: res.body.id, account, to, funded: amount + fee };
}

/** Runs `body` with anvil's automine off: sent transactions stay in the pool until it is switched back on. */
async function withAutomineOff(body: () => Promise<void>): Promise<void> {
  await world.provider.send('evm_setAutomine', [false]);
  try {
    await body();
  } finally {
    await world.provider.send('evm_setAutomine', [true]);
  }
}

const inPool = (txid: string) =>
  waitFor(`${txid} in the pool`, async () => ((await world.provider.getTransaction(txid)) ? true : undefined));

describe('stuck transactions', () => {
  it('only the lowest unmined nonce is bumped; the transactions behind it wait for it and are not bumped', async () => {
    await restartSignsrv({ SIGNSRV_BUMP_AFTER_MS: '1500', SIGNSRV_REBROADCAST_MS: '600000' });
    const a = await requested('ETH', AMOUNT);
    const b = await requested('ETH', AMOUNT);
    await withAutomineOff(async () => {
      expect((await world.signsrv.approveSigned(a.id)).status).toBe(200);
      expect((await world.signsrv.approveSigned(b.id)).status).toBe(200);
      const [txA] = await world.txsOf(a.id);
      const [txB] = await world.txsOf(b.id);
      expect(txB!.nonce).toBe(txA!.nonce + 1);
      await waitFor('A replaced', async () => ((await world.txsOf(a.id)).length >= 2 ? true : undefined));
      // B has been stuck as long as A, but behind it: two more bump periods, and still its first transaction.
      await sleep(3500);
      expect(await world.txsOf(b.id)).toHaveLength(1);
    });
    await world.mine(1);
    for (const w of [a, b]) {
      await world.waitStatus(w.id, 'confirmed');
      expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
      expect(await world.minedTxCount(w.id)).toBe(1);
    }
  });

  it('at the fee cap a stuck transaction is not replaced, and it is still sent again when the node drops it', async () => {
    // A cap just above what the chain asks now: the first transaction already offers all of it.
    const block = (await world.provider.getBlock('latest'))!;
    const cap = block.baseFeePerGas! * 2n + 1n;
    await restartSignsrv({
      SIGNSRV_BUMP_AFTER_MS: '1000',
      SIGNSRV_REBROADCAST_MS: '1000',
      SIGNSRV_MAX_FEE_PER_GAS: JSON.stringify({ eth: cap.toString() }),
    });
    const w = await requested('ETH', AMOUNT);
    await withAutomineOff(async () => {
      const approved = await world.signsrv.approveSigned(w.id);
      expect(approved.status).toBe(200);
      const txid = approved.body.txid!;
      await inPool(txid);
      await sleep(2500); // past bumpAfter: a bump would be due, but the cap leaves no room
      expect(await world.txsOf(w.id)).toHaveLength(1);
      await world.provider.send('anvil_dropTransaction', [txid]);
      expect(await world.provider.getTransaction(txid)).toBeNull();
      await inPool(txid); // sent again, as it is
      expect(await world.txsOf(w.id)).toHaveLength(1);
    });
    await world.mine(1);
    await world.waitStatus(w.id, 'confirmed');
    expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
    await restartSignsrv();
  });

  it('a replacement the node refuses (the hot wallet cannot pay the higher fee) leaves the original sent; it confirms', async () => {
    await restartSignsrv({ SIGNSRV_BUMP_AFTER_MS: '1000', SIGNSRV_REBROADCAST_MS: '1000' });
    const w = await requested('ETH', AMOUNT);
    const balance = await world.provider.getBalance(world.hotWallet);
    try {
      await withAutomineOff(async () => {
        const approved = await world.signsrv.approveSigned(w.id);
        const txid = approved.body.txid!;
        await inPool(txid);
        const original = (await world.provider.getTransaction(txid))!;
        // Enough for the original at its fee cap, not for a replacement 25 % dearer.
        const gas = original.gasLimit * original.maxFeePerGas!;
        await world.provider.send('anvil_setBalance', [world.hotWallet, `0x${(AMOUNT + (gas * 11n) / 10n).toString(16)}`]);
        const replacement = await waitFor('a replacement signed', async () => (await world.txsOf(w.id))[1]);
        const alarm = await world.waitAlert('send_refused', w.id, (d) => d['txid'] === replacement.txid);
        expect(alarm['cause']).toBe('insufficient_hot_wallet_funds');
        // The node forgets the original: it is sent again, though a replacement exists.
        await world.provider.send('anvil_dropTransaction', [txid]);
        await inPool(txid);
      });
    } finally {
      await world.provider.send('anvil_setBalance', [world.hotWallet, `0x${balance.toString(16)}`]);
    }
    await world.mine(1);
    await world.waitStatus(w.id, 'confirmed');
    expect(await world.minedTxCount(w.id)).toBe(1);
    expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
    await restartSignsrv();
  });

  it('a row altered after signing cannot redirect a fee bump: no replacement, an alarm, and settlement is held', async () => {
    await restartSignsrv({ SIGNSRV_BUMP_AFTER_MS: '1000', SIGNSRV_REBROADCAST_MS: '600000' });
    const w = await requested('ETH', AMOUNT);
    const attacker = WithdrawalWorld.freshAddress();
    await withAutomineOff(async () => {
      // altered once signed (signing happens after the approval, in signsrv's quick pass)
      expect((await world.signsrv.approveSigned(w.id)).status).toBe(200);
      await world.fixtures.db('withdrawals').where({ id: w.id }).update({ to_address: attacker });
      const alarm = await world.waitAlert('integrity_mismatch', w.id, (d) => d['during'] === 'bump');
      expect(alarm['fields']).toEqual(expect.arrayContaining(['localhash']));
      await sleep(1500);
      expect(await world.txsOf(w.id)).toHaveLength(1);
    });
    await world.mine(4);
    // The original transaction pays the approved destination; the books do not settle a row that changed.
    await waitFor('the original mined', async () => ((await world.minedTxCount(w.id)) === 1 ? true : undefined));
    expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
    expect(await world.provider.getBalance(attacker)).toBe(0n);
    const held = await world.waitAlert('settlement_held', w.id);
    expect(held['reason']).toBe('integrity_mismatch');
    expect((await world.get(w.id)).status).toBe('broadcast');
    expect(await world.balances(w.account, 'ETH')).toEqual({ available: 0n, frozen: w.funded });
    // An operator puts the row back: it settles as paid.
    await world.fixtures.db('withdrawals').where({ id: w.id }).update({ to_address: w.to });
    await world.waitStatus(w.id, 'confirmed');
    expect(await world.balances(w.account, 'ETH')).toEqual({ available: 0n, frozen: 0n });
    await restartSignsrv();
  });
});

describe('refusals', () => {
  it('a signed transaction the node refuses (the hot wallet cannot pay the gas) raises send_refused and goes out once it can', async () => {
    const w = await requested('USDT', 2_000_000n);
    const balance = await world.provider.getBalance(world.hotWallet);
    await world.provider.send('anvil_setBalance', [world.hotWallet, '0x1']);
    try {
      expect((await world.signsrv.approveSigned(w.id)).status).toBe(200);
      const [tx] = await world.txsOf(w.id);
      expect(tx).toBeDefined(); // signed and stored...
      const alarm = await world.waitAlert('send_refused', w.id, (d) => d['txid'] === tx!.txid); // ...refused when sent
      expect(alarm['cause']).toBe('insufficient_hot_wallet_funds');
      expect(await world.provider.getTransaction(tx!.txid)).toBeNull();
    } finally {
      await world.provider.send('anvil_setBalance', [world.hotWallet, `0x${balance.toString(16)}`]);
    }
    await world.waitStatus(w.id, 'confirmed');
    expect(await world.usdt.balanceOf(w.to)).toBe(2_000_000n);
    expect(await world.minedTxCount(w.id)).toBe(1);
  });

  it('an approved withdrawal that can never be sent can be voided before signing: failed, funds released once', async () => {
    const gate = await deployGate(world.deployer);
    await mined(gate.close());
    const w = await requested('ETH', AMOUNT, await gate.getAddress());
    const approved = await world.signsrv.approve(w.id);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ decision: 'approved', txid: null });
    // nothing signed: the build failed, because the gas estimate does (not the generic VALIDATION_FAILED it came as)
    const alarm = await world.waitAlert('build_failed', w.id);
    expect(alarm['cause']).toBe('gas_estimate_failed');
    expect(JSON.stringify(alarm)).not.toContain('VALIDATION_FAILED');
    expect(await world.txsOf(w.id)).toEqual([]);

    // Bad requests first: they change nothing.
    expect((await world.signsrv.voidApproved(w.id, '   ')).body.error?.code).toBe('VALIDATION_FAILED');
    const pending = await requested('ETH', AMOUNT);
    const early = await world.signsrv.voidApproved(pending.id, 'not approved yet');
    expect(early.status).toBe(409);
    expect(early.body.error?.code).toBe('WITHDRAWAL_NOT_VOIDABLE');
    expect((await world.signsrv.reject(pending.id, 'tidy up')).status).toBe(200);

    const voided = await world.signsrv.voidApproved(w.id, 'destination refuses ETH');
    expect(voided.status).toBe(200);
    expect(voided.body.decision).toBe('voided');
    const failed = await world.waitStatus(w.id, 'failed');
    expect(failed.reason).toMatch(/voided before signing: destination refuses ETH/);
    expect(await world.balances(w.account, 'ETH')).toEqual({ available: w.funded, frozen: 0n });
    const again = await world.signsrv.voidApproved(w.id, 'twice');
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('WITHDRAWAL_NOT_VOIDABLE');
    await sleep(2500); // the sender's passes and re-sent reports change nothing more
    expect(await world.txsOf(w.id)).toEqual([]);
    const [[releases]] = (await world.fixtures.db.raw(
      "SELECT COUNT(DISTINCT entry_id) AS n FROM journal WHERE ref_id = ? AND kind = 'withdrawal_release'",
      [w.id],
    )) as [[{ n: number }]];
    expect(Number(releases.n)).toBe(1);
  });

  it('a signed withdrawal cannot be voided', async () => {
    const w = await requested('ETH', AMOUNT);
    expect((await world.signsrv.approveSigned(w.id)).status).toBe(200);
    const res = await world.signsrv.voidApproved(w.id, 'too late');
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('WITHDRAWAL_NOT_VOIDABLE');
    await world.waitStatus(w.id, 'confirmed');
  });
});

describe('what the chain really did', () => {
  it('a blockout_ctx entry altered in Redis does not stop settlement: MySQL decides, and an alarm is raised', async () => {
    const w = await requested('ETH', AMOUNT);
    await withAutomineOff(async () => {
      const approved = await world.signsrv.approveSigned(w.id);
      await inPool(approved.body.txid!);
      await world.redis.hset(blockoutKeys(world.cluster.env).ctx, approved.body.txid!, 'f'.repeat(64));
    });
    await world.mine(1);
    await world.waitStatus(w.id, 'confirmed');
    const alarm = await world.waitAlert('ctx_mismatch', w.id);
    expect(alarm['blockoutCtx']).toBe('f'.repeat(64));
  });

  it('a token that reports success but moves nothing fails the withdrawal: amount and fee released, gas booked', async () => {
    const w = await requested('FALSY', 3_000_000n);
    const refusedBefore = await falsy.refusedTransfers();
    expect((await world.signsrv.approve(w.id)).status).toBe(200);
    const failed = await world.waitStatus(w.id, 'failed');
    expect(failed.reason).toMatch(/moved no tokens/);
    const receipt = (await world.provider.getTransactionReceipt(failed.txid!))!;
    expect(receipt.status).toBe(1);
    expect(await falsy.refusedTransfers()).toBe(refusedBefore + 1n);
    expect(await world.balances(w.account, 'FALSY')).toEqual({ available: w.funded, frozen: 0n });
    expect(BigInt(failed.networkFee!)).toBe(receipt.gasUsed * receipt.gasPrice);
  });

  it('a token that delivers less than the amount is held for an operator, its funds frozen', async () => {
    const w = await requested('TAX', 5_000_000n);
    expect((await world.signsrv.approve(w.id)).status).toBe(200);
    await waitFor('mined', async () => ((await world.minedTxCount(w.id)) === 1 ? true : undefined));
    await world.mine(3); // the asset's confirmations
    const held = await world.waitAlert('settlement_held', w.id);
    expect(held).toMatchObject({ reason: 'token_transfer_mismatch', expected: { amount: '5000000' } });
    expect(await taxed.balanceOf(w.to)).toBe(4_950_000n);
    expect((await world.get(w.id)).status).not.toBe('confirmed');
    expect(await world.balances(w.account, 'TAX')).toEqual({ available: 0n, frozen: w.funded });
  });
});

describe('a new hot wallet key', () => {
  it('a transaction signed by the previous key is never "replaced" by the new one; it is re-sent and settles', async () => {
    await restartSignsrv({ SIGNSRV_BUMP_AFTER_MS: '1000', SIGNSRV_REBROADCAST_MS: '1000' });
    const w = await requested('ETH', AMOUNT);
    const other = ensureSignerSecrets(otherSecrets, generateMnemonic(wordlist, 128));
    await withAutomineOff(async () => {
      const approved = await world.signsrv.approveSigned(w.id);
      await inPool(approved.body.txid!);
      await restartSignsrv({
        SIGNSRV_BUMP_AFTER_MS: '1000',
        SIGNSRV_REBROADCAST_MS: '1000',
        SIGNSRV_KEYSTORE_FILE: other.keystoreFile,
        SIGNSRV_KEK_FILE: other.kekFile,
      });
      const alarm = await world.waitAlert('hot_wallet_changed', w.id);
      expect(alarm['signedBy']).toBe(world.hotWallet);
      await world.provider.send('anvil_dropTransaction', [approved.body.txid!]);
      await inPool(approved.body.txid!); // the old key's transaction, sent again
      expect(await world.txsOf(w.id)).toHaveLength(1);
    });
    const wallets = await world.fixtures.db('hot_wallets').where({ chain: 'eth' }).orderBy('active');
    expect(wallets.map((r: { address: string; active: number }) => [r.address, Boolean(r.active)])).toEqual([
      [world.hotWallet, false],
      [expect.not.stringMatching(world.hotWallet), true],
    ]);
    await world.mine(1);
    // The scanner still watches the previous address: the withdrawal settles.
    await world.waitStatus(w.id, 'confirmed');
    expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
    await restartSignsrv();
  });
});

describe('a reorg deeper than the confirmations', () => {
  it('drops a settled withdrawal: an alarm, its transaction is sent again and mined again, later nonces flow', async () => {
    const w = await requested('ETH', AMOUNT);
    expect((await world.signsrv.approve(w.id)).status).toBe(200);
    const confirmed = await world.waitStatus(w.id, 'confirmed');
    const receipt = (await world.provider.getTransactionReceipt(confirmed.txid!))!;
    const head = await world.provider.getBlockNumber();
    // Replace every block from the withdrawal's on with empty ones (anvil_reorg does not put dropped ones back).
    await world.provider.send('anvil_reorg', [head - receipt.blockNumber + 1, []]);
    expect(await world.provider.getTransactionReceipt(confirmed.txid!)).toBeNull();
    await world.mine(1);
    const alarm = await world.waitAlert('settled_withdrawal_reorged', w.id);
    expect(alarm).toMatchObject({ txid: confirmed.txid, status: 'confirmed' });
    // signsrv sends the same transaction again (its re-send interval is the default 15 s).
    await waitFor('mined again', async () => ((await world.provider.getTransactionReceipt(confirmed.txid!)) ? true : undefined), 60_000);
    await waitFor('observed again', async () =>
      (await world.fixtures.db('withdrawal_observations').where({ txid: confirmed.txid, dropped: false }).first()) ? true : undefined,
    );
    expect((await world.get(w.id)).status).toBe('confirmed');
    expect(await world.provider.getBalance(w.to)).toBe(AMOUNT);
    // The next withdrawal's nonce is not stuck behind a gap.
    const next = await requested('ETH', AMOUNT);
    expect((await world.signsrv.approve(next.id)).status).toBe(200);
    await world.waitStatus(next.id, 'confirmed');
  });
});
