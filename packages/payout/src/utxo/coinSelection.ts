import { WalletError } from '@wallet/errors';
import coinSelect, { type CoinSelectTarget, type CoinSelectUtxo } from 'coinselect';

/** An output of our UTXO set offered to coin selection. */
export type CoinCandidate = { readonly txid: string; readonly vout: number; readonly amount: bigint };

/** A payment of a transaction being built: its scriptPubKey (hex) and amount in base units. */
export type PaymentOutput = { readonly script: string; readonly amount: bigint };

/** What {@link chooseCoins} chose: inputs, the change amount (null: none, the remainder went to the fee), the fee. */
export type CoinChoice<C extends CoinCandidate = CoinCandidate> = {
  readonly inputs: readonly C[];
  readonly change: bigint | null;
  readonly fee: bigint;
  /** Estimated virtual size of the signed transaction (P2WPKH inputs and change), vbytes. */
  readonly vsize: bigint;
};

/** Options of {@link chooseCoins}. */
export type CoinChoiceOptions = {
  /** Fee rate, sat/vB (whole). */
  readonly feeRate: bigint;
  /** Lowest fee rate the nodes relay, sat/vB. @default 1n */
  readonly minRelayFeeRate?: bigint;
  /** Smallest output the nodes relay (recipients below it are refused, change below it goes to the fee). @default 294n */
  readonly dustLimit?: bigint;
};

// Sizes in vbytes of a segwit v0 transaction spending P2WPKH outputs:
//   transaction: version 4, marker+flag 0.5, input count 1, output count 1, locktime 4 = 10.5
//   input: outpoint 36, scriptSig length 1 (empty), sequence 4 = 41, plus witness
//          (items 1, signature 1+72 (DER, worst case), public key 1+33 = 108 WU) / 4 = 27   -> 68
//   output: value 8, script length 1, script (P2WPKH: OP_0 <20-byte key hash> = 22)       -> 31
// coinselect counts 10 for the transaction, 41 + script.length per input, 9 + script.length per output and 34 for
// its change output: an input declared 28 bytes long (69 vB) covers the half vbyte of marker and flag it leaves out.
const TX_OVERHEAD_VB_X2 = 21n;
const P2WPKH_INPUT_VB = 68n;
const P2WPKH_OUTPUT_VB = 31n;
const COINSELECT_INPUT_SCRIPT = { length: 28 } as const;

/** P2WPKH dust limit at Bitcoin Core's default dust relay fee (3 sat/vB × (31 + 67) vB). */
export const P2WPKH_DUST_LIMIT = 294n;

/**
 * Chooses inputs among `candidates` for `outputs` at `feeRate` with coinselect (blackjack without change first,
 * then largest-first accumulation), keeping every amount a bigint: values go to coinselect as numbers only after a
 * check that they are safe integers, and its answer is re-checked in bigint (inputs = outputs + change + fee, fee
 * at least feeRate × vsize).
 * @returns the choice, or null when the candidates do not cover outputs and fee
 * @throws WalletError VALIDATION_FAILED (fee_rate_below_relay_minimum, amount_not_safe_integer, no_outputs) and
 *   AMOUNT_TOO_SMALL (an output below the dust limit)
 */
export function chooseCoins<C extends CoinCandidate>(
  candidates: readonly C[],
  outputs: readonly PaymentOutput[],
  options: CoinChoiceOptions,
): CoinChoice<C> | null {
  const { feeRate, dustLimit = P2WPKH_DUST_LIMIT } = options;
  checkPayment(outputs, options);
  const utxos: CoinSelectUtxo[] = candidates.map((c, index) => ({ value: safeNumber(c.amount), script: COINSELECT_INPUT_SCRIPT, index }));
  const targets: CoinSelectTarget[] = outputs.map((o) => ({ value: safeNumber(o.amount), script: { length: o.script.length / 2 } }));
  const sumCandidates = candidates.reduce((s, c) => s + c.amount, 0n);
  if (sumCandidates > BigInt(Number.MAX_SAFE_INTEGER)) throw unsafe('candidates', sumCandidates);
  const result = coinSelect(utxos, targets, safeNumber(feeRate));
  if (!result.inputs || !result.outputs) return null;

  const inputs = result.inputs.map((u) => candidates[u.index] as C);
  const inSum = inputs.reduce((s, c) => s + c.amount, 0n);
  const outSum = outputs.reduce((s, o) => s + o.amount, 0n);
  const changeOut = result.outputs[outputs.length];
  let change: bigint | null = changeOut === undefined ? null : BigInt(changeOut.value);
  // coinselect keeps change above 148 vB × feeRate, which at low rates is below the relay dust limit
  if (change !== null && change < dustLimit) change = null;
  const vsize = vsizeOf(inputs.length, outputs, change !== null);
  const fee = inSum - outSum - (change ?? 0n);
  if (change === null) return fee < feeRate * vsize ? null : { inputs, change, fee, vsize };
  // coinselect sized its change output as P2PKH (34 vB, not 31) and its inputs with a vbyte of slack: what it
  // over-counted goes back to the change, so the fee is exactly feeRate × vsize
  change += fee - feeRate * vsize;
  if (change < dustLimit) return null;
  return { inputs, change, fee: feeRate * vsize, vsize };
}

/** Estimated virtual size of a transaction spending `inputs` P2WPKH outputs to `outputs` (and a P2WPKH change). */
export function vsizeOf(inputs: number, outputs: readonly PaymentOutput[], withChange: boolean): bigint {
  const outputsVb = outputs.reduce((s, o) => s + 9n + BigInt(o.script.length / 2), 0n) + (withChange ? P2WPKH_OUTPUT_VB : 0n);
  return (TX_OVERHEAD_VB_X2 + 1n) / 2n + BigInt(inputs) * P2WPKH_INPUT_VB + outputsVb;
}

/** Refuses a payment no selection should start on: no output, a fee below relay, dust, an unsafe amount. */
export function checkPayment(outputs: readonly PaymentOutput[], options: CoinChoiceOptions): void {
  const { feeRate, minRelayFeeRate = 1n, dustLimit = P2WPKH_DUST_LIMIT } = options;
  if (feeRate < minRelayFeeRate) {
    throw new WalletError('VALIDATION_FAILED', 'fee rate below the relay minimum', {
      details: { reason: 'fee_rate_below_relay_minimum', feeRate: String(feeRate), minRelayFeeRate: String(minRelayFeeRate) },
    });
  }
  if (outputs.length === 0) throw new WalletError('VALIDATION_FAILED', 'no outputs', { details: { reason: 'no_outputs' } });
  for (const o of outputs) {
    if (!/^(?:[0-9a-f]{2})+$/.test(o.script)) {
      throw new WalletError('VALIDATION_FAILED', 'output script is not hex', { details: { reason: 'bad_script' } });
    }
    if (o.amount < dustLimit) {
      throw new WalletError('AMOUNT_TOO_SMALL', 'output below the dust limit', {
        details: { amount: String(o.amount), dustLimit: String(dustLimit) },
      });
    }
    safeNumber(o.amount);
  }
  const total = outputs.reduce((s, o) => s + o.amount, 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw unsafe('outputs', total);
}

/** `value` as a number, refused above 2^53 - 1 where a number no longer holds every integer. */
function safeNumber(value: bigint): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw unsafe('value', value);
  return Number(value);
}

function unsafe(what: string, value: bigint): WalletError {
  return new WalletError('VALIDATION_FAILED', 'amount beyond 2^53 - 1', {
    details: { reason: 'amount_not_safe_integer', what, value: String(value) },
  });
}
