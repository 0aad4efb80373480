// `pnpm bench:list-pages`: the latency of one page of a client's deposits, withdrawals and transfers (the client-wide
// lists of issue 15) with 100k rows of each kind for that client and a quarter as many of other clients', against a
// baseline measured in the same run on the same tables: a bare `SELECT * FROM <table> ORDER BY id DESC LIMIT 51`
// by primary key (and its deep form, `WHERE id < ?`), which filters nothing and reads one index in order.
//
// 1. A cluster (gatesrv, accountsrv, transrv t1 and t2, signsrv) on a fresh database; the client and its 40 accounts
//    are made through the API, then the rows are written straight into the database (listPagesSeed.ts).
// 2. The query functions (listClientDeposits, listClientWithdrawals, listClientTransfers), sequentially, for each
//    filter: the first page FIRST times, and DEEP pages, each right after a row drawn at random from the whole
//    filtered list (a cursor as the list itself makes it). With each case's EXPLAIN (index, sort or not).
// 3. The same pages through the gateway: signed GET /v1/deposits, /v1/withdrawals, /v1/transfers, one request at a
//    time (HTTP, signature check, nonce in Redis, gRPC to any transrv, the query, JSON). Its floor in the same run:
//    signed GET /v1/assets, which reads no database.
// Goal: a page under 20 ms. Prints the figures and appends one JSON line to bench/results/list-pages.jsonl. A
// benchmark, not a test: it asserts nothing about timings.
//
// The services run from source (tsx), as the cluster tests run them: the script needs no `tsc -b` of the whole tree.
// Settings (environment): BENCH_ROWS (100000, per kind for the client), BENCH_FIRST (100), BENCH_DEEP (200),
// BENCH_GATEWAY (100 requests per gateway case).
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Db, createDb } from '@wallet/db';
import { type ClientDepositFilter, type ClientTransferFilter, listClientDeposits, listClientTransfers } from '@wallet/ledger';
import { type ClientWithdrawalFilter, listClientWithdrawals } from '@wallet/withdrawals';
import { encodeListCursor } from '@wallet/ids';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { repoRoot } from '../harness/repoRoot.js';
import { mysqlUrl } from '../harness/stackEnv.js';
import { gitCommit } from './benchKit.js';
import { DAYS, type SeedRow, seedListPages } from './listPagesSeed.js';
import { type Percentiles, percentiles } from './percentiles.js';

const ROWS = Number(process.env['BENCH_ROWS'] ?? 100_000);
const FIRST = Number(process.env['BENCH_FIRST'] ?? 100);
const DEEP = Number(process.env['BENCH_DEEP'] ?? 200);
const GATEWAY = Number(process.env['BENCH_GATEWAY'] ?? 100);
const LIMIT = 50;
const GOAL_MS = 20;
const say = (msg: string) => process.stdout.write(`[bench:list-pages] ${msg}\n`);

type Kind = 'dep' | 'wd' | 'tr';
type Filter = {
  readonly accountId?: string;
  readonly asset?: string;
  readonly status?: string;
  readonly reference?: string;
  readonly since?: Date;
  readonly until?: Date;
};
type Case = {
  readonly name: string;
  readonly kind: Kind;
  readonly order: 'desc' | 'asc';
  readonly filter: Filter;
  readonly gateway?: true;
};

