import { AssetRegistry, devRegistryInput } from '@wallet/assets';
import { isWalletError } from '@wallet/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createChainAdapter } from '../createChainAdapter.js';
import { JsonRpcClient } from '../JsonRpcClient.js';
import { createUtxoAdapter } from './UtxoAdapter.js';
import { startFakeNode } from '@wallet/testkit';

// The local stack's litecoind (deploy/local/stack.sh): regtest, MWEB active, its `miner` wallet funded.
const url = process.env['LTC_RPC_URL'] ?? 'http://wallet:wallet@127.0.0.1:19443';
const registry = AssetRegistry.parse(devRegistryInput);
const ltc = registry.chain('ltc');
const assets = [registry.asset('LTC')];

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, reason: error.details['reason'] };
    throw error;
  }
  throw new Error('not refused');
}

describe('UTXO adapter on the stack litecoind', () => {
  const wallet = new JsonRpcClient({ url: `${url.replace(/\/$/, '')}/wallet/miner`, timeoutMs: 60_000 });
  afterAll(() => wallet.close());

  it('refuses the regtest node configured as mainnet, and a non-UTXO chain spec', async () => {
    expect(await refusal(createChainAdapter({ chain: { ...ltc, network: 'mainnet' }, assets, rpcUrl: url }))).toEqual({
      code: 'CONFIG_INVALID',
      reason: 'CHAIN_MISMATCH',
    });
    expect(await refusal(createChainAdapter({ chain: { ...ltc, family: 'btc' }, assets, rpcUrl: url }))).toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });

  it('reports each output to a watched address as a transfer (two in one tx), spends of watched outputs, heights and parents', async () => {
    const adapter = await createChainAdapter({ chain: ltc, assets, rpcUrl: url });
    try {
      expect(adapter.tracksOutputs).toBe(true);
      const a = await wallet.call('getnewaddress', ['', 'bech32'], z.string());
      const b = await wallet.call('getnewaddress', ['', 'bech32'], z.string());
      const other = await wallet.call('getnewaddress', ['', 'bech32'], z.string());
      const txid = await wallet.call('sendmany', ['', { [a]: 0.125, [b]: 0.25, [other]: 0.5 }], z.string());
      const [minedHash] = await wallet.call('generatetoaddress', [1, other], z.array(z.string()));
      const head = await adapter.head();
      expect(head.hash).toBe(minedHash);
      const parent = await adapter.blockRef(head.number - 1);
      expect(head.parentHash).toBe(parent!.hash);
      expect(await adapter.blockRef(head.number + 1000)).toBeNull();
      expect(await adapter.scanBlock(head.number + 1000, () => true)).toBeNull();

      const watched = new Set([a, b].map((x) => adapter.canonicalAddress(x)));
      const tx = await wallet.call(
        'getrawtransaction',
        [txid, true],
        z.object({
          vin: z.array(z.object({ txid: z.string(), vout: z.number() })),
          vout: z.array(
            z.object({
              n: z.number(),
              value: z.number(),
              scriptPubKey: z.object({ address: z.string().optional(), addresses: z.array(z.string()).optional() }),
            }),
          ),
        }),
      );
      const addressOf = (o: (typeof tx.vout)[number]): string | undefined => o.scriptPubKey.address ?? o.scriptPubKey.addresses?.[0];
      const spent = tx.vin[0]!;
      const scanned = await adapter.scanBlock(head.number, (address) => watched.has(address));
      // The adapter's own index (matched by script bytes) finds the same outputs as a predicate over addresses.
      const index = adapter.createAddressIndex!();
      index.add(a, 1);
      index.add(b, 2);
      expect((await adapter.scanBlock(head.number, index))!.transfers).toEqual(scanned!.transfers);
      expect(scanned!.block).toEqual(head);
      expect(scanned!.transfers.map((t) => ({ txid: t.txid, vout: t.outputIndex, to: t.to, amount: t.amount, asset: t.asset }))).toEqual(
        tx.vout
          .filter((o) => o.n >= 0 && (addressOf(o) === a || addressOf(o) === b))
          .map((o) => ({ txid, vout: o.n, to: addressOf(o), amount: BigInt(Math.round(o.value * 1e8)), asset: 'LTC' })),
      );
      expect(scanned!.transfers).toHaveLength(2);
      // Matched against the adapter's own outpoint set (bytes in place) and against any other set alike.
      const ours = adapter.createOutpointSet!();
      ours.add(spent.txid, spent.vout);
      ours.add(spent.txid, spent.vout + 1000);
      const expected = [{ txid, prevTxid: spent.txid, prevVout: spent.vout }];
      expect(scanned!.inputs!.spends(ours)).toEqual(expected);
      const keys = new Set([`${spent.txid}:${spent.vout}`]);
      const plain = { size: 1, add: () => {}, delete: () => true, has: (t: string, v: number) => keys.has(`${t}:${v}`) };
      expect(scanned!.inputs!.spends(plain)).toEqual(expected);
      // Only the outpoints in the set are reported as spent.
      ours.delete(spent.txid, spent.vout);
      expect(scanned!.inputs!.spends(ours)).toEqual([]);
      expect(scanned!.inputs!.size).toBeGreaterThanOrEqual(tx.vin.length + 1); // and the coinbase's
    } finally {
      await adapter.close();
    }
  });

  it("fee rate: the node's estimate or the fallback, never below its relay floor, never above the maximum", async () => {
    const node = new JsonRpcClient({ url });
    const [smart, pool] = await Promise.all([
      node.call('estimatesmartfee', [6], z.object({ feerate: z.number().optional() })),
      node.call('getmempoolinfo', [], z.object({ mempoolminfee: z.number(), minrelaytxfee: z.number() })),
    ]);
    await node.close();
    // litecoind's floor is 0.00001 LTC/kvB = 1 sat/vB unless its pool is full; the estimate exists only with enough data
    const floor = BigInt(Math.ceil(Math.round(Math.max(pool.mempoolminfee, pool.minrelaytxfee) * 1e8) / 1000));
    const estimated = smart.feerate === undefined ? undefined : BigInt(Math.ceil(Math.round(smart.feerate * 1e8) / 1000));
    const adapter = await createUtxoAdapter({ chain: ltc, assets, rpcUrl: url, fees: { fallbackSatPerVbyte: 7n, maxSatPerVbyte: 900n } });
    try {
      const expectedRate = (estimated ?? 7n) > floor ? (estimated ?? 7n) : floor;
      expect(await adapter.feeEstimate()).toEqual({
        kind: 'feerate',
        satPerVbyte: expectedRate,
        source: estimated === undefined ? 'fallback' : 'node',
        confTarget: 6,
        floorSatPerVbyte: floor,
        capped: false,
      });
    } finally {
      await adapter.close();
    }
    // a maximum below the rate cuts it, and says so
    const low = await createUtxoAdapter({ chain: ltc, assets, rpcUrl: url, fees: { fallbackSatPerVbyte: 1n, maxSatPerVbyte: 1n } });
    try {
      const fee = await low.feeEstimate();
      expect(fee.satPerVbyte).toBe(1n);
      expect(fee.capped).toBe((estimated ?? 1n) > 1n || floor > 1n);
    } finally {
      await low.close();
    }
    for (const fees of [
      { confTarget: 0 },
      { confTarget: 1009 },
      { fallbackSatPerVbyte: 0n },
      { fallbackSatPerVbyte: 20n, maxSatPerVbyte: 10n },
    ]) {
      expect(await refusal(createUtxoAdapter({ chain: ltc, assets, rpcUrl: url, fees }))).toMatchObject({ code: 'CONFIG_INVALID' });
    }
  });

  it.each([
    // [estimatesmartfee feerate (LTC/kvB) or none, mempool floor (LTC/kvB), expected sat/vB, source, capped]
    [0.000005, 0.00002, 2n, 'node', false], // 0.5 sat/vB estimated: lifted to the 2 sat/vB floor of a busy pool
    [0.00012, 0.00001, 12n, 'node', false], // 12 exactly (a float ceil of 0.00012 x 1e5 gives 13)
    [0.01, 0.00001, 900n, 'node', true], // 1,000 sat/vB estimated: cut to the 900 maximum
    [undefined, 0.00008, 8n, 'fallback', false], // no estimate: the fallback 7, lifted to the 8 sat/vB floor
  ] as const)('fee rate with estimate %s and floor %s: %s sat/vB (%s, capped %s)', async (estimate, floor, rate, source, capped) => {
    // The stack's node for everything else (chain checks); its fee figures replaced.
    const fake = await startFakeNode({
      upstream: url,
      answer: (call) =>
        call.method === 'estimatesmartfee'
          ? {
              result:
                estimate === undefined
                  ? { errors: ['Insufficient data or no feerate found'], blocks: 0 }
                  : { feerate: estimate, blocks: 6 },
            }
          : call.method === 'getmempoolinfo'
            ? { result: { mempoolminfee: floor, minrelaytxfee: 0.00001, size: 0 } }
            : 'forward',
    });
    const rpcUrl = fake.url.replace('http://', `http://${new URL(url).username}:${new URL(url).password}@`);
    const adapter = await createUtxoAdapter({ chain: ltc, assets, rpcUrl, fees: { fallbackSatPerVbyte: 7n, maxSatPerVbyte: 900n } });
    try {
      expect(await adapter.feeEstimate()).toMatchObject({ kind: 'feerate', satPerVbyte: rate, source, capped, confTarget: 6 });
    } finally {
      await adapter.close();
      await fake.close();
    }
  });
});

