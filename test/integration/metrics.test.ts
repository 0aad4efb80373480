import { randomUUID } from 'node:crypto';
import { catalogSeriesNames, metricCatalog } from '@wallet/metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { type Scrape, metricsUrlOf, scrape } from '../harness/scrapeMetrics.js';
import { waitFor } from '../harness/waitFor.js';

// Issue 18: every service of a real cluster serves /metrics, /healthz and /readyz on its own port (its URL in the
// `metrics ready` line), and after real traffic through the gateway (accounts, balances, a transfer, a withdrawal,
// a refused request) the request, gRPC and domain series are there with the values that traffic made.

const labels = ['gatesrv', 'accountsrv', 'transrv-t1', 'transrv-t2', 'signsrv'] as const;
const WALLET = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;
let from: string;
let to: string;
let withdrawalId: string;
let ownerNode: string;

beforeAll(async () => {
  cluster = await Cluster.start({ extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Metrics Exchange'));
  const open = async () => (await api.post<{ id: string }>('/v1/accounts', { externalId: `m-${randomUUID()}` })).body.id;
  [from, to] = [await open(), await open()];
  await fixtures.fund(from, 'ETH', 10n ** 18n);
  ownerNode = await fixtures.nodeOf(from);
  for (let i = 0; i < 3; i++) expect((await api.get(`/v1/accounts/${from}/balances`)).status).toBe(200);
  expect((await api.get(`/v1/accounts/${to}/balances`)).status).toBe(200);
  expect((await api.post('/v1/transfers', { from, to, asset: 'ETH', amount: '1000' })).status).toBe(201);
  const assets = await api.get<{ data: { asset: string; minWithdrawal: string }[] }>('/v1/assets');
  const min = assets.body.data.find((a) => a.asset === 'ETH')!.minWithdrawal;
  const withdrawal = await api.post<{ id: string; status: string }>(`/v1/accounts/${from}/withdrawals`, {
    asset: 'ETH',
    to: WALLET,
    amount: min,
  });
  expect(withdrawal.status).toBe(201);
  withdrawalId = withdrawal.body.id;
  // A refused request: an account that does not exist (its id never appears in a label).
  expect((await api.get('/v1/accounts/acct_01J00000000000000000000000/balances')).status).toBe(404);
  // An operators' alarm of transrv's, not acknowledged: signsrv reports it.
  await fixtures.db('node_alerts').insert({ kind: 'integrity_mismatch', withdrawal_id: null, details: '{}' });
});

afterAll(async () => {
  await fixtures?.close();
  await cluster?.stop();
});

async function scrapeAll(): Promise<Record<(typeof labels)[number], Scrape>> {
  const entries = await Promise.all(labels.map(async (l) => [l, await scrape(cluster.process(l))] as const));
  return Object.fromEntries(entries) as Record<(typeof labels)[number], Scrape>;
}

describe('metrics of a real cluster', () => {
  it('each process serves /metrics, /healthz and /readyz on its own port, labelled with its service and instance', async () => {
    const urls = new Set<string>();
    for (const label of labels) {
      const url = await metricsUrlOf(cluster.process(label));
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*\/metrics$/);
      urls.add(url);
      const base = url.replace(/\/metrics$/, '');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const s = await scrape(cluster.process(label));
      const service = label.replace(/-t[12]$/, '');
      // Every sample carries the process's own labels.
      for (const sample of s.samples) expect(sample.labels['service'], `${label} ${sample.name}`).toBe(service);
      if (service === 'transrv') expect(new Set(s.samples.map((x) => x.labels['instance']))).toEqual(new Set([label.slice(-2)]));
    }
    expect(urls.size).toBe(labels.length);
  });

  it('exports every metric of the catalogue from the services that own it (what the dashboard and alert rules use)', async () => {
    const scrapes = await scrapeAll();
    for (const def of Object.values(metricCatalog)) {
      for (const service of def.services) {
        const of = labels.filter((l) => l.startsWith(service));
        for (const l of of) expect(scrapes[l].types.get(def.name), `${l} ${def.name}`).toBe(def.type);
      }
    }
    // And nothing named wallet_* that the catalogue does not know.
    const known = catalogSeriesNames();
    for (const l of labels) for (const s of scrapes[l].samples) if (s.name.startsWith('wallet_')) expect(known).toContain(s.name);
  });

  it('counts gateway requests by route pattern and status, never by raw URL', async () => {
    const gate = (await scrapeAll()).gatesrv;
    const route = '/v1/accounts/:id/balances';
    expect(gate.sum('wallet_http_requests_total', { route, method: 'GET', status_code: '200' })).toBeGreaterThanOrEqual(4);
    expect(gate.sum('wallet_http_requests_total', { route, method: 'GET', status_code: '404' })).toBe(1);
    expect(gate.sum('wallet_http_requests_total', { route: '/v1/transfers', method: 'POST', status_code: '201' })).toBe(1);
    expect(gate.sum('wallet_http_request_duration_seconds_count', { route, method: 'GET', status_code: '200' })).toBeGreaterThanOrEqual(4);
    const routes = new Set(gate.find('wallet_http_requests_total').map((s) => s.labels['route']));
    for (const r of routes) expect(r).not.toMatch(/acct_|wd_|tr_/);
    expect(routes).toContain(route);
  });

  it('records gRPC calls on both sides, by service, method and status code', async () => {
    const s = await scrapeAll();
    const trans = { grpc_service: 'wallet.v1.TransService' };
    // The gateway's calls to transrv and accountsrv, as made.
    expect(s.gatesrv.sum('wallet_grpc_client_handled_total', { ...trans, grpc_method: 'Transfer', grpc_code: 'OK' })).toBe(1);
    expect(
      s.gatesrv.sum('wallet_grpc_client_handled_total', { grpc_service: 'wallet.v1.AccountService', grpc_code: 'OK' }),
    ).toBeGreaterThan(0);
    // ... and as served: the transfer by the node that owns the sending account.
    const owner = s[`transrv-${ownerNode}` as 'transrv-t1'];
    expect(owner.sum('wallet_grpc_server_handled_total', { ...trans, grpc_method: 'Transfer', grpc_code: 'OK' })).toBe(1);
    expect(owner.sum('wallet_grpc_server_handling_seconds_count', { ...trans, grpc_method: 'Transfer' })).toBe(1);
    expect(
      s.accountsrv.sum('wallet_grpc_server_handled_total', { grpc_service: 'wallet.v1.AccountService', grpc_code: 'OK' }),
    ).toBeGreaterThan(0);
    // The refused balance read: a business refusal, by its registry status.
    const refused = s.gatesrv.find('wallet_grpc_client_handled_total').filter((x) => x.labels['grpc_code'] !== 'OK');
    expect(refused.map((x) => x.labels['grpc_code'])).not.toContain('UNKNOWN');
  });

  it("reports the domain: the node's withdrawal in review, the signing queue, streams, outboxes, alarms and scanners", async () => {
    const status = await fixtures.db('withdrawals').where({ id: withdrawalId }).first<{ status: string }>('status');
    expect(status?.status).toBe('pending_review');
    const s = await waitFor('signsrv to receive the withdrawal', async () => {
      const all = await scrapeAll();
      return all.signsrv.sum('wallet_signing_queue', { stage: 'review' }) >= 1 ? all : undefined;
    });
    const owner = s[`transrv-${ownerNode}` as 'transrv-t1'];
    expect(owner.sum('wallet_withdrawals_in_status', { status: 'pending_review' })).toBe(1);
    expect(owner.sum('wallet_withdrawal_oldest_in_status_seconds', { status: 'pending_review' })).toBeGreaterThan(0);
    expect(owner.sum('wallet_withdrawal_oldest_in_status_seconds', { status: 'broadcast' })).toBe(0);
    const other = s[ownerNode === 't1' ? 'transrv-t2' : 'transrv-t1'];
    expect(other.sum('wallet_withdrawals_in_status', { status: 'pending_review' })).toBe(0);
    expect(s.signsrv.sum('wallet_signing_queue', { stage: 'review' })).toBe(1);
    expect(s.signsrv.find('wallet_signing_paused')).toEqual([expect.objectContaining({ value: 0 })]);
    expect(s.signsrv.sum('wallet_alarms_open', { source: 'node', kind: 'integrity_mismatch' })).toBe(1);
    // The acknowledged streams: signsrv's group on blockout_req read the request and acknowledged it.
    expect(s.signsrv.find('wallet_stream_pending_entries', { stream: 'blockout_req', group: 'signsrv' })).toEqual([
      expect.objectContaining({ value: 0 }),
    ]);
    expect(s.signsrv.find('wallet_stream_lag_entries', { stream: 'blockout_req', group: 'signsrv' })).toEqual([
      expect.objectContaining({ value: 0 }),
    ]);
    expect(owner.find('wallet_stream_pending_entries', { stream: 'blockout_rsp', group: `transrv:${ownerNode}` })).toHaveLength(1);
    for (const relay of ['request-relay', 'event-sequencer'])
      expect(owner.find('wallet_outbox_failing_passes', { relay }), relay).toEqual([expect.objectContaining({ value: 0 })]);
    expect(s.signsrv.find('wallet_outbox_due_rows', { relay: 'response-relay' })).toHaveLength(1);
    // The scanner of eth: one leader among the nodes, with a head above 0.
    const leaders = [s['transrv-t1'], s['transrv-t2']].filter((x) => x.sum('wallet_scanner_leader', { chain: 'eth' }) === 1);
    expect(leaders).toHaveLength(1);
    expect(leaders[0]!.sum('wallet_scanner_head', { chain: 'eth' })).toBeGreaterThan(0);
    // No collection failed.
    for (const l of labels) expect(s[l].sum('wallet_metrics_collect_errors_total'), l).toBe(0);
  });
});
