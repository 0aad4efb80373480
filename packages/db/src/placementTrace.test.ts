import { describe, expect, it } from 'vitest';
import { crossingsOf, misplacedOf, placedTables, placementOfTables, shapeOf, tablesOf } from './placementTrace.js';

describe('placementTrace (the census of docs/sharding.md)', () => {
  it("names the schema's tables a statement reads or writes, backticked or not, and nothing else", () => {
    expect(tablesOf('select * from `deposits` inner join `accounts` on `accounts`.`id` = `deposits`.`account_id`')).toEqual([
      'deposits',
      'accounts',
    ]);
    expect(tablesOf('UPDATE balances SET frozen = frozen - ? WHERE account_id = ?')).toEqual(['balances']);
    expect(tablesOf('INSERT INTO event_heads (client_id) VALUES (?)')).toEqual(['event_heads']);
    expect(tablesOf('delete from `event_outbox` where `id` in (?, ?)')).toEqual(['event_outbox']);
    // a column named like a table, and a table that is not the schema's
    expect(tablesOf('select `deposits`, `withdrawals` from `knex_migrations`')).toEqual([]);
  });

  it("takes a statement on the event outbox under the global origin for the global database's outbox", () => {
    const insert = 'insert into `event_outbox` (`client_id`, `node_id`) values (?, ?)';
    expect(placedTables(insert, ['c1', 't1'])).toEqual(['event_outbox']);
    expect(placedTables(insert, ['c1', '@global'])).toEqual([]);
  });

  it('folds placeholder lists, so one code path has one shape whatever its batch size', () => {
    expect(shapeOf('insert into `events` (`a`, `b`) values (?, ?), (?, ?), (?, ?)')).toBe(
      shapeOf('insert into `events` (`a`, `b`) values (?, ?)'),
    );
    expect(shapeOf('select 1 from `x` where `id` in (?, ?, ?, ?, ?, ?')).toBe(shapeOf('select 1 from `x` where `id` in (?)'));
  });

  it('places a set of tables', () => {
    expect(placementOfTables(['accounts', 'events'])).toBe('global');
    expect(placementOfTables(['balances', 'journal'])).toBe('shard');
    expect(placementOfTables(['accounts', 'balances'])).toBe('both');
    expect(placementOfTables([])).toBeUndefined();
  });

  it('reports each kind of transaction, and each lone statement, that spans both placements, with how often it ran', () => {
    const crossing = [
      { tx: 't1', tables: ['balances' as const], sql: 'UPDATE balances SET available = ? WHERE account_id = ?' },
      { tx: 't1', tables: ['chain_blocks' as const], sql: 'select * from `chain_blocks` where `hash` = ? for update' },
    ];
    const again = crossing.map((s) => ({ ...s, tx: 't2' }));
    const shardOnly = [
      { tx: 't3', tables: ['balances' as const], sql: 'UPDATE balances SET available = ? WHERE account_id = ?' },
      { tx: 't3', tables: ['journal' as const], sql: 'insert into `journal` (`a`) values (?)' },
    ];
    const lone = [{ tx: null, tables: ['accounts' as const, 'deposits' as const], sql: 'select * from `deposits` join `accounts` on 1' }];
    const found = crossingsOf('transrv', [...crossing, ...shardOnly, ...again, ...lone]);
    expect(found).toHaveLength(2);
    expect(found.find((c) => c.kind === 'transaction')).toMatchObject({ seen: 2, global: ['chain_blocks'], shard: ['balances'] });
    expect(found.find((c) => c.kind === 'statement')).toMatchObject({ seen: 1, global: ['accounts'], shard: ['deposits'] });
  });

  it("reports what ran on the other placement's pool, and leaves crossings and one-database processes alone", () => {
    const onShard = (tx: string | null, table: 'balances' | 'accounts' | 'chain_blocks', pool: 'global' | 'shard' | undefined) => ({
      tx,
      pool,
      tables: [table],
      sql: `select * from \`${table}\` where \`id\` = ?`,
    });
    const found = misplacedOf('transrv', [
      onShard('t1', 'balances', 'shard'),
      onShard('t2', 'accounts', 'shard'),
      onShard('t3', 'accounts', 'shard'),
      onShard(null, 'balances', 'global'),
      onShard('t4', 'chain_blocks', 'shard'),
      onShard('t4', 'balances', 'shard'),
      onShard(null, 'accounts', undefined),
      onShard(null, 'accounts', 'global'),
    ]);
    expect(found.map((m) => [m.kind, m.placement, m.pool, m.seen])).toEqual([
      ['transaction', 'global', 'shard', 2],
      ['statement', 'shard', 'global', 1],
    ]);
  });
});
