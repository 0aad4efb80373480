import { type KeyObject, createECDH, createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { scriptToAddress } from '@wallet/chains';
import type { PrivateLitecoind } from './startPrivateLitecoind.js';

/** What {@link preloadUtxoChain} built: the block range, its size and the deposits a scanner must find in it. */
export type PreloadedUtxoChain = {
  readonly first: number;
  readonly last: number;
  /** Transactions in first..last (coinbases and HogEx included), as the scanner counts them. */
  readonly txs: number;
  readonly bytes: number;
  /** The addresses paid by the watched share of the outputs (rltc1… P2WPKH). */
  readonly receivers: readonly string[];
  readonly expectedDeposits: number;
  readonly expectedAmount: bigint;
};

// Litecoin Core 0.21 regtest: MWEB is active from block 432, whose block must carry a peg-in (deploy/local/stack.sh).
const MWEB_HEIGHT = 432;
const PAYMENT = 100_000n; // sat per payment output
const FEE = 5_000n; // sat per transaction (about 35 sat/vB)
const POOL_VALUE = 50_000_000n; // sat per coin of the spending pool (0.5 LTC lasts 476 rounds)
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Builds blocks of `txsPerBlock` transactions on a fresh private regtest node: mines past MWEB activation (peg-in at
 * 431), funds one key from the node's wallet, fans that coin out to `txsPerBlock` coins, then for each block spends
 * every coin once (1 input, P2WPKH) into a payment and the change: the payment goes to one of `receivers` watched
 * addresses with probability `watchedShare`, else to a fresh P2WPKH or P2PKH script. Transactions are signed here
 * (BIP143 sighash, ECDSA by node:crypto with low S), sent in JSON-RPC batches and mined by `generatetoaddress`.
 */
export async function preloadUtxoChain(options: {
  readonly node: PrivateLitecoind;
  readonly blocks: number;
  readonly txsPerBlock: number;
  readonly watchedShare: number;
  readonly receivers: number;
  readonly seed: number;
  readonly say: (msg: string) => void;
}): Promise<PreloadedUtxoChain> {
  const { node, blocks, txsPerBlock, say } = options;
  if (txsPerBlock > 2500) throw new Error('TXS_PER_BLOCK: at most 2,500 (the fan-out is one standard transaction)');
  let seed = options.seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: the same chain shape for the same seed
    seed ^= seed << 13;
    seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed / 2 ** 32;
  };

  await node.call('createwallet', ['miner']);
  const minerAddress = await node.call<string>('getnewaddress', [], 'miner');
  say(`mining to MWEB activation (${MWEB_HEIGHT}, peg-in at ${MWEB_HEIGHT - 1})`);
  await node.call('generatetoaddress', [MWEB_HEIGHT - 1, minerAddress], 'miner');
  const mwebAddress = await node.call<string>('getnewaddress', ['', 'mweb'], 'miner');
  await node.call('sendtoaddress', [mwebAddress, 1], 'miner');
  await node.call('generatetoaddress', [2, minerAddress], 'miner');

  const key = newKey();
  const ourScript = p2wpkh(key.hash);
  const ourAddress = scriptToAddress('ltc', 'regtest', ourScript)!;
  const funding = POOL_VALUE * BigInt(txsPerBlock) + 1_000_000n;
  const fundTxid = await node.call<string>('sendtoaddress', [ourAddress, satToLtc(funding)], 'miner');
  const fundTx = await node.call<{ vout: { n: number; scriptPubKey: { hex: string } }[] }>('getrawtransaction', [fundTxid, true]);
  await node.call('generatetoaddress', [1, minerAddress], 'miner');
  const fundVout = fundTx.vout.find((o) => o.scriptPubKey.hex === ourScript.toString('hex'))!.n;

  // The fan-out: one coin of POOL_VALUE per transaction of a block.
  const fanOut = buildTx(
    key,
    [{ txid: fundTxid, vout: fundVout, value: funding }],
    [...Array.from({ length: txsPerBlock }, () => ({ script: ourScript, value: POOL_VALUE }))],
  );
  await node.call('sendrawtransaction', [fanOut.hex]);
  await node.call('generatetoaddress', [1, minerAddress], 'miner');
  let pool = Array.from({ length: txsPerBlock }, (_, vout) => ({ txid: fanOut.txid, vout, value: POOL_VALUE }));

  const receiverScripts = Array.from({ length: options.receivers }, () => p2wpkh(randomBytes(20)));
  const receivers = receiverScripts.map((s) => scriptToAddress('ltc', 'regtest', s)!);
  let expectedDeposits = 0;
  let expectedAmount = 0n;
  const first = (await node.call<number>('getblockcount')) + 1;
  const started = Date.now();
  let lastReport = started;
  let txs = 0;
  let bytes = 0;
  for (let b = 0; b < blocks; b++) {
    const hexes: string[] = [];
    const next: typeof pool = [];
    // Sent in batches while the next ones are signed: the node checks one batch as this process signs the next.
    let sending: Promise<unknown> = Promise.resolve();
    for (const coin of pool) {
      let payTo: Buffer;
      if (random() < options.watchedShare) {
        payTo = receiverScripts[Math.floor(random() * receiverScripts.length)]!;
        expectedDeposits++;
        expectedAmount += PAYMENT;
      } else {
        payTo = random() < 0.5 ? p2wpkh(randomBytes(20)) : p2pkh(randomBytes(20));
      }
      const change = coin.value - PAYMENT - FEE;
      const tx = buildTx(
        key,
        [coin],
        [
          { script: payTo, value: PAYMENT },
          { script: ourScript, value: change },
        ],
      );
      hexes.push(tx.hex);
      next.push({ txid: tx.txid, vout: 1, value: change });
      if (hexes.length === 200) {
        const batch = hexes.splice(0).map((h) => [h]);
        sending = sending.then(() => node.batch('sendrawtransaction', batch));
      }
    }
    const rest = hexes.map((h) => [h]);
    await sending.then(() => (rest.length > 0 ? node.batch('sendrawtransaction', rest) : undefined));
    const [hash] = await node.call<string[]>('generatetoaddress', [1, minerAddress], 'miner');
    const block = await node.call<{ nTx: number; size: number }>('getblock', [hash, 1]);
    if (block.nTx < txsPerBlock + 1) throw new Error(`block ${first + b}: ${block.nTx} transactions, expected ${txsPerBlock + 1} or more`);
    txs += block.nTx;
    bytes += block.size;
    pool = next;
    const now = Date.now();
    if (now - lastReport > 5_000 || b === blocks - 1) {
      lastReport = now;
      const rate = ((b + 1) * txsPerBlock) / ((now - started) / 1000);
      say(`blocks ${b + 1}/${blocks} (${Math.round(rate).toLocaleString('en')} txs/s signed, sent and mined)`);
    }
  }
  return { first, last: first + blocks - 1, txs, bytes, receivers, expectedDeposits, expectedAmount };
}

