import { isWalletError } from '@wallet/errors';
import { script as bscript } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { parseBlockHeader, parseRawBlock } from './parseRawBlock.js';
import { parseRawTransaction } from './parseRawTransaction.js';
import btcBlocks from './vectors/btcBlocks.json' with { type: 'json' };
import btcTransactions from './vectors/btcTransactions.json' with { type: 'json' };
import ltcBlocks from './vectors/ltcBlocks.json' with { type: 'json' };

function reversed(hex: string): string {
  return Buffer.from(hex, 'hex').reverse().toString('hex');
}

function reasonOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    if (isWalletError(error, 'INTERNAL')) return error.details['reason'];
    throw error;
  }
  throw new Error('did not throw');
}

describe('parseRawBlock: Bitcoin blocks (bitcoinjs-lib fixtures)', () => {
  for (const vector of btcBlocks.valid) {
    it(`${vector.network}: ${vector.description}`, () => {
      const block = parseRawBlock(Buffer.from(vector.hex, 'hex'));
      expect(block.hash).toBe(vector.hash);
      // bitcoinjs-lib keeps these two in internal byte order
      expect(block.prevHash).toBe(reversed(vector.prevHash));
      expect(block.merkleRoot).toBe(reversed(vector.merkleRoot));
      expect([block.version, block.time, block.bits, block.nonce]).toEqual([vector.version, vector.time, vector.bits, vector.nonce]);
      expect(block.mwebBytes).toBe(0);
      // parseRawBlock recomputed the merkle root from the txids it hashed; they are therefore the published ones.
      expect(block.transactions.length).toBeGreaterThan(0);
      if ('witnessCommit' in vector) {
        // BIP141: the coinbase has an output OP_RETURN 0xaa21a9ed <commitment>
        const coinbase = block.transactions[0]!;
        const commitment = coinbase.outputs.map((o) => o.script.toString('hex')).find((s) => s.startsWith('6a24aa21a9ed'));
        expect(commitment).toBe(`6a24aa21a9ed${vector.witnessCommit}`);
        expect(block.transactions.some((tx) => tx.hasWitness)).toBe(true);
      }
    });
  }

  it('the published txids of the genesis block and of the segwit block 542213', () => {
    const [genesis] = parseRawBlock(Buffer.from(btcBlocks.valid.find((b) => b.description === 'Genesis Block')!.hex, 'hex')).transactions;
    expect(genesis?.txid).toBe('4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b');
    expect(genesis?.outputs[0]?.value).toBe(5_000_000_000n);
    expect(genesis?.inputs).toEqual([{ txid: '0'.repeat(64), vout: 0xffffffff }]);
  });
});

describe('parseRawTransaction: Bitcoin transactions (bitcoinjs-lib fixtures)', () => {
  for (const vector of btcTransactions.valid) {
    it(vector.description, () => {
      const tx = parseRawTransaction(Buffer.from(vector.hex, 'hex'));
      expect(tx.txid).toBe(vector.txid);
      expect(tx.hasWitness).toBe('strippedHex' in vector);
      expect(tx.isHogEx).toBe(false);
      expect(tx.outputs.map((o) => ({ value: o.value.toString(), script: o.script.toString('hex') }))).toEqual(
        vector.outputs.map((o) => ({
          value: o.value,
          script: 'scriptAsm' in o ? Buffer.from(bscript.fromASM(o.scriptAsm)).toString('hex') : o.scriptHex,
        })),
      );
      if ('strippedHex' in vector && vector.strippedHex !== undefined) {
        // the same transaction without its witnesses has the same id
        expect(parseRawTransaction(Buffer.from(vector.strippedHex, 'hex')).txid).toBe(vector.txid);
      }
    });
  }

  it.each([
    ['Transaction has unexpected data', 'TRAILING_DATA'],
    ['Transaction has superfluous witness data', 'SUPERFLUOUS_WITNESS'],
  ])('refuses: %s', (description, reason) => {
    const vector = btcTransactions.invalid.find((v) => v.description === description)!;
    expect(reasonOf(() => parseRawTransaction(Buffer.from(vector.hex, 'hex')))).toBe(reason);
  });
});

