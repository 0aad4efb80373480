import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mnemonicToEntropy, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { HDNodeWallet } from 'ethers';
import { SignServiceService } from '@wallet/proto';
import { createClient } from '@wallet/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockoutKeys, encodeMessage } from '@wallet/withdrawal-protocol';
import { deployGate, mined } from '../contracts/deploy.js';
import { repoRoot } from '../harness/repoRoot.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';
import { waitFor } from '../harness/waitFor.js';

let world: WithdrawalWorld;
const ETH = 10n ** 18n;
const ETH_FEE = 100000000000000n; // the dev registry's withdrawalFee for ETH
const USDT_FEE = 100000n;

type Event = { from_status: string | null; to_status: string; actor: string; txid: string | null };
const events = async (id: string) => (await world.fixtures.db('withdrawal_events').where({ withdrawal_id: id }).orderBy('id')) as Event[];
const alerts = async (kind: string, id: string) => world.fixtures.db('sign_alerts').where({ kind, withdrawal_id: id });

beforeAll(async () => {
  world = await WithdrawalWorld.start({
    extraEnv: { SIGNSRV_LIMITS: JSON.stringify({ USDT: { perWithdrawal: '30000000', daily: '95000000' } }) },
  });
});

afterAll(async () => {
  if (world) expect(await world.fixtures.invariants()).toEqual([]);
  await world?.stop();
});