type Key = { readonly privateKey: KeyObject; readonly publicKey: Buffer; readonly hash: Buffer };
type Coin = { readonly txid: string; readonly vout: number; readonly value: bigint };

function newKey(): Key {
  const ecdh = createECDH('secp256k1');
  ecdh.generateKeys();
  const uncompressed = ecdh.getPublicKey();
  const b64 = (b: Buffer): string => b.toString('base64url');
  const privateKey = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'secp256k1',
      d: b64(ecdh.getPrivateKey()),
      x: b64(uncompressed.subarray(1, 33)),
      y: b64(uncompressed.subarray(33)),
    },
    format: 'jwk',
  });
  const publicKey = ecdh.getPublicKey(null, 'compressed');
  return { privateKey, publicKey, hash: hash160(publicKey) };
}

/** A segwit transaction spending P2WPKH coins of `key` (SIGHASH_ALL each), and its txid. */
function buildTx(key: Key, inputs: readonly Coin[], outputs: readonly { script: Buffer; value: bigint }[]): { hex: string; txid: string } {
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const u64 = (n: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return b;
  };
  const outpoints = inputs.map((i) => Buffer.concat([Buffer.from(i.txid, 'hex').reverse(), u32(i.vout)]));
  const outs = Buffer.concat(outputs.map((o) => Buffer.concat([u64(o.value), varInt(o.script.length), o.script])));
  const version = u32(2);
  const locktime = u32(0);
  const sequence = u32(0xffffffff);
  const hashPrevouts = sha256d(Buffer.concat(outpoints));
  const hashSequence = sha256d(Buffer.concat(inputs.map(() => sequence)));
  const hashOutputs = sha256d(outs);
  const scriptCode = Buffer.concat([Buffer.from('1976a914', 'hex'), key.hash, Buffer.from('88ac', 'hex')]);
  const witnesses = inputs.map((input, i) => {
    const preimage = Buffer.concat([
      version,
      hashPrevouts,
      hashSequence,
      outpoints[i]!,
      scriptCode,
      u64(input.value),
      sequence,
      hashOutputs,
      locktime,
      u32(1),
    ]);
    // sign() hashes once more with SHA-256: the signed digest is sha256d(preimage), the BIP143 sighash.
    const signature = lowS(sign('sha256', createHash('sha256').update(preimage).digest(), key.privateKey));
    const sig = Buffer.concat([signature, Buffer.from([1])]);
    return Buffer.concat([Buffer.from([2]), varInt(sig.length), sig, varInt(key.publicKey.length), key.publicKey]);
  });
  const ins = Buffer.concat([varInt(inputs.length), ...outpoints.map((o) => Buffer.concat([o, Buffer.from([0]), sequence]))]);
  const body = Buffer.concat([ins, varInt(outputs.length), outs]);
  const txid = sha256d(Buffer.concat([version, body, locktime]))
    .reverse()
    .toString('hex');
  const hex = Buffer.concat([version, Buffer.from([0, 1]), body, ...witnesses, locktime]).toString('hex');
  return { hex, txid };
}

