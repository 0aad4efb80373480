import { afterAll, describe, expect, it } from 'vitest';
import { createEvmAdapter } from './EvmAdapter.js';
import { watchNewHeads } from './watchNewHeads.js';

const rpcUrl = process.env['ETH_RPC_URL'] ?? 'http://127.0.0.1:8545';
const wsUrl = rpcUrl.replace(/^http/, 'ws');
const rpc = async (method: string, params: unknown[] = []) => {
  const res = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return ((await res.json()) as { result: unknown }).result;
};

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('new-head subscriptions', () => {
  it('announces each new block of the real node', async () => {
    const seen: number[] = [];
    const watch = watchNewHeads(wsUrl, (n) => seen.push(n));
    cleanups.push(() => watch.close());
    await new Promise((r) => setTimeout(r, 300)); // subscription established
    const before = Number.parseInt(String(await rpc('eth_blockNumber')), 16);
    await rpc('anvil_mine', ['0x2']);
    await until(() => seen.includes(before + 2));
    expect(seen).toEqual(expect.arrayContaining([before + 1, before + 2]));
  });

  it('the EVM adapter offers it when given a WebSocket URL; stopping it stops the notifications', async () => {
    const chain = {
      id: 'eth',
      kind: 'evm' as const,
      network: 'regtest' as const,
      family: 'eth' as const,
      evmChainId: 31337,
      nativeAsset: 'ETH',
    };
    const assets = [{ id: 'ETH', chain: 'eth', decimals: 18, confirmations: 3, minWithdrawal: 1n, withdrawalFee: 1n }];
    const withWs = await createEvmAdapter({ chain, assets, rpcUrl, wsUrl });
    cleanups.push(() => withWs.close());
    const heads: number[] = [];
    const stop = withWs.watchHeads((n) => heads.push(n));
    await new Promise((r) => setTimeout(r, 300));
    await rpc('anvil_mine', ['0x1']);
    await until(() => heads.length > 0);
    stop();
    const count = heads.length;
    await rpc('anvil_mine', ['0x1']);
    await new Promise((r) => setTimeout(r, 300));
    expect(heads.length).toBe(count); // stopped means stopped
  });

  it('keeps retrying a node that refuses the socket, and can be closed', async () => {
    const errors: Error[] = [];
    const watch = watchNewHeads(
      'ws://127.0.0.1:1',
      () => {},
      (e) => errors.push(e),
    );
    await until(() => errors.length >= 2);
    watch.close();
  });
});
