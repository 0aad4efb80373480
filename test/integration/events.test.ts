import { signRequest } from '@wallet/client-auth';
import { type JsonRpcProvider, type Wallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anvilDeployer, anvilProvider } from '../contracts/deploy.js';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import { waitFor } from '../harness/waitFor.js';

// The clients' event feed through the whole cluster (issue 17): MySQL is the truth, sequenced per client across both
// transrv nodes, served by the gateway as pages, long polls and a Server-Sent Events stream.

type Event = {
  seq: number;
  id: string;
  type: string;
  resourceType: string;
  resourceId: string;
  version: number;
  data: Record<string, unknown>;
};
type Page = { data: Event[]; next: number; lastSeq: number };

let cluster: Cluster;
let fixtures: LedgerFixtures;
let api: ApiClient;
let provider: JsonRpcProvider;
let deployer: Wallet;
const accounts: string[] = [];

beforeAll(async () => {
  provider = anvilProvider();
  deployer = anvilDeployer(provider);
  cluster = await Cluster.start({ transrvNodes: ['t1', 't2'], extraEnv: { GATESRV_RATE_LIMIT_PER_SECOND: '100000' } });
  fixtures = new LedgerFixtures(cluster.database);
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Listening Exchange'));
  for (let i = 0; i < 8; i++) {
    const res = await api.post<{ id: string }>('/v1/accounts', { externalId: `listener-${i}` });
    accounts.push(res.body.id);
    await fixtures.fund(res.body.id, 'ETH', 10n ** 18n);
  }
  expect(new Set(await Promise.all(accounts.map((a) => fixtures.nodeOf(a))))).toEqual(new Set(['t1', 't2']));
}, 180_000);

afterAll(async () => {
  expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
});

/** Reads the whole feed after `after` with long polls until `done` says it has what it waits for. */
async function readFeed(after: number, done: (events: Event[]) => boolean, timeoutMs = 90_000): Promise<Event[]> {
  const events: Event[] = [];
  const until = Date.now() + timeoutMs;
  let next = after;
  while (!done(events)) {
    if (Date.now() > until) throw new Error(`feed: still waiting after ${timeoutMs} ms with ${events.length} events`);
    const res = await api.get<Page>(`/v1/events?after=${next}&limit=200&wait=5`);
    if (res.status !== 200) {
      // A gateway whose transrv node is restarting answers 503: a client retries.
      expect([503, 504]).toContain(res.status);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    events.push(...res.body.data);
    next = res.body.next;
  }
  return events;
}

/** Every invariant of a feed: gap-free from `after`, each event once, each resource's versions 1, 2, 3... in order. */
function expectWellFormed(events: Event[], after: number): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => after + i + 1));
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  const versions = new Map<string, number>();
  for (const e of events) {
    const last = versions.get(e.resourceId);
    if (last !== undefined) expect(e.version, `${e.resourceId} at seq ${e.seq}`).toBe(last + 1);
    versions.set(e.resourceId, e.version);
  }
}

const head = async (): Promise<number> => (await api.get<Page>('/v1/events?after=0&limit=1')).body.lastSeq;

