import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type OwnedTable, dbServices, grantsOf, placementOf, shardTables, tableOwnership } from './ownership.js';
import { censusGroupsOf } from './placementTrace.js';

describe('tableOwnership', () => {
  it('gives every table one owner among the services, readers other than the owner, and a line saying what it holds', () => {
    for (const [table, t] of Object.entries(tableOwnership)) {
      expect(dbServices, table).toContain(t.owner);
      expect(t.readers, table).not.toContain(t.owner);
      expect(t.holds.length, table).toBeGreaterThan(0);
      for (const e of 'exceptions' in t ? t.exceptions : []) expect(e.service, table).not.toBe(t.owner);
    }
  });

  it("never lets signsrv write transrv's withdrawals, events, balances or journal", () => {
    const writes = grantsOf('signsrv').filter((g) => g.privilege !== 'SELECT');
    for (const table of ['withdrawals', 'withdrawal_events', 'balances', 'journal', 'transfers', 'deposits']) {
      expect(
        writes.filter((g) => g.table === table),
        table,
      ).toEqual([]);
    }
  });
});

describe('grantsOf', () => {
  it('gives the owner rows only, readers SELECT, exceptions their columns', () => {
    const signsrv = grantsOf('signsrv');
    expect(signsrv.filter((g) => g.table === 'sign_requests').map((g) => g.privilege)).toEqual(['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
    expect(signsrv.filter((g) => g.table === 'withdrawals')).toEqual([{ table: 'withdrawals', privilege: 'SELECT', columns: null }]);
    expect(signsrv.filter((g) => g.table === 'utxos')).toEqual([
      { table: 'utxos', privilege: 'SELECT', columns: null },
      { table: 'utxos', privilege: 'UPDATE', columns: ['locked_by', 'locked_until'] },
    ]);
    expect(grantsOf('transrv').filter((g) => g.table === 'transrv_nodes')).toEqual([
      { table: 'transrv_nodes', privilege: 'SELECT', columns: ['node_id'] },
      { table: 'transrv_nodes', privilege: 'INSERT', columns: ['node_id'] },
      { table: 'transrv_nodes', privilege: 'UPDATE', columns: ['last_started_at'] },
    ]);
    expect(grantsOf('gatesrv')).toEqual([]);
  });

  it('never grants DDL', () => {
    for (const s of dbServices) for (const g of grantsOf(s)) expect(['SELECT', 'INSERT', 'UPDATE', 'DELETE']).toContain(g.privilege);
  });
});

/** The table of docs/ownership.md, as the map says it (the doc shows it between its markers). */
function renderOwnershipTable(): string {
  const rows = Object.entries(tableOwnership).map(([table, t]) => {
    const exceptions = 'exceptions' in t ? t.exceptions : [];
    const other = exceptions.map((e) => `${e.service}: ${e.privilege} (${e.columns.join(', ')})`).join('; ');
    return `| \`${table}\` | ${t.holds} | ${t.owner} | ${t.readers.join(', ') || '-'} | ${other || '-'} |`;
  });
  return [
    '| table | holds | owner (writes) | readers (SELECT) | column grants to others |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

describe('docs/ownership.md', () => {
  it('shows the ownership map as it is (every table, its owner, readers and column grants)', () => {
    const doc = readFileSync(new URL('../../../docs/ownership.md', import.meta.url), 'utf8');
    const shown = /<!-- ownership:begin -->\n([\s\S]*?)\n<!-- ownership:end -->/.exec(doc)?.[1];
    // On a mismatch, the expected table is printed: paste it between the markers.
    expect(shown, 'docs/ownership.md: the table between <!-- ownership:begin --> and <!-- ownership:end -->').toBe(renderOwnershipTable());
  });
});

/** docs/sharding.md: the tables named in its "Each shard holds" paragraph, and the rows of its crossings table. */
function shardingDoc(): { shardParagraph: string[]; crossings: { by: string; tables: string[] }[] } {
  const doc = readFileSync(new URL('../../../docs/sharding.md', import.meta.url), 'utf8');
  const paragraph = /Each \*\*shard\*\* holds([\s\S]*?)Every change of money/.exec(doc)?.[1] ?? '';
  const table = /<!-- crossings:begin -->\n([\s\S]*?)\n<!-- crossings:end -->/.exec(doc)?.[1] ?? '';
  const names = (text: string): string[] => [...text.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!);
  const crossings = table
    .split('\n')
    .slice(2)
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .map((cells) => ({ by: cells[2]!, tables: names(cells[3]!) }));
  return { shardParagraph: names(paragraph), crossings };
}

describe('docs/sharding.md (the placement of each table, issue 18)', () => {
  it('names exactly the shard tables of the map', () => {
    expect(new Set(shardingDoc().shardParagraph)).toEqual(new Set(shardTables));
    for (const table of shardTables) expect(tableOwnership[table].owner, table).toBe('transrv');
  });

  it("lists every read of a shard table by another service than its owner, and no read the map doesn't grant", () => {
    const { crossings } = shardingDoc();
    expect(crossings.length).toBeGreaterThan(0);
    for (const c of crossings) {
      expect(dbServices, c.by).toContain(c.by);
      for (const t of c.tables) expect(placementOf(t as OwnedTable), `${t} in the crossings table`).toBe('shard');
    }
    const granted = new Set(
      dbServices.flatMap((service) =>
        grantsOf(service)
          .filter((g) => g.table in tableOwnership && placementOf(g.table as OwnedTable) === 'shard')
          .filter((g) => tableOwnership[g.table as OwnedTable].owner !== service)
          .map((g) => `${service} ${g.table}`),
      ),
    );
    const documented = new Set(crossings.filter((c) => c.by !== 'transrv').flatMap((c) => c.tables.map((t) => `${c.by} ${t}`)));
    // A grant added on a shard table must come with its row (and its way out) in docs/sharding.md; a read moved behind
    // an RPC must leave both the map and the doc.
    expect(documented).toEqual(granted);
  });

  it("places the census's tables as the map does (global column global, shard column shard)", () => {
    const groups = censusGroupsOf(readFileSync(new URL('../../../docs/sharding.md', import.meta.url), 'utf8'));
    expect(groups.length).toBeGreaterThan(0);
    for (const g of groups) {
      for (const t of g.global) expect(placementOf(t as OwnedTable), `${t} (${g.group}), global column`).toBe('global');
      for (const t of g.shard) expect(placementOf(t as OwnedTable), `${t} (${g.group}), shard column`).toBe('shard');
    }
  });
});
