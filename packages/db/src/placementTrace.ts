import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { type OwnedTable, globalOutboxOrigin, placementOf, tableOwnership } from './ownership.js';

const known = new Set(Object.keys(tableOwnership));

/**
 * The tables a statement names after FROM, JOIN, INTO, UPDATE or DELETE ... FROM (backticked or not), that are tables
 * of the schema. knex writes every identifier backticked; hand-written SQL in this repository names tables the same
 * way, so a keyword followed by a name is enough (a column named like a table is never preceded by one of these).
 */
export function tablesOf(sql: string): OwnedTable[] {
  const found = new Set<OwnedTable>();
  for (const m of sql.matchAll(/\b(?:from|join|into|update|table)\s+`?([A-Za-z_][A-Za-z0-9_]*)`?/gi)) {
    const name = m[1]!;
    if (known.has(name)) found.add(name as OwnedTable);
  }
  return [...found];
}

/**
 * {@link tablesOf}, where a statement on `event_outbox` under the global origin ({@link globalOutboxOrigin}) is of the
 * global database's outbox: it is left out (it names no shard table), and the statement's other tables decide.
 */
export function placedTables(sql: string, bindings: readonly unknown[]): OwnedTable[] {
  const tables = tablesOf(sql);
  return bindings.includes(globalOutboxOrigin) ? tables.filter((t) => t !== 'event_outbox') : tables;
}

/** `global`, `shard` or `both`, for the tables of one statement or one transaction; undefined when none is known. */
export function placementOfTables(tables: readonly OwnedTable[]): 'global' | 'shard' | 'both' | undefined {
  const placements = new Set(tables.map(placementOf));
  if (placements.size === 0) return undefined;
  return placements.size === 2 ? 'both' : [...placements][0];
}

/**
 * A development tool for docs/sharding.md: with `WALLET_DB_TRACE_DIR` set, every statement a pool runs is appended to
 * `<dir>/<service>-<pid>.jsonl` with its transaction id and the tables it names, so
 * `pnpm -s exec tsx packages/db/src/placementCensusMain.ts <dir>` can list each transaction that touches global and shard tables
 * together (a transaction that cannot stay one transaction once a node has its own database). Off by default, and never
 * set by a deployment: it writes every statement to disk.
 */
export function traceQueries(db: Knex, pool?: 'global' | 'shard'): void {
  const dir = process.env['WALLET_DB_TRACE_DIR'];
  if (dir === undefined || dir === '') return;
  mkdirSync(dir, { recursive: true });
  const service = /\/services\/([a-z]+)\//.exec(process.argv[1] ?? '')?.[1] ?? 'process';
  const file = join(dir, `${service}-${process.pid}.jsonl`);
  db.on('query', (q: { sql?: string; bindings?: readonly unknown[]; __knexTxId?: string }) => {
    const sql = q.sql ?? '';
    const tables = placedTables(sql, q.bindings ?? []);
    if (tables.length === 0) return;
    appendFileSync(file, `${JSON.stringify({ tx: q.__knexTxId ?? null, pool, tables, sql: sql.slice(0, 300) })}\n`);
  });
}

export type TracedStatement = {
  readonly tx: string | null;
  /** The pool's placement, when the process has two (a transrv node: createDb's `placement`). */
  readonly pool?: 'global' | 'shard' | undefined;
  readonly tables: readonly OwnedTable[];
  readonly sql: string;
};

/** One kind of transaction (or lone statement) that names global and shard tables together, and how often it ran. */
export type Crossing = {
  readonly service: string;
  readonly kind: 'transaction' | 'statement';
  readonly statements: readonly string[];
  readonly global: readonly OwnedTable[];
  readonly shard: readonly OwnedTable[];
  readonly seen: number;
};

/**
 * A statement's shape: its SQL with every run of placeholders (value lists, `in (...)` lists, rows of a batch insert)
 * folded into one `?…`, so the same code path gives the same shape whatever the batch size.
 */
