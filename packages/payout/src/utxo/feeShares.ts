/**
 * Splits a transaction's fee among the withdrawals it pays, by the vbytes of each one's output (value 8, script length
 * 1, the script): a withdrawal to a longer script (P2WSH, P2TR) pays more of it. The shares are whole base units and
 * add up to the fee exactly (what rounding leaves goes one unit each to the first outputs).
 * @param scripts each withdrawal's output script, hex
 */
export function feeShares(fee: bigint, scripts: readonly string[]): bigint[] {
  if (scripts.length === 0) return [];
  if (fee < 0n) throw new RangeError('fee must not be negative');
  const weights = scripts.map((s) => 9n + BigInt(s.length / 2));
  const total = weights.reduce((a, b) => a + b, 0n);
  const shares = weights.map((w) => (fee * w) / total);
  let rest = fee - shares.reduce((a, b) => a + b, 0n);
  for (let i = 0; rest > 0n; i = (i + 1) % shares.length, rest--) shares[i]! += 1n;
  return shares;
}
