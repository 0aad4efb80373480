import { isWalletError } from '@wallet/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonRpcClient } from '../JsonRpcClient.js';
import { BitcoinRpcClient } from './BitcoinRpcClient.js';

// The local stack's litecoind (deploy/local/stack.sh): regtest, MWEB active from block 432, mined to at least 450.
const url = process.env['LTC_RPC_URL'] ?? 'http://wallet:wallet@127.0.0.1:19443';
const MWEB_HEIGHT = 432;

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    if (isWalletError(error)) return { code: error.code, reason: error.details['reason'] };
    throw error;
  }
  throw new Error('not refused');
}

const Verbose = z.object({
  hash: z.string(),
  height: z.number(),
  previousblockhash: z.string().optional(),
  merkleroot: z.string(),
  time: z.number(),
  tx: z.array(
    z.object({
      txid: z.string(),
      vin: z.array(z.object({ txid: z.string().optional(), vout: z.number().optional(), coinbase: z.string().optional() })),
      vout: z.array(z.object({ value: z.number(), scriptPubKey: z.object({ hex: z.string() }) })),
    }),
  ),
});

describe('BitcoinRpcClient on the stack litecoind', () => {
  const client = new BitcoinRpcClient({ chain: 'ltc', network: 'regtest', url });
  const plain = new JsonRpcClient({ url });
  afterAll(async () => {
    await client.close();
    await plain.close();
  });

  it('accepts the node as ltc regtest and refuses it as anything else', async () => {
    const info = await client.assertChain();
    expect(info.chain).toBe('regtest');
    expect(info.blocks).toBeGreaterThanOrEqual(MWEB_HEIGHT);
    for (const [chain, network, reason] of [
      ['ltc', 'mainnet', 'CHAIN_MISMATCH'],
      ['ltc', 'testnet', 'CHAIN_MISMATCH'],
      ['btc', 'regtest', 'GENESIS_MISMATCH'],
    ] as const) {
      const other = new BitcoinRpcClient({ chain, network, url });
      expect(await refusal(other.assertChain())).toEqual({ code: 'CONFIG_INVALID', reason });
      await other.close();
    }
  });

  it('answers heights and hashes, null beyond the tip; a wrong password is UNAVAILABLE', async () => {
    const count = await client.blockCount();
    const best = await client.bestBlockHash();
    expect(await client.blockHash(count)).toBe(best);
    expect(await client.blockHash(count + 1000)).toBeNull();
    expect((await client.blockHeader(best)).hash).toBe(best);
    const bad = new BitcoinRpcClient({ chain: 'ltc', network: 'regtest', url: url.replace(/\/\/[^@]*@/, '//wallet:wrong@') });
    expect(await refusal(bad.blockCount())).toMatchObject({ code: 'UNAVAILABLE' });
    await bad.close();
  });

  it('parses the node latest blocks and the first MWEB block exactly as the node shows them (verbosity 2)', async () => {
    const count = await client.blockCount();
    const heights = [MWEB_HEIGHT - 1, MWEB_HEIGHT, ...Array.from({ length: 10 }, (_, i) => count - i).filter((h) => h > MWEB_HEIGHT)];
    for (const height of heights) {
      const hash = (await client.blockHash(height))!;
      const block = await client.rawBlock(hash);
      const verbose = await plain.call('getblock', [hash, 2], Verbose);
      expect(block.hash).toBe(verbose.hash);
      expect(block.prevHash).toBe(verbose.previousblockhash);
      expect(block.merkleRoot).toBe(verbose.merkleroot);
      expect(block.time).toBe(verbose.time);
      expect(block.mwebBytes > 0).toBe(height >= MWEB_HEIGHT);
      expect(block.transactions.at(-1)!.isHogEx).toBe(height >= MWEB_HEIGHT);
      expect(
        block.transactions.map((tx, i) => ({
          txid: tx.txid,
          inputs: i === 0 ? [] : tx.inputs,
          outputs: tx.outputs.map((o) => ({ value: o.value, script: o.script.toString('hex') })),
        })),
      ).toEqual(
        verbose.tx.map((tx, i) => ({
          txid: tx.txid,
          inputs: i === 0 ? [] : tx.vin.map((input) => ({ txid: input.txid, vout: input.vout })),
          outputs: tx.vout.map((o) => ({ value: BigInt(Math.round(o.value * 1e8)), script: o.scriptPubKey.hex })),
        })),
      );
    }
  });

  it('refuses a block hash the node does not have, and returns from a long poll with the tip', async () => {
    expect(await refusal(client.rawBlock('00'.repeat(32)))).toMatchObject({ code: 'UNAVAILABLE' });
    const tip = await client.waitForNewBlock(200);
    expect(tip.hash).toBe(await client.bestBlockHash());
  });
});