describe('UTXO adapter sending transactions (stack litecoind)', () => {
  const wallet = new JsonRpcClient({ url: `${url.replace(/\/$/, '')}/wallet/miner`, timeoutMs: 60_000 });
  afterAll(() => wallet.close());
  const Unspent = z.array(z.object({ txid: z.string(), vout: z.number(), amount: z.number(), scriptPubKey: z.string() }).passthrough());

  /** A signed transaction of the miner wallet spending `input` to a fresh address of its own (not sent). */
  async function signedSpend(
    input: { txid: string; vout: number; amount: number; scriptPubKey: string },
    feeCoins: number,
  ): Promise<string> {
    const to = await wallet.call('getnewaddress', ['', 'bech32'], z.string());
    const unsigned = await wallet.call(
      'createrawtransaction',
      [[{ txid: input.txid, vout: input.vout, sequence: 0xfffffffd }], { [to]: Number((input.amount - feeCoins).toFixed(8)) }],
      z.string(),
    );
    // The previous output given: the wallet signs it even once it is spent.
    const prev = [{ txid: input.txid, vout: input.vout, scriptPubKey: input.scriptPubKey, amount: input.amount }];
    const signed = await wallet.call(
      'signrawtransactionwithwallet',
      [unsigned, prev],
      z.object({ hex: z.string(), complete: z.literal(true) }),
    );
    return signed.hex;
  }

  it('sends idempotently, counts confirmations, and tells a spent input, an underpriced conflict and garbage apart', async () => {
    const adapter = await createUtxoAdapter({ chain: ltc, assets, rpcUrl: url });
    try {
      expect(await adapter.hasTxIndex()).toBe(true); // the stack runs -txindex=1
      const own = await wallet.call('getnewaddress', ['', 'bech32'], z.string());
      const fundTxid = await wallet.call('sendtoaddress', [own, 0.5], z.string());
      await wallet.call('generatetoaddress', [1, own], z.array(z.string()));
      const coin = (await wallet.call('listunspent', [1, 9999999, [own]], Unspent)).find((u) => u.txid === fundTxid && u.amount === 0.5)!;
      expect(coin).toBeDefined();

      const raw = await signedSpend(coin, 0.0001);
      const txid = await adapter.broadcast(raw);
      expect(txid).toMatch(/^[0-9a-f]{64}$/);
      expect(await adapter.broadcast(raw)).toBe(txid); // already in the pool: the same id
      expect(await adapter.confirmations(txid)).toBe(0);
      // The same input at the same fee: the pool's transaction is not replaced.
      expect(await refusal(adapter.broadcast(await signedSpend(coin, 0.0001)))).toEqual({ code: 'CONFLICT', reason: 'underpriced' });

      await wallet.call('generatetoaddress', [1, own], z.array(z.string()));
      expect(await adapter.confirmations(txid)).toBe(1);
      expect(await adapter.broadcast(raw)).toBe(txid); // mined: still its id
      // Another spend of the input, now spent on chain.
      expect(await refusal(adapter.broadcast(await signedSpend(coin, 0.0002)))).toEqual({ code: 'CONFLICT', reason: 'inputs_spent' });
      expect(await adapter.confirmations('00'.repeat(32))).toBeNull();
      expect(await refusal(adapter.broadcast('zz'))).toEqual({ code: 'VALIDATION_FAILED', reason: undefined });
      expect(await refusal(adapter.broadcast('0200000000'))).toEqual({ code: 'VALIDATION_FAILED', reason: undefined });
    } finally {
      await adapter.close();
    }
  });
});
