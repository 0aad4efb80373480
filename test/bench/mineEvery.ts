/** A running mining cadence; `stop` ends it and says how many blocks it mined. */
export type MiningCadence = { readonly stop: () => Promise<{ blocks: number; failures: number }> };

/**
 * Mines one block every `intervalMs` with `mineOne` (anvil: `anvil_mine`, on top of the block anvil mines for each
 * transaction; litecoind: `generatetodescriptor`): confirmations need blocks after the last transaction too. A tick
 * is skipped while the previous call is still out, so a slow node is not flooded.
 * @param mineOne mines exactly one block
 */
export function mineEvery(mineOne: () => Promise<unknown>, intervalMs: number): MiningCadence {
  let blocks = 0;
  let failures = 0;
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (inFlight !== undefined) return;
    inFlight = mineOne()
      .then(
        () => void blocks++,
        () => void failures++,
      )
      .finally(() => (inFlight = undefined));
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
      return { blocks, failures };
    },
  };
}
