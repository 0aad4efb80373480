import { parseEther, type JsonRpcProvider, type Wallet } from 'ethers';
import { withFence } from '@wallet/scanner';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { ANVIL_RPC_URL, anvilDeployer, anvilProvider, mined } from '../contracts/deploy.js';
import { TcpProxy } from '../harness/TcpProxy.js';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { waitFor } from '../harness/waitFor.js';
import { LedgerFixtures } from '../harness/ledgerFixtures.js';
import type { ServiceProcess } from '@wallet/launcher';
import { stackEnv } from '../harness/stackEnv.js';

type Deposit = { txid: string; status: string; amount: string };

const provider: JsonRpcProvider = anvilProvider();
const deployer: Wallet = anvilDeployer(provider);
let cluster: Cluster | undefined;
let fixtures: LedgerFixtures | undefined;
const proxies: TcpProxy[] = [];

afterEach(async () => {
  if (fixtures) expect(await fixtures.invariants()).toEqual([]);
  await fixtures?.close();
  await cluster?.stop();
  fixtures = undefined;
  cluster = undefined;
  for (const proxy of proxies.splice(0)) await proxy.close();
});

async function setUp(
  nodes: string[],
  ttlSeconds: number,
): Promise<{ api: ApiClient; id: string; address: string; f: LedgerFixtures; c: Cluster }> {
  const c = await Cluster.start({ transrvNodes: nodes, ttlSeconds });
  cluster = c;
  const f = new LedgerFixtures(c.database);
  fixtures = f;
  const api = new ApiClient(c.gatewayUrl, await createApiClient(c, 'Resilient Exchange'));
  const acc = await api.post<{ id: string }>('/v1/accounts', { externalId: 'whale' });
  const addr = await api.post<{ address: string }>(`/v1/accounts/${acc.body.id}/addresses`, { chain: 'eth' });
  await waitFor('a scanner leader', async () => leaderOf(c));
  return { api, id: acc.body.id, address: addr.body.address, f, c };
}

function leaderOf(c: Cluster): ServiceProcess | undefined {
  // The most recent 'scanning as leader' line among running transrv processes.
  let best: { p: ServiceProcess; time: string } | undefined;
  for (const [label, p] of c.processes) {
    if (!label.startsWith('transrv') || !p.running) continue;
    const lines = p.lines.filter((l) => l.msg === 'scanning as leader');
    const last = lines[lines.length - 1];
    if (last && (!best || String(last['time']) > best.time)) best = { p, time: String(last['time']) };
  }
  return best?.p;
}

const mine = (blocks: number) => provider.send('anvil_mine', [`0x${blocks.toString(16)}`]);
const deposits = async (api: ApiClient, id: string) =>
  (await api.get<{ data: Deposit[] }>(`/v1/accounts/${id}/deposits?limit=200`)).body.data;
async function scannedHeight(f: LedgerFixtures): Promise<number> {
  const [rows] = (await f.db.raw("SELECT MAX(number) AS n FROM chain_blocks WHERE chain = 'eth'")) as [{ n: string | null }[]];
  return Number(rows[0]?.n ?? 0);
}

