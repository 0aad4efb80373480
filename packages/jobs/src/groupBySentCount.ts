/**
 * Groups outbox rows by how many times each was sent, so each group is updated in one statement that also checks the
 * count is still the one read (`... WHERE id IN (...) AND sent_count = ?`): a row whose message was replaced meanwhile
 * (its count reset) is not touched on the strength of the old one.
 * @param rows the rows
 * @param sentCount a row's send count as read
 * @returns the rows per send count, in the order met
 */
export function groupBySentCount<R>(rows: readonly R[], sentCount: (row: R) => number): Map<number, R[]> {
  const groups = new Map<number, R[]>();
  for (const row of rows) {
    const count = sentCount(row);
    const group = groups.get(count);
    if (group === undefined) groups.set(count, [row]);
    else group.push(row);
  }
  return groups;
}