/** Re-encodes a DER ECDSA signature with s <= n/2 (BIP62; nodes refuse high S by policy). */
function lowS(der: Buffer): Buffer {
  const rLength = der[3]!;
  const r = der.subarray(4, 4 + rLength);
  const sLength = der[5 + rLength]!;
  let s = BigInt(`0x${der.subarray(6 + rLength, 6 + rLength + sLength).toString('hex')}`);
  if (s <= SECP256K1_N / 2n) return der;
  s = SECP256K1_N - s;
  let sHex = s.toString(16);
  if (sHex.length % 2) sHex = `0${sHex}`;
  let sBytes = Buffer.from(sHex, 'hex');
  if (sBytes[0]! & 0x80) sBytes = Buffer.concat([Buffer.from([0]), sBytes]);
  const body = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, sBytes.length]), sBytes]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function varInt(n: number): Buffer {
  if (n < 0xfd) return Buffer.from([n]);
  const b = Buffer.alloc(3);
  b[0] = 0xfd;
  b.writeUInt16LE(n, 1);
  return b;
}

function p2wpkh(hash: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x14]), hash]);
}

function p2pkh(hash: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x76, 0xa9, 0x14]), hash, Buffer.from([0x88, 0xac])]);
}

function sha256d(data: Buffer): Buffer {
  return createHash('sha256').update(createHash('sha256').update(data).digest()).digest();
}

function hash160(data: Buffer): Buffer {
  return createHash('ripemd160').update(createHash('sha256').update(data).digest()).digest();
}

function satToLtc(sat: bigint): string {
  return `${sat / 100_000_000n}.${(sat % 100_000_000n).toString().padStart(8, '0')}`;
}
