import { isWalletError } from '@wallet/errors';
import { type Network, type UtxoChain } from '@wallet/keys';
import { describe, expect, it } from 'vitest';
import { addressToScript, scriptToAddress } from './addressScript.js';
import { type DepositScriptKind, depositScripts, keyHashScripts } from './depositScripts.js';
import addresses from './vectors/addresses.json' with { type: 'json' };
import deposits from './vectors/depositScripts.json' with { type: 'json' };

const chains: readonly UtxoChain[] = ['btc', 'ltc'];
const networks: readonly Network[] = ['mainnet', 'testnet', 'regtest'];

describe('addressToScript / scriptToAddress', () => {
  for (const v of addresses.valid) {
    it(`${v.chain} ${v.network} ${v.address} (${v.source})`, () => {
      const chain = v.chain as UtxoChain;
      const network = v.network as Network;
      expect(addressToScript(chain, network, v.address).toString('hex')).toBe(v.script);
      expect(scriptToAddress(chain, network, Buffer.from(v.script, 'hex'))).toBe(v.canonical);
    });
  }

  for (const v of addresses.invalid) {
    it(`refuses ${v.chain} ${v.network} ${JSON.stringify(v.address)}: ${v.reason}`, () => {
      let error: unknown;
      try {
        addressToScript(v.chain as UtxoChain, v.network as Network, v.address);
      } catch (caught) {
        error = caught;
      }
      expect(isWalletError(error, 'INVALID_ADDRESS')).toBe(true);
      expect((error as { details: Record<string, unknown> }).details['reason']).toBe(v.reason);
    });
  }

  it('has no address for scripts that are not P2PKH, P2SH, P2WPKH, P2WSH or P2TR', () => {
    const others = [
      ...addresses.invalidScripts.map((s) => s.script),
      '6a24aa21a9ed67e729652bcb0fd84268d1fd1568ff7115372cb55c5ff40e8d38ce24bf1cf8fe', // OP_RETURN witness commitment
      '59200b7b506f9138df9cce211de82ca219ec6fc429fb35a986ee7a59954efa29c7eb', // Litecoin MWEB peg-in (OP_9 <32>)
      '5820c0ac593583c76ca75e25ed82ca40cadf80a7e7fa58862e24f9d50481205373da', // Litecoin HogEx (OP_8 <32>)
    ];
    for (const chain of chains)
      for (const network of networks) for (const s of others) expect(scriptToAddress(chain, network, Buffer.from(s, 'hex'))).toBeNull();
  });
});

describe('depositScripts / keyHashScripts', () => {
  for (const v of deposits.valid) {
    it(`${v.description} (${v.source})`, () => {
      for (const { index, address } of v.addresses) {
        const [script] = depositScripts({
          chain: v.chain as UtxoChain,
          network: v.network as Network,
          xpub: v.accountXpub,
          index,
          kinds: [v.kind as DepositScriptKind],
        });
        expect(script?.toString('hex')).toBe(addressToScript(v.chain as UtxoChain, v.network as Network, address).toString('hex'));
      }
    });
  }

  for (const v of deposits.keyHashes) {
    it(`${v.description} (${v.source})`, () => {
      const [script] = keyHashScripts(Buffer.from(v.keyHash, 'hex'), [v.kind as DepositScriptKind]);
      expect(scriptToAddress(v.chain as UtxoChain, v.network as Network, script!)).toBe(v.address);
    });
  }

  it('gives the kinds in the order asked, P2WPKH alone by default', () => {
    const keyHash = Buffer.from('751e76e8199196d454941c45d1b3a323f1433bd6', 'hex');
    expect(keyHashScripts(keyHash).map((s) => s.toString('hex'))).toEqual(['0014751e76e8199196d454941c45d1b3a323f1433bd6']);
    const [p2pkh, p2sh, p2wpkh] = keyHashScripts(keyHash, ['p2pkh', 'p2shP2wpkh', 'p2wpkh']);
    expect([p2pkh?.length, p2sh?.length, p2wpkh?.length]).toEqual([25, 23, 22]);
    expect(() => keyHashScripts(Buffer.alloc(19))).toThrow(RangeError);
  });
});
