import type { Knex } from 'knex';

/** A row's place in a list ordered by (created_at, id). */
export type KeysetPosition = { readonly createdAt: Date; readonly id: string };

export type KeysetPageOptions = {
  /** The alias (or table name) that `created_at` and `id` are qualified with in the reads. */
  readonly alias: string;
  /** `desc`: newest first. */
  readonly order: 'desc' | 'asc';
  readonly limit: number;
  /** The last row of the previous page: the page starts after it, in `order`. */
  readonly after?: KeysetPosition | undefined;
  /** created_at >= since. */
  readonly since?: Date | undefined;
  /** created_at < until. */
  readonly until?: Date | undefined;
};

/**
 * One page of rows in (created_at, id) order, from one read or the union of several disjoint reads.
 *
 * Each read is a filtered query whose filter is served in order by one index ending in created_at (InnoDB appends the
 * id), so it is one range read of at most `limit + 1` rows, and never a sort of the rows the filter matches. A filter
 * that no single index serves in order (an account on either side of a transfer; a status clients see for two stored
 * ones) is split into disjoint reads, each ordered by its own index; their pages are merged here. The keyset
 * condition (created_at, id) beyond `after` is written as `created_at < t OR (created_at = t AND id < i)`, which
 * MariaDB turns into ranges of the index.
 *
 * A row committed after a reader's cursor passed its place is not seen by that reader (true of any keyset list).
 *
 * @param reads the filtered reads (WHERE clauses only; this adds the order, the range and the limit); their rows
 *   must be disjoint, and each must select `created_at` and `id` of the alias as `created_at` and `id`
 * @returns up to `limit` rows and whether more follow
 */
export async function keysetPage<R extends { id: string; created_at: Date }>(
  reads: readonly Knex.QueryBuilder[],
  options: KeysetPageOptions,
): Promise<{ rows: R[]; more: boolean }> {
  const { alias, order, limit, after, since, until } = options;
  const createdAt = `${alias}.created_at`;
  const id = `${alias}.id`;
  const beyond = order === 'desc' ? '<' : '>';
  const pages = await Promise.all(
    reads.map((read) => {
      if (since !== undefined) void read.andWhere(createdAt, '>=', since);
      if (until !== undefined) void read.andWhere(createdAt, '<', until);
      if (after !== undefined) {
        void read.andWhere((w) => {
          void w.where(createdAt, beyond, after.createdAt).orWhere((same) => {
            void same.where(createdAt, after.createdAt).andWhere(id, beyond, after.id);
          });
        });
      }
      return read
        .orderBy(createdAt, order)
        .orderBy(id, order)
        .limit(limit + 1)
        .then((rows: R[]) => rows);
    }),
  );
  const rows = pages.length === 1 ? pages[0]! : pages.flat().sort(order === 'desc' ? (a, b) => compare(b, a) : compare);
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

/**
 * `FROM <table> AS <alias> FORCE INDEX (<index>)`: the index a list's filter was given (migration 0022). Forced so the
 * plan does not depend on statistics: left to itself MariaDB may read another index (one that serves the WHERE but
 * not the order: a sort of every matching row) or intersect two indexes and sort the result.
 */
export function fromIndex(db: Knex, table: string, alias: string, index: string): Knex.QueryBuilder {
  return db.from(db.raw('?? AS ?? FORCE INDEX (??)', [table, alias, index]));
}

/** (created_at, id) ascending; ids compare by their bytes, as the utf8mb4_bin columns do (ids are ASCII). */
function compare(a: { id: string; created_at: Date }, b: { id: string; created_at: Date }): number {
  return a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
