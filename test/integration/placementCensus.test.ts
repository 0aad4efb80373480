// docs/sharding.md, issue 18: a transrv node has two pools (global and shard) and sends each query to the pool of its
// tables. This runs a cluster with every statement traced (WALLET_DB_TRACE_DIR), drives the money paths through the
// public and auditors' APIs, and checks the trace: no transrv statement ran on the other placement's pool, and every
// transaction that still spans both placements belongs to a group the census table of docs/sharding.md lists (so the
// list cannot silently grow: new code that crosses the line fails here until the table names it and its plan).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Crossing, type Misplaced, type TracedStatement, censusGroupsOf, crossingsOf, misplacedOf } from '@wallet/db';
import { parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mined } from '../contracts/deploy.js';
import { repoRoot } from '../harness/repoRoot.js';
import { waitFor } from '../harness/waitFor.js';
import { WithdrawalWorld } from '../harness/WithdrawalWorld.js';

const traceDir = mkdtempSync(join(tmpdir(), 'wallet-trace-'));
let world: WithdrawalWorld;

beforeAll(async () => {
  world = await WithdrawalWorld.start({ extraEnv: { WALLET_DB_TRACE_DIR: traceDir } });
}, 180_000);

afterAll(async () => {
  await world?.stop();
  rmSync(traceDir, { recursive: true, force: true });
});

/** The census table of docs/sharding.md: each group's global and shard tables. */
function documentedGroups(): { group: string; global: Set<string>; shard: Set<string> }[] {
  return censusGroupsOf(readFileSync(join(repoRoot, 'docs', 'sharding.md'), 'utf8')).map((g) => ({
    group: g.group,
    global: new Set(g.global),
    shard: new Set(g.shard),
  }));
}

/** transrv's trace files, read. */
function transrvTraces(): TracedStatement[][] {
  return readdirSync(traceDir)
    .filter((f) => f.startsWith('transrv-') && f.endsWith('.jsonl'))
    .map((f) =>
      readFileSync(join(traceDir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as TracedStatement),
    );
}

describe('the placement of transrv queries (two pools, docs/sharding.md)', () => {
  it('deposits, transfers, withdrawals, cancels, lists, red packets: no query on the wrong pool, no crossing the census does not list', async () => {
    const api = world.api;
    const [a, b] = await Promise.all([world.fundedAccount({ ETH: parseEther('5') }), world.fundedAccount({})]);
    // An on-chain deposit, credited at its confirmations.
    const address = (await api.post<{ address: string }>(`/v1/accounts/${b}/addresses`, { chain: 'eth' })).body.address;
    await mined(world.deployer.sendTransaction({ to: address, value: 123_456n }));
    await waitFor('the deposit credited', async () => {
      await world.mine(1);
      const page = await api.get<{ data: { status: string }[] }>(`/v1/accounts/${b}/deposits`);
      return page.body.data.some((d) => d.status === 'credited') ? true : undefined;
    });
    // Transfers both ways (the two accounts may be on one node or two: either way each leg is a node's own).
    expect((await api.post('/v1/transfers', { from: a, to: b, asset: 'ETH', amount: '1000' })).status).toBe(201);
    expect((await api.post('/v1/transfers', { from: b, to: a, asset: 'ETH', amount: '10' })).status).toBe(201);
    // A withdrawal approved and confirmed, one cancelled, one rejected.
    const to = WithdrawalWorld.freshAddress();
    const paid = await world.withdraw(a, { asset: 'ETH', to, amount: parseEther('0.2').toString() });
    expect(paid.status).toBe(201);
    await world.signsrv.received(paid.body.id);
    expect((await world.signsrv.approveSigned(paid.body.id)).status).toBe(200);
    await world.waitStatus(paid.body.id, 'confirmed');
    const cancelled = await world.withdraw(a, { asset: 'ETH', to, amount: parseEther('0.01').toString() });
    expect(cancelled.status).toBe(201);
    expect((await api.post(`/v1/withdrawals/${cancelled.body.id}/cancel`, {})).status).toBe(200);
    const rejected = await world.withdraw(a, { asset: 'ETH', to, amount: parseEther('0.02').toString() });
    expect(rejected.status).toBe(201);
    await world.signsrv.received(rejected.body.id);
    expect((await world.signsrv.reject(rejected.body.id, 'placement census')).status).toBe(200);
    await world.waitStatus(rejected.body.id, 'rejected');
    // A red packet, claimed.
    const packet = await api.post<{ id: string }>('/v1/red-packets', {
      from: a,
      asset: 'ETH',
      mode: 'equal',
      total: '100',
      count: 2,
      expiresIn: 3600,
    });
    expect(packet.status).toBe(201);
    expect((await api.post(`/v1/red-packets/${packet.body.id}/claim`, { accountId: b })).status).toBe(201);
    // Reads: balances, ledger, the client-wide lists, the event feed.
    for (const path of [
      `/v1/accounts/${a}/balances`,
      `/v1/accounts/${a}/ledger`,
      `/v1/accounts/${a}/withdrawals`,
      '/v1/deposits',
      '/v1/withdrawals',
      '/v1/transfers',
      '/v1/events?after=0',
    ]) {
      expect((await api.get(path)).status, path).toBe(200);
    }
    await world.fixtures.outboxDrained();

    const traces = transrvTraces();
    expect(traces.length).toBeGreaterThanOrEqual(2);
    const statements = traces.flat();
    // Not vacuous: both pools ran, and money moved on the shard's.
    expect(statements.some((s) => s.pool === 'global')).toBe(true);
    expect(statements.some((s) => s.pool === 'shard' && s.tables.includes('journal'))).toBe(true);

    const misplaced: Misplaced[] = traces.flatMap((t) => misplacedOf('transrv', t));
    expect(misplaced.map((m) => `${m.kind} of ${m.placement} tables on the ${m.pool} pool:\n  ${m.statements.join('\n  ')}`)).toEqual([]);

    const groups = documentedGroups();
    expect(groups.length).toBeGreaterThanOrEqual(5);
    const unlisted = traces
      .flatMap((t) => crossingsOf('transrv', t))
      .filter((c: Crossing) => !groups.some((g) => c.global.every((t) => g.global.has(t)) && c.shard.every((t) => g.shard.has(t))));
    expect(
      unlisted.map((c) => `${c.kind} (global ${c.global.join(', ')} | shard ${c.shard.join(', ')}):\n  ${c.statements.join('\n  ')}`),
    ).toEqual([]);
  });
});
