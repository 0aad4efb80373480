import type { Knex } from '@wallet/db';
import { Psbt, type Network as BitcoinNetwork } from 'bitcoinjs-lib';
import { vsizeOf } from './coinSelection.js';

/** What a build's PSBT must pay: each withdrawal's output, exactly. */
export type ExpectedPayment = {
  readonly withdrawalId: string;
  /** Its output in the transaction. */
  readonly vout: number;
  /** The destination's scriptPubKey, hex (from the withdrawal row, checked against its localhash by the caller). */
  readonly script: string;
  readonly amount: bigint;
};

/** The key of one input under the chain's account: branch 0 deposit addresses, branch 1 the wallet's own. */
export type InputKey = { readonly input: number; readonly change: 0 | 1; readonly index: number };

/** What {@link checkBuild} found: the input keys and the fee when the PSBT is what MySQL says, else the problems. */
export type BuildCheck =
  | {
      readonly ok: true;
      readonly keys: readonly InputKey[];
      readonly fee: bigint;
      readonly vsize: bigint;
      readonly changeVout: number | null;
    }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Options of {@link checkBuild}. */
export type CheckBuildOptions = {
  readonly chain: string;
  readonly network: BitcoinNetwork;
  /** The build whose inputs must be locked (`utxos.locked_by`). */
  readonly buildId: string;
  /** The PSBT, base64. */
  readonly psbt: string;
  readonly payments: readonly ExpectedPayment[];
  /** Lowest and highest fee rate signsrv signs at, sat/vB. */
  readonly minFeeRate: bigint;
  readonly maxFeeRate: bigint;
  /** The canonical address of a scriptPubKey (hex) on the chain, null for a script without one. */
  readonly addressOf: (script: string) => string | null;
};

const P2WPKH = /^0014[0-9a-f]{40}$/;

/**
 * signsrv's check of a transaction before it signs it, against MySQL alone (never against what built it): every
 * output is one of the approved payments (destination and amount exactly, at the output the build recorded) or the
 * one change output to an address of the wallet's own (`wallet_addresses`); every input is an unspent output of our
 * UTXO set (`utxos`: amount and script as the PSBT states them, P2WPKH of a key of ours) locked for this very build;
 * nothing is spent twice; the fee (inputs minus outputs) is within the bounds. Reads inside the caller's transaction.
 * @returns the key of each input (for the signer) and the fee, or every problem found (`output_changed`,
 *   `output_missing`, `extra_output`, `foreign_input`, `input_not_locked`, `input_mismatch`, `duplicate_input`,
 *   `fee_out_of_bounds`, `psbt`)
 */
export async function checkBuild(trx: Knex | Knex.Transaction, o: CheckBuildOptions): Promise<BuildCheck> {
  let psbt: Psbt;
  try {
    psbt = Psbt.fromBase64(o.psbt, { network: o.network });
  } catch {
    return { ok: false, problems: ['psbt'] };
  }
  const problems = new Set<string>();
  const outs = psbt.txOutputs;
  // Outputs: the payments where the build put them, then at most one change output to an address of ours.
  const paid = new Set<number>();
  for (const p of o.payments) {
    const out = outs[p.vout];
    if (out === undefined) {
      problems.add('output_missing');
      continue;
    }
    if (Buffer.from(out.script).toString('hex') !== p.script || out.value !== p.amount) problems.add('output_changed');
    paid.add(p.vout);
  }
  const others = outs.map((out, vout) => ({ out, vout })).filter(({ vout }) => !paid.has(vout));
  let changeVout: number | null = null;
  if (others.length > 1) problems.add('extra_output');
  const change = others[0];
  if (change !== undefined) {
    const script = Buffer.from(change.out.script).toString('hex');
    const address = o.addressOf(script);
    const ours =
      address === null
        ? undefined
        : await trx('wallet_addresses').where({ chain: o.chain, branch: 1, address }).first<{ id: string } | undefined>('id');
    if (!ours || !P2WPKH.test(script)) problems.add('extra_output');
    else changeVout = change.vout;
  }

  // Inputs: each an unspent output of ours, locked for this build, as the PSBT describes it.
  const seen = new Set<string>();
  const keys: InputKey[] = [];
  let inTotal = 0n;
  for (const [i, input] of psbt.txInputs.entries()) {
    const txid = Buffer.from(input.hash).reverse().toString('hex');
    const key = `${txid}:${input.index}`;
    if (seen.has(key)) problems.add('duplicate_input');
    seen.add(key);
    const row = await trx('utxos')
      .where({ chain: o.chain, txid, vout: input.index })
      .first<{ script: string; amount: string; locked_by: string | null; spent_by_txid: string | null } | undefined>(
        'script',
        'amount',
        'locked_by',
        'spent_by_txid',
      );
    if (!row) {
      problems.add('foreign_input');
      continue;
    }
    if (row.locked_by !== o.buildId || row.spent_by_txid !== null) problems.add('input_not_locked');
    const witness = psbt.data.inputs[i]?.witnessUtxo;
    if (!witness || Buffer.from(witness.script).toString('hex') !== row.script || witness.value !== BigInt(row.amount)) {
      problems.add('input_mismatch');
    }
    if (!P2WPKH.test(row.script)) {
      problems.add('foreign_input');
      continue;
    }
    const k = await keyOfAddress(trx, o.chain, o.addressOf(row.script));
    if (!k) problems.add('foreign_input');
    else keys.push({ input: i, ...k });
    inTotal += BigInt(row.amount);
  }
  if (psbt.inputCount === 0) problems.add('foreign_input');

  const outTotal = outs.reduce((s, out) => s + out.value, 0n);
  const fee = inTotal - outTotal;
  const vsize = vsizeOf(
    psbt.inputCount,
    outs.filter((_, vout) => vout !== changeVout).map((out) => ({ script: Buffer.from(out.script).toString('hex'), amount: out.value })),
    changeVout !== null,
  );
  if (fee < o.minFeeRate * vsize || fee > o.maxFeeRate * vsize) problems.add('fee_out_of_bounds');
  if (problems.size > 0) return { ok: false, problems: [...problems].sort() };
  return { ok: true, keys, fee, vsize, changeVout };
}

/**
 * Where the key of a P2WPKH address of ours is: a deposit address (branch 0, its derivation index) or one of the
 * wallet's own (`wallet_addresses`). @returns null when the address is not ours
 */
async function keyOfAddress(
  trx: Knex | Knex.Transaction,
  chain: string,
  address: string | null,
): Promise<{ change: 0 | 1; index: number } | null> {
  if (address === null) return null;
  const deposit = await trx('addresses').where({ chain, address }).first<{ derivation_index: string } | undefined>('derivation_index');
  if (deposit) return { change: 0, index: Number(deposit.derivation_index) };
  const own = await trx('wallet_addresses')
    .where({ chain, address })
    .first<{ branch: number; derivation_index: string } | undefined>('branch', 'derivation_index');
  if (own && (own.branch === 0 || own.branch === 1)) return { change: own.branch, index: Number(own.derivation_index) };
  return null;
}
