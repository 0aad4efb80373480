/**
 * Polls `probe` every 200 ms until it returns something other than undefined.
 * @throws when `timeoutMs` passes first, naming `what`
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Waits until a withdrawal reaches `status`, mining a block every third poll while it is signed or broadcast
 * (confirmations need blocks); fails at once when it ends in another terminal status.
 */
export function waitWithdrawalStatus<W extends { status: string }>(
  get: () => Promise<W>,
  mine: () => Promise<unknown>,
  id: string,
  status: string,
  timeoutMs: number,
): Promise<W> {
  let polls = 0;
  return waitFor(
    `withdrawal ${id} ${status}`,
    async () => {
      const w = await get();
      if (w.status === status) return w;
      if (['confirmed', 'failed', 'rejected', 'cancelled'].includes(w.status))
        throw new Error(`withdrawal ${id} ended ${w.status}, not ${status}`);
      if (++polls % 3 === 0 && (w.status === 'broadcast' || w.status === 'signed')) await mine();
      return undefined;
    },
    timeoutMs,
  );
}