export function shapeOf(sql: string): string {
  return sql
    .replace(/\?(?:[\s,()]*\?)*[\s,(]*$/, '?)')
    .replace(/\?(?:[\s,()]*\?)*/g, '?…')
    .replace(/\s+/g, ' ')
    .slice(0, 160);
}

/** One transaction's statements, or one lone statement, with its key: its kind and its statements' shapes. */
type Group = {
  readonly kind: 'transaction' | 'statement';
  readonly statements: readonly TracedStatement[];
  readonly shapes: readonly string[];
  readonly key: string;
};

/** The statements of one trace file (one process) grouped by transaction; a statement outside one is a group alone. */
function groupsOf(statements: readonly TracedStatement[]): Group[] {
  const byTx = new Map<string, TracedStatement[]>();
  const groups: { kind: Group['kind']; statements: TracedStatement[] }[] = [];
  for (const s of statements) {
    if (s.tx === null) {
      groups.push({ kind: 'statement', statements: [s] });
      continue;
    }
    let tx = byTx.get(s.tx);
    if (tx === undefined) {
      tx = [];
      byTx.set(s.tx, tx);
      groups.push({ kind: 'transaction', statements: tx });
    }
    tx.push(s);
  }
  return groups.map((g) => {
    const shapes = [...new Set(g.statements.map((s) => shapeOf(s.sql)))].sort();
    return { ...g, shapes, key: `${g.kind}\n${shapes.join('\n')}` };
  });
}

/**
 * Groups the statements of one trace file (one process) by transaction and returns each distinct kind of transaction,
 * and each lone statement, that names tables of both placements.
 */
export function crossingsOf(service: string, statements: readonly TracedStatement[]): Crossing[] {
  const kinds = new Map<string, Crossing>();
  for (const group of groupsOf(statements)) {
    const tables = [...new Set(group.statements.flatMap((s) => s.tables))];
    if (placementOfTables(tables) !== 'both') continue;
    kinds.set(group.key, {
      service,
      kind: group.kind,
      statements: group.shapes,
      global: tables.filter((t) => placementOf(t) === 'global').sort(),
      shard: tables.filter((t) => placementOf(t) === 'shard').sort(),
      seen: (kinds.get(group.key)?.seen ?? 0) + 1,
    });
  }
  return [...kinds.values()];
}

/** One group of the census table of docs/sharding.md: its name, code, and the tables it spans on each side. */
export type CensusGroup = { readonly group: string; readonly code: string; readonly global: string[]; readonly shard: string[] };

/** The groups of docs/sharding.md's census table (the rows between `<!-- census:begin -->` and `<!-- census:end -->`). */
export function censusGroupsOf(markdown: string): CensusGroup[] {
  const table = /<!-- census:begin -->\n([\s\S]*?)\n<!-- census:end -->/.exec(markdown)?.[1] ?? '';
  const names = (text: string): string[] => [...text.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!);
  return table
    .split('\n')
    .slice(2)
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map((cells) => ({ group: cells[1]!, code: cells[2]!, global: names(cells[3]!), shard: names(cells[4]!) }));
}

/** One kind of transaction (or lone statement) of one placement that ran on the other placement's pool. */
export type Misplaced = {
  readonly service: string;
  readonly kind: 'transaction' | 'statement';
  readonly statements: readonly string[];
  /** Where its tables are. */
  readonly placement: 'global' | 'shard';
  /** The pool it ran on. */
  readonly pool: 'global' | 'shard';
  readonly seen: number;
};

/**
 * The transactions and lone statements whose tables are all of one placement but that ran on the pool of the other
 * (a node with a database of its own would send them to the wrong database). Crossings ({@link crossingsOf}) are not
 * repeated here, and statements of a pool without a placement (a process with one database) are not judged.
 */
export function misplacedOf(service: string, statements: readonly TracedStatement[]): Misplaced[] {
  const kinds = new Map<string, Misplaced>();
  for (const group of groupsOf(statements.filter((s) => s.pool !== undefined))) {
    const placement = placementOfTables([...new Set(group.statements.flatMap((s) => s.tables))]);
    const pool = group.statements[0]!.pool!;
    if (placement === undefined || placement === 'both' || placement === pool) continue;
    const seen = (kinds.get(group.key)?.seen ?? 0) + 1;
    kinds.set(group.key, { service, kind: group.kind, statements: group.shapes, placement, pool, seen });
  }
  return [...kinds.values()];
}