describe('parseRawBlock: Litecoin blocks, before and after MWEB', () => {
  for (const vector of ltcBlocks.valid) {
    it(`${vector.network} ${vector.height}: ${vector.description}`, () => {
      const raw = Buffer.from(vector.hex, 'hex');
      const block = parseRawBlock(raw, { mweb: true });
      expect(block.hash).toBe(vector.hash);
      expect(block.prevHash).toBe(vector.prevHash);
      expect(block.merkleRoot).toBe(vector.merkleRoot);
      expect([block.version, block.time, block.bits, block.nonce]).toEqual([vector.version, vector.time, vector.bits, vector.nonce]);
      // the node's own txids, inputs and outputs (getblock <hash> 2)
      expect(
        block.transactions.map((tx, i) => ({
          txid: tx.txid,
          inputs: i === 0 ? [{ coinbase: true }] : tx.inputs,
          outputs: tx.outputs.map((o, n) => ({
            value: o.value.toString(),
            script: o.script.toString('hex'),
            type: vector.transactions[i]?.outputs[n]?.type,
          })),
        })),
      ).toEqual(vector.transactions);
      const last = block.transactions.at(-1)!;
      expect(last.isHogEx).toBe(vector.mweb);
      expect(block.transactions.slice(0, -1).every((tx) => !tx.isHogEx)).toBe(true);
      expect(block.mwebBytes > 0).toBe(vector.mweb);
      if (vector.mweb) {
        // Bitcoin rules: the MWEB flag is unknown
        expect(reasonOf(() => parseRawBlock(raw))).toBe('UNKNOWN_FLAGS');
      }
    });
  }

  const rich = ltcBlocks.valid.find((b) => b.network === 'regtest' && b.height === 433)!;
  const richRaw = (): Buffer => Buffer.from(rich.hex, 'hex');

  it('skips the extension block: its MWEB-to-MWEB transaction is not among the parsed ones', () => {
    const block = parseRawBlock(richRaw(), { mweb: true });
    expect(block.mwebBytes).toBeGreaterThan(1000);
    expect(block.transactions).toHaveLength(5);
  });

  it('refuses a changed output value (merkle root)', () => {
    const raw = richRaw();
    const block = parseRawBlock(raw, { mweb: true });
    const output = block.transactions[1]!.outputs[0]!;
    const valueMsb = output.script.byteOffset - raw.byteOffset - 2; // the value's last byte, before the script length
    raw[valueMsb] = raw[valueMsb]! ^ 1;
    expect(reasonOf(() => parseRawBlock(raw, { mweb: true }))).toBe('MERKLE_ROOT_MISMATCH');
  });

  it('refuses a block cut anywhere in its transactions', () => {
    const raw = richRaw();
    const block = parseRawBlock(raw, { mweb: true });
    const end = block.transactions.at(-1)!.end;
    for (const cut of [81, 200, end - 5, end - 1]) {
      expect(reasonOf(() => parseRawBlock(raw.subarray(0, cut), { mweb: true }))).toBe('TRUNCATED');
    }
    // without the extension block's marker: the HogEx says one follows
    expect(reasonOf(() => parseRawBlock(raw.subarray(0, end), { mweb: true }))).toBe('TRUNCATED');
  });

  it('refuses MWEB data attached to a transaction in the block list, and a bad extension block marker', () => {
    const raw = richRaw();
    const hogEx = parseRawBlock(raw, { mweb: true }).transactions.at(-1)!;
    const marker = hogEx.end - 5; // present:u8 just before the locktime
    expect(raw[marker]).toBe(0);
    const withTx = Buffer.from(raw);
    withTx[marker] = 1;
    expect(reasonOf(() => parseRawBlock(withTx, { mweb: true }))).toBe('MWEB_TX_DATA');
    const badMarker = Buffer.from(raw);
    badMarker[hogEx.end] = 2;
    expect(reasonOf(() => parseRawBlock(badMarker, { mweb: true }))).toBe('MWEB_BLOCK_MARKER');
  });

  it('refuses a HogEx marker anywhere but on the last transaction', () => {
    // block 433 with its HogEx moved first: serialized as header | count | hogex | coinbase | ...
    const raw = richRaw();
    const block = parseRawBlock(raw, { mweb: true });
    const txs = block.transactions;
    const hogEx = txs.at(-1)!;
    const moved = Buffer.concat([
      raw.subarray(0, 81),
      raw.subarray(hogEx.start, hogEx.end),
      raw.subarray(txs[0]!.start, txs.at(-2)!.end),
      raw.subarray(hogEx.end),
    ]);
    expect(reasonOf(() => parseRawBlock(moved, { mweb: true }))).toBe('HOGEX_POSITION');
  });

  it('refuses trailing bytes after a block without HogEx, and a duplicated last transaction (CVE-2012-2459)', () => {
    const pre = ltcBlocks.valid.find((b) => b.height === 431)!;
    expect(reasonOf(() => parseRawBlock(Buffer.concat([Buffer.from(pre.hex, 'hex'), Buffer.of(0)]), { mweb: true }))).toBe('TRAILING_DATA');
    const btc = btcBlocks.valid.find((b) => b.description === 'Block (~32 KiB)')!;
    const raw = Buffer.from(btc.hex, 'hex');
    const block = parseRawBlock(raw);
    const count = block.transactions.length;
    expect(count % 2).toBe(1); // odd: the last is paired with itself, so repeating it keeps the root
    const last = block.transactions.at(-1)!;
    const mutated = Buffer.concat([raw.subarray(0, 80), Buffer.of(count + 1), raw.subarray(81), raw.subarray(last.start, last.end)]);
    expect(reasonOf(() => parseRawBlock(mutated))).toBe('MERKLE_MUTATED');
  });

  it('decodes a header alone', () => {
    const header = parseBlockHeader(Buffer.from(rich.hex.slice(0, 160), 'hex'));
    expect(header.hash).toBe(rich.hash);
    expect(reasonOf(() => parseBlockHeader(Buffer.alloc(79)))).toBe('TRUNCATED');
  });
});