describe('scanner resilience on a real node', () => {
  it('catches up after downtime; kill -9 during catch-up and restart: every deposit credited once, none missed', async () => {
    const { api, id, address, f, c } = await setUp(['t1'], 4);
    expect(await c.process('transrv-t1').stop('SIGTERM')).toBe(0);

    // While the only transrv is down: 20 deposits spread over ~2,000 blocks.
    const sent: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const tx = await deployer.sendTransaction({ to: address, value: BigInt(i) });
      await mined(tx);
      sent.push(tx.hash);
      await mine(100);
    }
    const startedFrom = await scannedHeight(f);
    const first = await c.startTransrv('t1');
    const catchUp = await waitFor('catch-up to start', async () => first.lines.find((l) => l.msg === 'scanning as leader'));
    expect(Number(catchUp['lag'])).toBeGreaterThan(1900); // it says how far behind it starts
    await waitFor('some catch-up progress', async () => ((await scannedHeight(f)) > startedFrom + 300 ? true : undefined));
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = await scannedHeight(f);
    expect(killedAt).toBeLessThan(startedFrom + 2000); // really killed in the middle

    await c.startTransrv('t1');
    await mine(3);
    await waitFor(
      'all 20 deposits credited',
      async () => {
        const seen = await deposits(api, id);
        return seen.length === 20 && seen.every((d) => d.status === 'credited') ? true : undefined;
      },
      90_000,
    );
    expect(new Set((await deposits(api, id)).map((d) => d.txid))).toEqual(new Set(sent));
    const credits = await f.db('journal').where({ account_id: id, kind: 'deposit' }).count({ n: '*' });
    expect(credits).toEqual([{ n: '20' }]);
    const balances = await api.get<{ data: { asset: string; available: string }[] }>(`/v1/accounts/${id}/balances`);
    expect(balances.body.data.find((b) => b.asset === 'ETH')?.available).toBe(String((20 * 21) / 2));
  });

  it('two scanners: SIGSTOP the leader past its lease, the standby takes over; SIGCONT the old one and its writes are refused', async () => {
    const { api, f, c } = await setUp(['t1', 't2'], 3);
    const old = leaderOf(c)!;
    const standby = [...c.processes.values()].find((p) => p !== old && p.label.includes('transrv'))!;
    const standbyNode = standby.label.split('transrv-')[1]!;
    // The depositor's account must live on the node that stays up (its transrv credits it).
    let id = '';
    for (let i = 0; i < 10 && !id; i++) {
      const acc = await api.post<{ id: string }>('/v1/accounts', { externalId: `standby-${i}` });
      if ((await f.nodeOf(acc.body.id)) === standbyNode) id = acc.body.id;
    }
    expect(id).not.toBe('');
    const address = (await api.post<{ address: string }>(`/v1/accounts/${id}/addresses`, { chain: 'eth' })).body.address;
    old.child.kill('SIGSTOP');
    await waitFor('the standby to lead', async () => standby.lines.find((l) => l.msg === 'scanning as leader'), 30_000);
    const tx = await deployer.sendTransaction({ to: address, value: parseEther('0.01') });
    await mined(tx);
    await mine(3);
    await waitFor('the deposit credited by the new leader', async () =>
      (await deposits(api, id)).some((d) => d.status === 'credited') ? true : undefined,
    );

    // Whatever the old leader might still write carries its old token, and MySQL refuses it.
    const oldToken = BigInt(String(old.lines.find((l) => l.msg === 'scanning as leader')!['token']));
    const newToken = BigInt(String(standby.lines.find((l) => l.msg === 'scanning as leader')!['token']));
    expect(newToken).toBeGreaterThan(oldToken);
    await expect(withFence(f.db, { chain: 'eth', token: oldToken, holder: 'old' }, async () => 'written')).rejects.toMatchObject({
      code: 'FENCED',
    });

    old.child.kill('SIGCONT');
    // The old leader wakes up believing it leads; whatever it tries is refused, and it steps down.
    await waitFor('the old leader to step down', async () =>
      old.lines.find((l) => l.msg === 'leadership lost: stopped scanning' || l.msg === 'a newer scanner has written: stepping down'),
    );
    await mine(2);
    await new Promise((r) => setTimeout(r, 1500));
    const fence = await f.db('scanner_fences').where({ chain: 'eth' }).first<{ holder: string }>('holder');
    expect(fence?.holder).toBe(standbyNode);
    expect((await deposits(api, id)).filter((d) => d.status === 'credited')).toHaveLength(1);
    expect((await f.db('journal').where({ account_id: id, kind: 'deposit' }).count({ n: '*' }))[0]).toEqual({ n: '1' });
  });

  it('the chain node down while transrv and signsrv start: transrv serves and its scanner starts once the node answers; signsrv waits for it', async () => {
    // Every service reaches the chain through a proxy this test can close (refused connections, as from a node that is down).
    const link = await TcpProxy.start('127.0.0.1', Number(new URL(ANVIL_RPC_URL).port));
    proxies.push(link);
    const c = await Cluster.start({ transrvNodes: ['t1'], ttlSeconds: 4, chainRpc: { eth: link.urlFor(ANVIL_RPC_URL) } });
    cluster = c;
    const f = new LedgerFixtures(c.database);
    fixtures = f;
    const api = new ApiClient(c.gatewayUrl, await createApiClient(c, 'Node Outage Exchange'));
    const acc = await api.post<{ id: string }>('/v1/accounts', { externalId: 'patient' });
    const id = acc.body.id;
    const address = (await api.post<{ address: string }>(`/v1/accounts/${id}/addresses`, { chain: 'eth' })).body.address;
    expect(await c.process('transrv-t1').stop('SIGTERM')).toBe(0);
    expect(await c.process('signsrv').stop('SIGTERM')).toBe(0);
    await link.close();

    // transrv starts without its node: ready, serving its accounts, and still up well after the first retries.
    const t1 = await c.startTransrv('t1');
    await t1.waitForLog((l) => l.msg === 'chain node unreachable at start: its scanner starts once it answers' && l['chain'] === 'eth');
    expect((await api.get(`/v1/accounts/${id}/balances`)).status).toBe(200);
    // signsrv cannot sign without its node: it waits (no exit, no restart loop) and says so.
    const signsrv = c.spawnRaw('signsrv', 'signsrv', { SIGNSRV_HTTP_ADDR: c.signsrvUrl.replace(/^http:\/\//, '') });
    await signsrv.waitForLog((l) => l.msg === 'chain node unavailable: waiting for it' && l['chain'] === 'eth');
    await new Promise((r) => setTimeout(r, 5000));
    expect(t1.running).toBe(true);
    expect(signsrv.running).toBe(true);
    expect(signsrv.lines.some((l) => l.msg === 'ready')).toBe(false);
    expect((await api.get(`/v1/accounts/${id}/balances`)).status).toBe(200);

    // A deposit while the node is unreachable for the cluster, then the node back: the scanner starts and credits it.
    const tx = await deployer.sendTransaction({ to: address, value: 777n });
    await mined(tx);
    await mine(3);
    await link.open();
    await t1.waitForLog((l) => l.msg === 'chain node answers: scanner started' && l['chain'] === 'eth', 60_000);
    await signsrv.ready(60_000);
    await waitFor('the deposit credited once the node answers', async () =>
      (await deposits(api, id)).some((d) => d.txid === tx.hash && d.status === 'credited') ? true : undefined,
    );
    expect(t1.running).toBe(true);
    expect((await f.db('journal').where({ account_id: id, kind: 'deposit' }).count({ n: '*' }))[0]).toEqual({ n: '1' });
  });

  it('Redis flushed mid-run: nothing lost, nothing done twice', async () => {
    const { api, id, address, f } = await setUp(['t1', 't2'], 4);
    const other = await api.post<{ id: string }>('/v1/accounts', { externalId: 'other' });
    const tx1 = await deployer.sendTransaction({ to: address, value: 1000n });
    await mined(tx1);
    await mine(3);
    await waitFor('first deposit credited', async () =>
      (await deposits(api, id)).some((d) => d.txid === tx1.hash && d.status === 'credited') ? true : undefined,
    );
    const first = await api.post<{ id: string }>(
      '/v1/transfers',
      { from: id, to: other.body.id, asset: 'ETH', amount: '10' },
      { idempotencyKey: 'flush-key' },
    );
    expect(first.status).toBe(201);

    const redis = new Redis(stackEnv.REDIS_URL);
    await redis.flushall();
    redis.disconnect();

    // Routing, auth and scanning carry on from MySQL; the retried transfer is found there, not made twice.
    const again = await api.post<{ id: string }>(
      '/v1/transfers',
      { from: id, to: other.body.id, asset: 'ETH', amount: '10' },
      { idempotencyKey: 'flush-key' },
    );
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const tx2 = await deployer.sendTransaction({ to: address, value: 2000n });
    await mined(tx2);
    await mine(3);
    await waitFor('second deposit credited', async () =>
      (await deposits(api, id)).some((d) => d.txid === tx2.hash && d.status === 'credited') ? true : undefined,
    );
    const balances = await api.get<{ data: { asset: string; available: string }[] }>(`/v1/accounts/${id}/balances`);
    expect(balances.body.data.find((b) => b.asset === 'ETH')?.available).toBe('2990');
    expect((await f.db('transfers').where({ idempotency_key: 'flush-key' }).count({ n: '*' }))[0]).toEqual({ n: '1' });
  });
});
