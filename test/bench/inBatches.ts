/** Maps `items` with at most `concurrency` calls out at a time, keeping their order. */
export async function inBatches<T, R>(items: readonly T[], concurrency: number, map: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += concurrency) out.push(...(await Promise.all(items.slice(i, i + concurrency).map(map))));
  return out;
}
