import { AssetRegistry, type RegistryInput, devRegistryInput } from '@wallet/assets';
import { describe, expect, it } from 'vitest';
import { type DevChain, type DevChainOpener, openDevChain } from './devChain.js';

const rpc = { eth: 'http://127.0.0.1:8545', ltc: 'http://u:p@127.0.0.1:19443' };

/** Openers that record which family was asked to open which chain, and open nothing. */
function recordingOpeners() {
  const opened: string[] = [];
  const opener: DevChainOpener = (spec, url) => {
    opened.push(`${spec.kind} ${spec.id} ${url}`);
    return Promise.resolve({ spec } as DevChain);
  };
  return { opened, openers: { evm: opener, utxo: opener } };
}

const registry = (change: (c: RegistryInput['chains'][number]) => RegistryInput['chains'][number] = (c) => c) =>
  AssetRegistry.parse({ ...devRegistryInput, chains: devRegistryInput.chains.map(change) });

describe('openDevChain', () => {
  it("hands a regtest chain with a node to its family's opener", async () => {
    const { opened, openers } = recordingOpeners();
    await openDevChain(registry(), 'eth', rpc, {}, openers);
    await openDevChain(registry(), 'ltc', rpc, {}, openers);
    expect(opened).toEqual([`evm eth ${rpc.eth}`, `utxo ltc ${rpc.ltc}`]);
  });

  it.each(['mainnet', 'testnet'] as const)('refuses a chain the registry calls %s without asking its node', async (network) => {
    const { opened, openers } = recordingOpeners();
    const promise = openDevChain(
      registry((c) => (c.id === 'eth' ? { ...c, network } : c)),
      'eth',
      rpc,
      {},
      openers,
    );
    await expect(promise).rejects.toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_a_dev_chain', chain: 'eth' } });
    await expect(promise).rejects.toThrow(`WALLET_ASSETS lists chain eth as a ${network} network`);
    expect(opened).toEqual([]);
  });

  it('refuses a chain the registry does not list, or one without a node', async () => {
    const { opened, openers } = recordingOpeners();
    await expect(openDevChain(registry(), 'doge', rpc, {}, openers)).rejects.toMatchObject({ code: 'UNSUPPORTED_CHAIN' });
    await expect(openDevChain(registry(), 'btc', rpc, {}, openers)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'chain', chain: 'btc' },
    });
    expect(opened).toEqual([]);
  });
});