describe('withdrawals end to end on anvil', () => {
  it('ETH: requested, approved, signed, broadcast, confirmed; paid on chain, spent in the ledger, every step audited', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: '200000000000000000' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'pending_review', fee: ETH_FEE.toString(), to });
    const id = res.body.id;
    expect(await world.balances(account, 'ETH')).toEqual({
      available: ETH - 200000000000000000n - ETH_FEE,
      frozen: 200000000000000000n + ETH_FEE,
    });
    await world.signsrv.received(id);
    // Approving records the decision; transrv moves the row to approved, then signsrv signs it.
    const approved = await world.signsrv.approveSigned(id);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ decision: 'approved', decidedBy: 'automation:auditor', to, amount: '200000000000000000' });
    expect(approved.body.txid).toMatch(/^0x[0-9a-f]{64}$/);

    const confirmed = await world.waitStatus(id, 'confirmed');
    expect(await world.provider.getBalance(to)).toBe(200000000000000000n);
    expect(confirmed.txid).toBe(approved.body.txid);
    const receipt = (await world.provider.getTransactionReceipt(confirmed.txid!))!;
    expect(receipt.from).toBe(world.hotWallet);
    expect(BigInt(confirmed.networkFee!)).toBe(receipt.gasUsed * receipt.gasPrice);
    expect(confirmed.confirmations).toBeGreaterThanOrEqual(3);
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH - 200000000000000000n - ETH_FEE, frozen: 0n });

    const trail = await events(id);
    // Every step is in the trail, whether signsrv's report or the chain got there first.
    expect(trail.map((e) => `${e.from_status ?? '-'}>${e.to_status}`)).toEqual([
      '->pending_review',
      'pending_review>approved',
      'approved>signed',
      'signed>broadcast',
      'broadcast>confirmed',
    ]);
    // The bearer token is the automation role: transrv records signsrv's decider as the actor of approved.
    expect(trail.find((e) => e.to_status === 'approved')!.actor).toBe('automation:auditor');
    expect(trail.find((e) => e.to_status === 'confirmed')).toMatchObject({ actor: 'chain', txid: confirmed.txid });
    // Forward only: the statuses in the trail never go back.
    const order = ['pending_review', 'approved', 'signed', 'broadcast', 'confirmed'];
    const ranks = trail.map((e) => order.indexOf(e.to_status));
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);

    const ledger = await world.api.get<{ data: { kind: string; amount: string; bucket: string }[] }>(`/v1/accounts/${account}/ledger`);
    expect(ledger.body.data.map((l) => l.kind)).toEqual(expect.arrayContaining(['withdrawal_freeze', 'withdrawal_spend']));
    // The books: the amount left through the chain's outflow, the fee became income, which paid the gas.
    const sums = async (accountId: string, asset: string) => {
      const [[r]] = (await world.fixtures.db.raw(
        'SELECT CAST(COALESCE(SUM(amount), 0) AS CHAR) AS s FROM journal WHERE ref_id = ? AND account_id = ? AND asset = ?',
        [id, accountId, asset],
      )) as [[{ s: string }]];
      return BigInt(r.s);
    };
    expect(await sums('sys:chain:eth:outflow', 'ETH')).toBe(200000000000000000n);
    expect(await sums('sys:fees:ETH', 'ETH')).toBe(ETH_FEE - BigInt(confirmed.networkFee!));
    expect(await sums('sys:chain:eth:network_fees', 'ETH')).toBe(BigInt(confirmed.networkFee!));
  });

  it('ERC20: the token transfer is paid from the hot wallet; the network fee is booked in ETH', async () => {
    const account = await world.fundedAccount({ USDT: 50_000_000n });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'USDT', to, amount: '12345678' });
    expect(res.status).toBe(201);
    expect(res.body.fee).toBe(USDT_FEE.toString());
    await world.signsrv.received(res.body.id);
    expect((await world.signsrv.approve(res.body.id)).status).toBe(200);
    const confirmed = await world.waitStatus(res.body.id, 'confirmed');
    expect(await world.usdt.balanceOf(to)).toBe(12345678n);
    expect(await world.balances(account, 'USDT')).toEqual({ available: 50_000_000n - 12345678n - USDT_FEE, frozen: 0n });
    const [[gas]] = (await world.fixtures.db.raw(
      "SELECT CAST(SUM(amount) AS CHAR) AS s FROM journal WHERE ref_id = ? AND account_id = 'sys:chain:eth:network_fees' AND asset = 'ETH'",
      [res.body.id],
    )) as [[{ s: string }]];
    expect(BigInt(gas.s)).toBe(BigInt(confirmed.networkFee!));
    expect(await world.minedTxCount(res.body.id)).toBe(1);
  });

  it('a transaction that reverts on chain fails the withdrawal: amount and fee released, the burned gas booked', async () => {
    const gate = await deployGate(world.deployer);
    const to = await gate.getAddress();
    const account = await world.fundedAccount({ ETH: ETH });
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: '250000000000000000' });
    expect(res.status).toBe(201);
    await world.signsrv.received(res.body.id);
    await world.provider.send('evm_setAutomine', [false]);
    try {
      // Estimated and signed while the recipient accepts ETH...
      const approved = await world.signsrv.approveSigned(res.body.id);
      expect(approved.status).toBe(200);
      await waitFor('the withdrawal in the pool', async () =>
        (await world.provider.getTransaction(approved.body.txid!)) ? true : undefined,
      );
      // ...and mined in the same block as, but after, a transaction (higher tip) that makes it refuse.
      const close = await gate.close({ gasLimit: 100_000n, maxPriorityFeePerGas: 100_000_000_000n, maxFeePerGas: 300_000_000_000n });
      await waitFor('close() in the pool', async () => ((await world.provider.getTransaction(close.hash)) ? true : undefined));
      await world.mine(1);
    } finally {
      await world.provider.send('evm_setAutomine', [true]);
    }
    const failed = await world.waitStatus(res.body.id, 'failed');
    const receipt = (await world.provider.getTransactionReceipt(failed.txid!))!;
    expect(receipt.status).toBe(0);
    expect(failed.reason).toMatch(/reverted/);
    expect(BigInt(failed.networkFee!)).toBe(receipt.gasUsed * receipt.gasPrice);
    expect(await world.provider.getBalance(to)).toBe(0n);
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH, frozen: 0n });
    const [[gas]] = (await world.fixtures.db.raw(
      "SELECT CAST(SUM(amount) AS CHAR) AS s FROM journal WHERE ref_id = ? AND account_id = 'sys:chain:eth:network_fees'",
      [res.body.id],
    )) as [[{ s: string }]];
    expect(BigInt(gas.s)).toBe(receipt.gasUsed * receipt.gasPrice);
  });

  it('reject releases the funds exactly once, with the auditor reason; no transaction is ever signed', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    const res = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '300000000000000000' });
    const id = res.body.id;
    await world.signsrv.received(id);
    const rejected = await world.signsrv.reject(id, 'destination on a sanctions list');
    expect(rejected.status).toBe(200);
    expect(rejected.body.decision).toBe('rejected');
    const w = await world.waitStatus(id, 'rejected');
    expect(w.reason).toBe('destination on a sanctions list');
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH, frozen: 0n });
    // Deciding again, either way, is refused; the client can no longer cancel.
    expect((await world.signsrv.approve(id)).body.error?.code).toBe('WITHDRAWAL_NOT_REVIEWABLE');
    expect((await world.signsrv.reject(id, 'again')).body.error?.code).toBe('WITHDRAWAL_NOT_REVIEWABLE');
    expect((await world.api.post<{ error: { code: string } }>(`/v1/withdrawals/${id}/cancel`, {})).body.error.code).toBe(
      'WITHDRAWAL_NOT_CANCELLABLE',
    );
    await new Promise((r) => setTimeout(r, 1500)); // re-sent responses must not release twice
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH, frozen: 0n });
    const [[releases]] = (await world.fixtures.db.raw(
      "SELECT COUNT(*) AS n FROM journal WHERE ref_id = ? AND kind = 'withdrawal_release'",
      [id],
    )) as [[{ n: number }]];
    expect(Number(releases.n)).toBe(2); // one entry: frozen -> available
    expect(await world.txsOf(id)).toEqual([]);
  });

  it('cancel works only before review: cancelled releases once; after approval it is refused and the payout goes on', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    const a = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '100000000000000000' });
    const cancelled = await world.api.post<{ status: string }>(`/v1/withdrawals/${a.body.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH, frozen: 0n });
    // signsrv may have it queued, but it can no longer be approved.
    await new Promise((r) => setTimeout(r, 500));
    const late = await world.signsrv.approve(a.body.id);
    expect(['WITHDRAWAL_NOT_REVIEWABLE', 'NOT_FOUND']).toContain(late.body.error?.code);

    const b = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '100000000000000000' });
    await world.signsrv.received(b.body.id);
    expect((await world.signsrv.approve(b.body.id)).status).toBe(200);
    const refused = await world.api.post<{ error: { code: string } }>(`/v1/withdrawals/${b.body.id}/cancel`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('WITHDRAWAL_NOT_CANCELLABLE');
    await world.waitStatus(b.body.id, 'confirmed');
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH - 100000000000000000n - ETH_FEE, frozen: 0n });
  });

  it('a blockout_req entry altered in Redis is refused by signsrv; the genuine withdrawal still pays the original', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: '150000000000000000' });
    const id = res.body.id;
    await world.signsrv.received(id);
    const row = await world.fixtures.db('withdrawals').where({ id }).first<{ localhash: string; node_id: string }>();
    const attacker = WithdrawalWorld.freshAddress();
    const genuine = {
      v: 1 as const,
      withdrawalId: id,
      nodeId: row.node_id,
      accountId: account,
      chain: 'eth',
      asset: 'ETH',
      localhash: row.localhash,
    };
    const stream = blockoutKeys(world.cluster.env).req;
    // Same id and localhash, another amount; then another address.
    await world.redis.xadd(stream, '*', 'm', encodeMessage({ ...genuine, to, amount: 900000000000000000n, fee: ETH_FEE }));
    await world.redis.xadd(stream, '*', 'm', encodeMessage({ ...genuine, to: attacker, amount: 150000000000000000n, fee: ETH_FEE }));
    await waitFor('two tamper alerts', async () => ((await alerts('tampered_request', id)).length >= 2 ? true : undefined));
    const review = await world.signsrv.review(id);
    expect(review.body).toMatchObject({ to, amount: '150000000000000000' });
    expect((await world.signsrv.approve(id)).status).toBe(200);
    await world.waitStatus(id, 'confirmed');
    expect(await world.provider.getBalance(to)).toBe(150000000000000000n);
    expect(await world.provider.getBalance(attacker)).toBe(0n);
  });

  it('a withdrawal row altered in MySQL no longer matches its localhash: approval is refused, nothing is signed', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    const res = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '100000000000000000' });
    const id = res.body.id;
    await world.signsrv.received(id);
    const attacker = WithdrawalWorld.freshAddress();
    await world.fixtures.db('withdrawals').where({ id }).update({ to_address: attacker });
    const refused = await world.signsrv.approve(id);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('INTEGRITY_MISMATCH');
    expect((await alerts('integrity_mismatch', id)).length).toBeGreaterThanOrEqual(1);
    expect(await world.txsOf(id)).toEqual([]);
    expect((await world.get(id)).status).toBe('pending_review');
    // The auditor rejects it instead; the funds come back.
    expect((await world.signsrv.reject(id, 'record altered')).status).toBe(200);
    await world.waitStatus(id, 'rejected');
    expect(await world.balances(account, 'ETH')).toEqual({ available: ETH, frozen: 0n });
  });

  it('the review API authenticates auditors and validates input', async () => {
    const account = await world.fundedAccount({ ETH: ETH });
    const res = await world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '100000000000000000' });
    await world.signsrv.received(res.body.id);
    const bad = await world.signsrv.send<{ error: { code: string } }>(
      'POST',
      `/v1/reviews/${res.body.id}/approve`,
      {},
      'not-the-token-at-all',
    );
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('UNAUTHENTICATED');
    const none = await fetch(`${world.cluster.signsrvUrl}/v1/reviews`);
    expect(none.status).toBe(401);
    expect(
      (await world.signsrv.send<{ error: { code: string } }>('POST', `/v1/reviews/${res.body.id}/reject`, { reason: '' })).body.error.code,
    ).toBe('VALIDATION_FAILED');
    expect(
      (await world.signsrv.send<{ error: { code: string } }>('POST', `/v1/reviews/${res.body.id}/approve`, { force: true })).status,
    ).toBe(400);
    // An approval names the localhash reviewed: without it the request is malformed.
    const noHash = await world.signsrv.send<{ error: { code: string } }>('POST', `/v1/reviews/${res.body.id}/approve`, {});
    expect({ status: noHash.status, code: noHash.body.error.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(
      (await world.signsrv.send<{ error: { code: string } }>('POST', '/v1/reviews/wd_nope/approve', { localhash: '0'.repeat(64) })).status,
    ).toBe(404);
    // None of that decided anything.
    expect((await world.get(res.body.id)).status).toBe('pending_review');
    const list = await world.signsrv.send<{ data: { withdrawalId: string }[] }>('GET', '/v1/reviews?limit=200');
    expect(list.body.data.map((d) => d.withdrawalId)).toContain(res.body.id);
  });

  it('auditors can decide over gRPC too; a wrong token is refused there as well', async () => {
    const ready = await world.cluster.process('signsrv').ready();
    const client = createClient(SignServiceService, String(ready['address']), { tls: world.cluster.grpcClientTls('signsrv') });
    try {
      const account = await world.fundedAccount({ ETH: ETH });
      const to = WithdrawalWorld.freshAddress();
      const res = await world.withdraw(account, { asset: 'ETH', to, amount: '120000000000000000' });
      await world.signsrv.received(res.body.id);
      const listed = await client.listReviews({ auditorToken: world.signsrv.token, page: { limit: 200, cursor: '' } });
      const seen = listed.items.find((i) => i.withdrawalId === res.body.id);
      expect(seen).toBeDefined();
      const localhash = seen!.localhash;
      await expect(
        client.approveWithdrawal({ auditorToken: 'x'.repeat(32), withdrawalId: res.body.id, reason: '', localhash }),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      // An approval is bound to the localhash reviewed: none, or another one, approves nothing.
      await expect(
        client.approveWithdrawal({ auditorToken: world.signsrv.token, withdrawalId: res.body.id, reason: '', localhash: '' }),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        client.approveWithdrawal({ auditorToken: world.signsrv.token, withdrawalId: res.body.id, reason: '', localhash: 'f'.repeat(64) }),
      ).rejects.toMatchObject({ code: 'APPROVAL_STALE' });
      expect((await world.get(res.body.id)).status).toBe('pending_review');
      const item = await client.approveWithdrawal({ auditorToken: world.signsrv.token, withdrawalId: res.body.id, reason: '', localhash });
      expect(item).toMatchObject({ decision: 'approved', decidedBy: 'automation:auditor', to, amount: '120000000000000000' });
      await world.waitStatus(res.body.id, 'confirmed');
      expect(await world.provider.getBalance(to)).toBe(120000000000000000n);
    } finally {
      client.close();
    }
  });

  it('limits: a withdrawal above the per-withdrawal or the daily limit of its asset is not approved', async () => {
    const account = await world.fundedAccount({ USDT: 500_000_000n });
    const ask = async (amount: bigint) => {
      const res = await world.withdraw(account, { asset: 'USDT', to: WithdrawalWorld.freshAddress(), amount: amount.toString() });
      expect(res.status).toBe(201);
      await world.signsrv.received(res.body.id);
      return res.body.id;
    };
    const tooBig = await ask(30_000_001n);
    const refused = await world.signsrv.approve(tooBig);
    expect(refused.status).toBe(422);
    expect(refused.body.error?.code).toBe('LIMIT_EXCEEDED');
    expect((await world.get(tooBig)).status).toBe('pending_review');
    // 95,000,000 a day: three of 25,000,000 fit (with what other tests approved today: at most 12,345,678)...
    for (let i = 0; i < 3; i++) expect((await world.signsrv.approve(await ask(25_000_000n))).status).toBe(200);
    // ...a fourth does not.
    const overDaily = await ask(25_000_000n);
    const daily = await world.signsrv.approve(overDaily);
    expect(daily.body.error?.code).toBe('LIMIT_EXCEEDED');
    expect(await world.txsOf(overDaily)).toEqual([]);
    expect((await world.signsrv.reject(overDaily, 'over the daily limit')).status).toBe(200);
    expect((await world.signsrv.reject(tooBig, 'over the single limit')).status).toBe(200);
    await world.waitStatus(tooBig, 'rejected');
    await world.waitStatus(overDaily, 'rejected');
  });

  it('a transaction sent from the hot wallet outside signsrv raises alarms, and later withdrawals still get usable nonces', async () => {
    const key = HDNodeWallet.fromPhrase(world.mnemonic, undefined, "m/44'/60'/1'/0/0").connect(world.provider);
    const rogue = await key.sendTransaction({ to: WithdrawalWorld.freshAddress(), value: 1n });
    await mined(rogue);
    await waitFor('the unknown spend alarm', async () => {
      await world.mine(1);
      // raised by the chain scanner: transrv's alarm table
      const rows = (await world.fixtures.db('node_alerts').where({ kind: 'unknown_hot_wallet_tx' })) as { details: string }[];
      return rows.some((r) => r.details.includes(rogue.hash)) ? true : undefined;
    });
    await waitFor('the nonce alarm', async () =>
      (await world.fixtures.db('sign_alerts').where({ kind: 'nonce_ahead' })).length > 0 ? true : undefined,
    );
    const account = await world.fundedAccount({ ETH: ETH });
    const to = WithdrawalWorld.freshAddress();
    const res = await world.withdraw(account, { asset: 'ETH', to, amount: '110000000000000000' });
    await world.signsrv.received(res.body.id);
    const approved = await world.signsrv.approveSigned(res.body.id);
    expect(approved.body.nonce).toBeGreaterThan(rogue.nonce);
    await world.waitStatus(res.body.id, 'confirmed');
    expect(await world.provider.getBalance(to)).toBe(110000000000000000n);
  });

  it('200 approvals at once get 200 distinct, consecutive nonces, and all 200 confirm', async () => {
    const account = await world.fundedAccount({ ETH: 100n * ETH });
    const ids: string[] = [];
    for (let i = 0; i < 200; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: 50 }, () =>
          world.withdraw(account, { asset: 'ETH', to: WithdrawalWorld.freshAddress(), amount: '1000000000000000' }),
        ),
      );
      for (const r of batch) {
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        ids.push(r.body.id);
      }
    }
    await waitFor('all received', async () => {
      const [[r]] = (await world.fixtures.db.raw(
        `SELECT COUNT(*) AS n FROM sign_requests WHERE withdrawal_id IN (${ids.map(() => '?').join(',')})`,
        ids,
      )) as [[{ n: number }]];
      return Number(r.n) === 200 ? true : undefined;
    });
    const answers = await Promise.all(ids.map((id) => world.signsrv.approve(id)));
    expect(answers.map((a) => a.status)).toEqual(ids.map(() => 200));
    // Approving records the decisions; signsrv's quick pass signs them once transrv has applied them.
    const nonces = await waitFor(
      'all 200 signed',
      async () => {
        const got = (await world.fixtures.db('nonce_assignments').whereIn('withdrawal_id', ids).pluck('nonce')).map(Number);
        return got.length === 200 ? got.sort((a, b) => a - b) : undefined;
      },
      60_000,
    );
    expect(nonces).toHaveLength(200);
    expect(nonces.every((n, i) => n === nonces[0]! + i)).toBe(true);
    await waitFor(
      'all 200 confirmed',
      async () => {
        const [[r]] = (await world.fixtures.db.raw(
          `SELECT COUNT(*) AS n FROM withdrawals WHERE status = 'confirmed' AND id IN (${ids.map(() => '?').join(',')})`,
          ids,
        )) as [[{ n: number }]];
        if (Number(r.n) === 200) return true;
        await world.mine(1);
        return undefined;
      },
      120_000,
    );
    expect(await world.balances(account, 'ETH')).toEqual({ available: 100n * ETH - 200n * (1000000000000000n + ETH_FEE), frozen: 0n });
  });
});

describe('key material stays inside signsrv', () => {
  it('no seed, mnemonic, private key or KEK appears in any log, MySQL table, Redis key, or start-up error', async () => {
    const entropy = Buffer.from(mnemonicToEntropy(world.mnemonic, wordlist)).toString('hex');
    const seed = Buffer.from(mnemonicToSeedSync(world.mnemonic)).toString('hex');
    const master = HDNodeWallet.fromSeed(`0x${seed}`);
    const hot = HDNodeWallet.fromPhrase(world.mnemonic, undefined, "m/44'/60'/1'/0/0");
    const deposit0 = HDNodeWallet.fromPhrase(world.mnemonic, undefined, "m/44'/60'/0'/0/0");
    const kek = readFileSync(world.cluster.signer.kekFile, 'utf8').trim();
    const secrets: Record<string, string> = {
      mnemonic: world.mnemonic,
      'mnemonic words': world.mnemonic.split(' ').slice(0, 4).join(' '),
      entropy,
      seed,
      'master xprv': master.extendedKey,
      'hot wallet key': hot.privateKey.slice(2),
      'deposit key': deposit0.privateKey.slice(2),
      kek,
    };
    const leaks = (where: string, text: string): string[] => {
      const lower = text.toLowerCase();
      return Object.entries(secrets)
        .filter(([, value]) => lower.includes(value.toLowerCase()))
        .map(([name]) => `${name} in ${where}`);
    };

    // A signsrv given the wrong key-encryption key refuses to start, and says nothing secret about either key.
    const wrongKek = join(dirname(world.cluster.signer.kekFile), 'wrong-kek.hex');
    writeFileSync(wrongKek, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const refused = world.cluster.spawnRaw('signsrv', 'signsrv-wrong-kek', {
      ...world.cluster.serviceEnv,
      SIGNSRV_KEK_FILE: wrongKek,
      SIGNSRV_HTTP_ADDR: '127.0.0.1:0',
    });
    expect(await refused.exited).toBe(1);
    const refusal = [...refused.lines.map((l) => JSON.stringify(l)), ...refused.stderr].join('\n');
    expect(refusal).toContain('CONFIG_INVALID');
    expect(refusal).not.toContain('ab'.repeat(32));

    const found: string[] = [];
    let searched = 0;
    const logDir = join(repoRoot, '.stack', 'logs', 'test');
    for (const file of readdirSync(logDir).filter((f) => f.startsWith(`${world.cluster.env}-`))) {
      const text = readFileSync(join(logDir, file), 'utf8');
      searched += text.length;
      found.push(...leaks(file, text));
    }
    found.push(...leaks('signsrv-wrong-kek output', refusal));
    const [tables] = (await world.fixtures.db.raw('SHOW TABLES')) as [Record<string, string>[]];
    for (const t of tables.map((r) => Object.values(r)[0]!)) {
      const text = JSON.stringify(await world.fixtures.db(t).select());
      searched += text.length;
      found.push(...leaks(`MySQL ${t}`, text));
    }
    for (const key of await world.redis.keys('*')) {
      const type = await world.redis.type(key);
      const value =
        type === 'string'
          ? await world.redis.get(key)
          : type === 'hash'
            ? await world.redis.hgetall(key)
            : type === 'stream'
              ? await world.redis.xrange(key, '-', '+')
              : type === 'zset'
                ? await world.redis.zrange(key, '0', '-1')
                : type === 'set'
                  ? await world.redis.smembers(key)
                  : type === 'list'
                    ? await world.redis.lrange(key, 0, -1)
                    : null;
      const text = `${key} ${JSON.stringify(value)}`;
      searched += text.length;
      found.push(...leaks(`Redis ${key}`, text));
    }
    expect(searched).toBeGreaterThan(100_000); // the search did look at the pipeline's traces
    expect(found).toEqual([]);
  });
});