describe('the event feed', () => {
  it('300 transfers across two nodes with transrv t1 killed -9 mid-burst: every completion once, in order, gap-free', async () => {
    const start = await head();
    const reading = readFeed(start, (evs) => evs.filter((e) => e.type === 'transfer.completed').length >= 300);
    const t1 = cluster.process('transrv-t1');
    const send = async (i: number): Promise<string> => {
      const from = accounts[i % accounts.length]!;
      const to =
        accounts[(i * 3 + 1) % accounts.length] === from ? accounts[(i + 1) % accounts.length]! : accounts[(i * 3 + 1) % accounts.length]!;
      for (;;) {
        const res = await api.post<{ id: string }>(
          '/v1/transfers',
          { from, to, asset: 'ETH', amount: String(1000 + i) },
          { idempotencyKey: `burst-${i}` },
        );
        if (res.status === 201) return res.body.id;
        expect([409, 503, 504]).toContain(res.status);
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    };
    const sent: Promise<string>[] = [];
    for (let i = 0; i < 300; i++) {
      sent.push(send(i));
      if (i === 100) t1.child.kill('SIGKILL');
      if (i === 150) await cluster.startTransrv('t1');
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    const ids = await Promise.all(sent);
    const events = await reading;
    expectWellFormed(events, start);
    const completed = events.filter((e) => e.type === 'transfer.completed').map((e) => e.resourceId);
    expect(completed.sort()).toEqual([...new Set(ids)].sort());
    for (const e of events.filter((x) => x.type === 'transfer.completed')) {
      expect(e.version).toBe(1);
      expect(e.data).toMatchObject({ id: e.resourceId, asset: 'ETH', status: 'completed' });
    }
  });

  it("a withdrawal's life is told in order: pending_review, then cancelled, with its data", async () => {
    const start = await head();
    const w = await api.post<{ id: string }>(`/v1/accounts/${accounts[0]}/withdrawals`, {
      asset: 'ETH',
      to: '0x1111111111111111111111111111111111111111',
      amount: '20000000000000000',
    });
    expect(w.status).toBe(201);
    const cancelled = await api.post(`/v1/withdrawals/${w.body.id}/cancel`, {});
    expect(cancelled.status).toBe(200);
    const events = await readFeed(start, (evs) => evs.some((e) => e.resourceId === w.body.id && e.type === 'withdrawal.cancelled'));
    expectWellFormed(events, start);
    const mine = events.filter((e) => e.resourceId === w.body.id);
    expect(mine.map((e) => [e.type, e.version])).toEqual([
      ['withdrawal.pending_review', 1],
      ['withdrawal.cancelled', 2],
    ]);
    expect(mine[1]!.data).toMatchObject({
      id: w.body.id,
      accountId: accounts[0],
      status: 'cancelled',
      previousStatus: 'pending_review',
      amount: '20000000000000000',
    });
  });

  it('an ETH deposit on anvil: deposit.seen, then deposit.credited once confirmed', async () => {
    const addr = await api.post<{ address: string }>(`/v1/accounts/${accounts[1]}/addresses`, { chain: 'eth' });
    const start = await head();
    const tx = await deployer.sendTransaction({ to: addr.body.address, value: parseEther('0.5') });
    await tx.wait();
    const seen = await readFeed(start, (evs) => evs.some((e) => e.type === 'deposit.seen'));
    await provider.send('anvil_mine', ['0x5']);
    const rest = await readFeed(seen.at(-1)!.seq, (evs) => evs.some((e) => e.type === 'deposit.credited'));
    const events = [...seen, ...rest].filter((e) => e.resourceType === 'deposit');
    expect(events.map((e) => [e.type, e.version])).toEqual([
      ['deposit.seen', 1],
      ['deposit.credited', 2],
    ]);
    expect(events[1]!.data).toMatchObject({
      accountId: accounts[1],
      asset: 'ETH',
      amount: '500000000000000000',
      txid: tx.hash,
      status: 'credited',
    });
  });

  it('the live stream (Server-Sent Events) delivers new events as they commit and resumes from a sequence', async () => {
    const start = await head();
    const { keyId, secret } = api.credentials;
    const open = (after: number) => {
      const path = `/v1/events/stream?after=${after}`;
      const headers = signRequest({ keyId, secret, method: 'GET', pathWithQuery: path, body: '' });
      const controller = new AbortController();
      return { controller, response: fetch(`${cluster.gatewayUrl}${path}`, { headers, signal: controller.signal }) };
    };
    const first = open(start);
    const res = await first.response;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const transfer = await api.post<{ id: string }>('/v1/transfers', { from: accounts[2], to: accounts[3], asset: 'ETH', amount: '7' });
    expect(transfer.status).toBe(201);
    const reader = res.body!.getReader();
    let text = '';
    const decoder = new TextDecoder();
    await waitFor('the transfer on the stream', async () => {
      const { value } = await reader.read();
      text += decoder.decode(value as Uint8Array | undefined);
      return text.includes(transfer.body.id) ? true : undefined;
    });
    first.controller.abort();
    const frames = text.split('\n\n').filter((f) => f.startsWith('id: '));
    const last = frames.at(-1)!;
    const seq = Number(/^id: (\d+)/.exec(last)![1]);
    expect(last).toContain('event: transfer.completed');
    expect(JSON.parse(last.split('data: ')[1]!)).toMatchObject({ seq, resourceId: transfer.body.id, type: 'transfer.completed' });

    // Resumed from the sequence before it: the same event again, first.
    const again = open(seq - 1);
    const resumed = await again.response;
    const r2 = resumed.body!.getReader();
    let text2 = '';
    await waitFor('the resumed stream', async () => {
      const { value } = await r2.read();
      text2 += decoder.decode(value as Uint8Array | undefined);
      return text2.includes(`id: ${seq}\n`) ? true : undefined;
    });
    again.controller.abort();
    expect(text2).toContain(transfer.body.id);
  });

  it('an unsigned or tampered stream request is refused like any request', async () => {
    const unsigned = await fetch(`${cluster.gatewayUrl}/v1/events/stream?after=0`);
    expect(unsigned.status).toBe(401);
    const bad = await api.get('/v1/events/stream?after=0', { secret: 'not-the-secret' });
    expect(bad.status).toBe(401);
    const invalid = await api.get<{ error: { code: string } }>('/v1/events?after=x');
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
  });
});