say('starting the cluster (gatesrv, accountsrv, transrv t1+t2, signsrv)');
const cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '1000000' } }, say);
let db: Db | undefined;
try {
  const credentials = await createApiClient(cluster, 'Bench Exchange');
  const api = new ApiClient(cluster.gatewayUrl, credentials);
  db = createDb(mysqlUrl(cluster.database), { poolMin: 1, poolMax: 4 });
  const accounts: { id: string; nodeId: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `bench-${i}` });
    const row = await db('accounts').where({ id: res.body.id }).first<{ node_id: string }>('node_id');
    accounts.push({ id: res.body.id, nodeId: row.node_id });
  }
  const others = [1, 2, 3, 4].map((n) => ({
    clientId: `cl_other_${n}`,
    accounts: Array.from({ length: 10 }, (_, i) => ({ id: `acc_other_${n}_${i}`, nodeId: i % 2 ? 't1' : 't2' })),
  }));
  const now = new Date();
  const seedStart = performance.now();
  const seed = await seedListPages(db, { big: { clientId: credentials.clientId, accounts }, others, perKind: ROWS, now }, say);
  say(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(0)} s: ${JSON.stringify(seed.counts)}`);

  const account = accounts[7]!.id;
  const window = { since: new Date(now.getTime() - 10 * 86_400_000), until: new Date(now.getTime() - 5 * 86_400_000) };
  const reference = (kind: 'wd' | 'tr') => seed.big[kind].find((r) => r.reference !== null)!.reference!;
  const cases: Case[] = [
    { name: 'all', kind: 'dep', order: 'desc', filter: {}, gateway: true },
    { name: 'all, oldest first', kind: 'dep', order: 'asc', filter: {} },
    { name: 'status=credited', kind: 'dep', order: 'desc', filter: { status: 'credited' }, gateway: true },
    { name: 'status=pending', kind: 'dep', order: 'desc', filter: { status: 'pending' } },
    { name: 'asset=BTC', kind: 'dep', order: 'desc', filter: { asset: 'BTC' } },
    { name: 'asset=LTC&status=orphaned', kind: 'dep', order: 'desc', filter: { asset: 'LTC', status: 'orphaned' } },
    { name: 'account', kind: 'dep', order: 'desc', filter: { accountId: account }, gateway: true },
    { name: 'account&asset=ETH', kind: 'dep', order: 'desc', filter: { accountId: account, asset: 'ETH' } },
    { name: 'account&status=pending', kind: 'dep', order: 'desc', filter: { accountId: account, status: 'pending' } },
    { name: 'since&until (5 days)', kind: 'dep', order: 'asc', filter: window, gateway: true },
    { name: 'since&until&status=pending', kind: 'dep', order: 'desc', filter: { ...window, status: 'pending' } },
    { name: 'all', kind: 'wd', order: 'desc', filter: {}, gateway: true },
    { name: 'all, oldest first', kind: 'wd', order: 'asc', filter: {} },
    { name: 'status=pending_review', kind: 'wd', order: 'desc', filter: { status: 'pending_review' }, gateway: true },
    { name: 'asset=LTC', kind: 'wd', order: 'desc', filter: { asset: 'LTC' } },
    { name: 'asset=ETH&status=failed', kind: 'wd', order: 'desc', filter: { asset: 'ETH', status: 'failed' } },
    { name: 'account', kind: 'wd', order: 'desc', filter: { accountId: account } },
    { name: 'account&asset=BTC', kind: 'wd', order: 'desc', filter: { accountId: account, asset: 'BTC' } },
    { name: 'account&status=rejected', kind: 'wd', order: 'desc', filter: { accountId: account, status: 'rejected' } },
    { name: 'reference', kind: 'wd', order: 'desc', filter: { reference: reference('wd') }, gateway: true },
    { name: 'since&until (5 days)', kind: 'wd', order: 'desc', filter: window },
    { name: 'all', kind: 'tr', order: 'desc', filter: {}, gateway: true },
    { name: 'all, oldest first', kind: 'tr', order: 'asc', filter: {} },
    { name: 'account (either side)', kind: 'tr', order: 'desc', filter: { accountId: account }, gateway: true },
    { name: 'account&asset=LTC', kind: 'tr', order: 'desc', filter: { accountId: account, asset: 'LTC' } },
    { name: 'status=pending_credit', kind: 'tr', order: 'desc', filter: { status: 'pending_credit' } },
    { name: 'asset=BTC&status=completed', kind: 'tr', order: 'desc', filter: { asset: 'BTC', status: 'completed' } },
    { name: 'reference', kind: 'tr', order: 'desc', filter: { reference: reference('tr') } },
    { name: 'since&until (5 days)', kind: 'tr', order: 'asc', filter: window, gateway: true },
  ];
  const clientId = credentials.clientId;
  const list = (c: Case, cursor: string | undefined): Promise<unknown> => {
    const options = { ...c.filter, order: c.order, limit: LIMIT, cursor };
    // The statuses of each case are its kind's (the list refuses any other with VALIDATION_FAILED).
    if (c.kind === 'dep') return listClientDeposits(db!, clientId, options as ClientDepositFilter & typeof options);
    if (c.kind === 'wd') return listClientWithdrawals(db!, clientId, options as ClientWithdrawalFilter & typeof options);
    return listClientTransfers(db!, clientId, options as ClientTransferFilter & typeof options);
  };
  /** The case's rows in its order, from the seed: where deep cursors are taken. */
  const rowsOf = (c: Case): SeedRow[] => {
    const f = c.filter;
    return seed.big[c.kind]
      .filter(
        (r) =>
          (f.accountId === undefined || r.accountId === f.accountId || (c.kind === 'tr' && r.toAccountId === f.accountId)) &&
          (f.asset === undefined || r.asset === f.asset) &&
          (f.status === undefined || r.status === f.status) &&
          (f.reference === undefined || r.reference === f.reference) &&
          (f.since === undefined || r.createdAt >= f.since.getTime()) &&
          (f.until === undefined || r.createdAt < f.until.getTime()),
      )
      .sort((a, b) => (a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)) * (c.order === 'asc' ? 1 : -1));
  };
  const deepCursors = (c: Case, rows: SeedRow[]): string[] =>
    rows.length < 2
      ? []
      : Array.from({ length: DEEP }, () => {
          const r = rows[Math.floor(Math.random() * (rows.length - 1))]!;
          return encodeListCursor(c.kind, c.order, { createdAt: new Date(r.createdAt), id: r.id });
        });
  const timed = async (n: number, run: (i: number) => Promise<unknown>): Promise<Percentiles> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await run(i);
      ms.push(performance.now() - start);
    }
    return percentiles(ms);
  };
  /** What MariaDB does for each read of a case's page: the index it reads, and whether it sorts. */
  const plansOf = async (c: Case, cursor: string | undefined): Promise<string[]> => {
    const queries: { sql: string; bindings: unknown[] }[] = [];
    const listener = (q: { sql: string; bindings: unknown[] }) => queries.push(q);
    db!.on('query', listener);
    await list(c, cursor).finally(() => db!.off('query', listener));
    const out: string[] = [];
    for (const q of queries.filter((q) => /from `(deposits|withdrawals|transfers)`/.test(q.sql))) {
      const [rows] = (await db!.raw(`EXPLAIN ${q.sql}`, q.bindings as never)) as [
        { key: string | null; type: string; Extra: string | null }[],
      ];
      const r = rows[0]!;
      out.push(`${r.key ?? '-'} ${r.type}${/filesort|temporary/i.test(r.Extra ?? '') ? ' SORTS' : ''}`);
    }
    return out;
  };
  const ms = (p: Percentiles) => (p.n === 0 ? '      -' : `${p.p50Ms!.toFixed(2).padStart(6)}/${p.p99Ms!.toFixed(2).padStart(6)}`);

  // Warm the buffer pool and the connections the way a running service has them.
  for (const c of cases) await list(c, undefined);

  say('');
  say(`query functions: ${LIMIT} per page; first page x${FIRST}, pages after ${DEEP} random rows; p50/p99 ms`);
  type Measured = { kind: Kind; case: string; order: string; rows?: number; first: Percentiles; deep: Percentiles; plan?: string[] };
  const query: Measured[] = [];
  for (const c of cases) {
    const rows = rowsOf(c);
    const cursors = deepCursors(c, rows);
    const first = await timed(FIRST, () => list(c, undefined));
    const deep = await timed(cursors.length, (i) => list(c, cursors[i]));
    const plan = [...(await plansOf(c, undefined)), ...(cursors[0] === undefined ? [] : await plansOf(c, cursors[0]))];
    say(
      `${c.kind.padEnd(3)} ${c.name.padEnd(28)} rows ${String(rows.length).padStart(6)}  first ${ms(first)}  deep ${ms(deep)}  ${[...new Set(plan)].join(', ')}`,
    );
    query.push({ kind: c.kind, case: c.name, order: c.order, rows: rows.length, first, deep, plan: [...new Set(plan)] });
  }

  say('');
  say('baseline: bare SELECT * ... ORDER BY id DESC LIMIT 51 by primary key (first page), and WHERE id < ? (deep)');
  const baseline: Record<string, unknown> = {};
  for (const [kind, table] of [
    ['dep', 'deposits'],
    ['wd', 'withdrawals'],
    ['tr', 'transfers'],
  ] as const) {
    const ids = seed.big[kind].map((r) => r.id);
    const first = await timed(FIRST, () => db!.raw('SELECT * FROM ?? ORDER BY id DESC LIMIT 51', [table]));
    const deep = await timed(DEEP, () =>
      db!.raw('SELECT * FROM ?? WHERE id < ? ORDER BY id DESC LIMIT 51', [table, ids[Math.floor(Math.random() * ids.length)]!]),
    );
    say(`${kind.padEnd(3)} ${table.padEnd(28)} rows ${String(seed.counts[table]).padStart(6)}  first ${ms(first)}  deep ${ms(deep)}`);
    baseline[kind] = { first, deep };
  }

  say('');
  say(`through the gateway: signed GET, one at a time, x${GATEWAY} each; p50/p99 ms`);
  const floor = await timed(GATEWAY, () => api.get('/v1/assets'));
  say(`floor: GET /v1/assets (no database)        first ${ms(floor)}`);
  const gateway: Measured[] = [];
  const pathOf: Record<Kind, string> = { dep: '/v1/deposits', wd: '/v1/withdrawals', tr: '/v1/transfers' };
  const queryOf = (c: Case, cursor: string | undefined): string => {
    const f = c.filter;
    const q = new URLSearchParams({ limit: String(LIMIT), order: c.order });
    if (f.accountId !== undefined) q.set('account', f.accountId);
    if (f.asset !== undefined) q.set('asset', f.asset);
    if (f.status !== undefined) q.set('status', f.status);
    if (f.reference !== undefined) q.set('reference', f.reference);
    if (f.since !== undefined) q.set('since', f.since.toISOString());
    if (f.until !== undefined) q.set('until', f.until.toISOString());
    if (cursor !== undefined) q.set('cursor', cursor);
    return `${pathOf[c.kind]}?${q.toString()}`;
  };
  let failures = 0;
  const getPage = async (path: string) => {
    const res = await api.get<{ data: unknown[] }>(path);
    if (res.status !== 200) failures++;
  };
  for (const c of cases.filter((c) => c.gateway)) {
    const cursors = deepCursors(c, rowsOf(c)).slice(0, GATEWAY);
    const first = await timed(GATEWAY, () => getPage(queryOf(c, undefined)));
    const deep = await timed(cursors.length, (i) => getPage(queryOf(c, cursors[i])));
    say(`${c.kind.padEnd(3)} ${c.name.padEnd(28)}              first ${ms(first)}  deep ${ms(deep)}`);
    gateway.push({ kind: c.kind, case: c.name, order: c.order, first, deep });
  }
  if (failures > 0) say(`WARNING: ${failures} gateway requests did not answer 200`);

  const worst = (m: Measured[]) => Math.max(...m.flatMap((q) => [q.first.p99Ms ?? 0, q.deep.p99Ms ?? 0]));
  const worstQuery = worst(query);
  const worstGateway = worst(gateway);
  const sorts = query.filter((q) => q.plan?.some((p) => p.includes('SORTS'))).map((q) => `${q.kind} ${q.case}`);
  say('');
  say(
    `worst p99: query functions ${worstQuery.toFixed(2)} ms, through the gateway ${worstGateway.toFixed(2)} ms; goal < ${GOAL_MS} ms: ${worstGateway < GOAL_MS ? 'met' : 'NOT met'}`,
  );
  say(`plans that sort: ${sorts.length === 0 ? 'none' : sorts.join('; ')}`);

  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  appendFileSync(
    join(repoRoot, 'bench', 'results', 'list-pages.jsonl'),
    `${JSON.stringify({
      bench: 'list-pages',
      at: new Date().toISOString(),
      commit: gitCommit(),
      cpus: cpus().length,
      loadavg: loadavg()[0],
      rows: seed.counts,
      perClient: ROWS,
      days: DAYS,
      limit: LIMIT,
      query,
      baseline,
      gateway: { floor, cases: gateway, failures },
      worstP99Ms: { query: worstQuery, gateway: worstGateway },
      goalMs: GOAL_MS,
      goalMet: worstGateway < GOAL_MS && failures === 0,
      plansThatSort: sorts,
    })}\n`,
  );
  say('figures appended to bench/results/list-pages.jsonl');
} finally {
  await db?.destroy();
  await cluster.stop();
}
