// coinselect ships no types; this declares the one entry point coinSelection.ts uses (coinselect 3.x, index.js).
declare module 'coinselect' {
  /** Sizes are read from `script.length` (bytes); values are satoshis as safe integers. */
  export type CoinSelectUtxo = { readonly value: number; readonly script: { readonly length: number }; readonly index: number };
  export type CoinSelectTarget = { readonly value: number; readonly script?: { readonly length: number } };
  export type CoinSelectResult = {
    readonly inputs?: readonly CoinSelectUtxo[];
    /** The targets given, then a change output (no `script`) when the remainder is worth one. */
    readonly outputs?: readonly CoinSelectTarget[];
    readonly fee: number;
  };
  export default function coinSelect(
    utxos: readonly CoinSelectUtxo[],
    targets: readonly CoinSelectTarget[],
    feeRate: number,
  ): CoinSelectResult;
}
