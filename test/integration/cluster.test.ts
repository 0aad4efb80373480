import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Discovery, type ServiceWatch } from '@wallet/discovery';
import { createLogger } from '@wallet/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../harness/ApiClient.js';
import { createApiClient, walletctl } from '../harness/clients.js';
import { Cluster } from '../harness/Cluster.js';
import { repoRoot } from '../harness/repoRoot.js';
import { stackEnv } from '../harness/stackEnv.js';

type Health = {
  status: string;
  accountsrv: { serving: number; total: number };
  transrv: { serving: number; total: number };
};

const TTL = 5;
let cluster: Cluster;
let discovery: Discovery;
let transrv: ServiceWatch;

/** The gateway's detailed health: signed `/v1/health` (the open `/healthz` shows status only). */
async function health(): Promise<{ code: number; body: Health }> {
  const res = await api.get<Health>('/v1/health');
  return { code: res.status, body: res.body };
}

/** Polls `check` every 50 ms; resolves with the elapsed ms once it holds, or fails after `timeoutMs`. */
async function within(timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start <= timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

let api: ApiClient;
const nodeIds = () => transrv.instances().map((i) => i.nodeId);

beforeAll(async () => {
  cluster = await Cluster.start({ ttlSeconds: TTL, transrvNodes: ['t1', 't2'] });
  discovery = new Discovery({ endpoints: [stackEnv.ETCD_ENDPOINTS], env: cluster.env, log: createLogger('test', { level: 'silent' }) });
  transrv = await discovery.watch('transrv');
  api = new ApiClient(cluster.gatewayUrl, await createApiClient(cluster, 'Exchange Health'));
});

afterAll(async () => {
  await discovery?.close();
  await cluster?.stop();
});

describe('a cluster of real processes on the local stack', () => {
  it('gatesrv /v1/health reports accountsrv and both transrv nodes serving; the open /healthz says only ok', async () => {
    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body).toEqual({ status: 'ok', accountsrv: { serving: 1, total: 1 }, transrv: { serving: 2, total: 2 } });
    const open = await fetch(`${cluster.gatewayUrl}/healthz`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ status: 'ok' });
  });

  it('walletctl health shows the layout the open probe hides: instances, node ids, addresses, gRPC health', async () => {
    const { code, out } = await walletctl(cluster, 'health', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n')) as {
      ok: boolean;
      instances: { service: string; nodeId?: string; status: string; address: string }[];
    };
    expect(report.ok).toBe(true);
    const transrvs = report.instances.filter((i) => i.service === 'transrv');
    expect(transrvs.map((t) => [t.nodeId, t.status]).sort()).toEqual([
      ['t1', 'SERVING'],
      ['t2', 'SERVING'],
    ]);
    expect(report.instances.find((i) => i.service === 'accountsrv')?.status).toBe('SERVING');
    expect(report.instances.find((i) => i.service === 'gatesrv')?.status).toBe('no-grpc');
  });

  it('signsrv answers its HTTP health check', async () => {
    const res = await fetch(`${cluster.signsrvUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('every log line is one JSON object that names each field once (the scanner and payouts named their chain twice)', async () => {
    await Promise.any(['transrv-t1', 'transrv-t2'].map((l) => cluster.process(l).waitForLog((line) => line.msg === 'scanning as leader')));
    await cluster.process('signsrv').waitForLog((line) => line.msg === 'hot wallet ready');
    let lines = 0;
    const repeated: string[] = [];
    for (const label of cluster.processes.keys()) {
      const text = readFileSync(join(repoRoot, '.stack', 'logs', 'test', `${cluster.env}-${label}.log`), 'utf8');
      for (const line of text.split('\n').filter((l) => l.startsWith('{'))) {
        lines++;
        const keys = topLevelKeys(line);
        const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
        if (twice.length > 0) repeated.push(`${label}: ${twice.join(',')} in ${line.slice(0, 160)}`);
      }
    }
    expect(lines).toBeGreaterThan(20);
    expect(repeated).toEqual([]);
  });

  it('an unknown route is a NOT_FOUND error in the registry format', async () => {
    const res = await fetch(`${cluster.gatewayUrl}/v1/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), details: {} } });
  });

  it('kill -9 of a transrv: discovery drops it within the lease TTL, the gateway stays healthy', async () => {
    expect(nodeIds()).toEqual(['t1', 't2']);
    const t1 = cluster.process('transrv-t1');
    const killedAt = Date.now();
    t1.child.kill('SIGKILL');
    await t1.exited;
    const droppedAfterMs = await within(TTL * 1000 + 2000, () => !nodeIds().includes('t1'));
    expect(droppedAfterMs).toBeLessThanOrEqual(TTL * 1000 + 1000);
    // The gateway's own view (its watch) drops it too.
    await within(1000, async () => (await health()).body.transrv.total === 1);
    const { code, body } = await health();
    expect(code).toBe(200);
    expect(body.transrv).toEqual({ serving: 1, total: 1 });
    expect(Date.now() - killedAt).toBeGreaterThan(0);
  });

  it('a third transrv with a new node id is visible to the gateway within a second of registering', async () => {
    const t3 = cluster.spawnRaw('transrv', 'transrv-t3', { TRANSRV_NODE_ID: 't3' });
    await t3.waitForLog((l) => l.msg === 'registered');
    // t1 is down since the previous test: t2 and t3 serve.
    const visibleAfterMs = await within(1000, async () => (await health()).body.transrv.serving === 2);
    expect(visibleAfterMs).toBeLessThanOrEqual(1000);
    expect(nodeIds()).toContain('t3');
  });

  it('a second process with a live node id is refused (a node id owns its accounts)', async () => {
    // A short TTL for the intruder only, so it gives up waiting for the holder's lease quickly.
    const intruder = cluster.spawnRaw('transrv', 'transrv-t2-intruder', { TRANSRV_NODE_ID: 't2', DISCOVERY_TTL_SECONDS: '2' });
    expect(await intruder.exited).toBe(1);
    expect(intruder.lines.some((l) => l.msg === 'start-up failed' && (l['err'] as { code?: string }).code === 'CONFLICT')).toBe(true);
    // The real t2 is untouched.
    expect(nodeIds()).toContain('t2');
    expect((await health()).body.transrv).toEqual({ serving: 2, total: 2 });
  });

  it('SIGTERM: the instance deregisters at once (not after the TTL) and exits 0', async () => {
    const t3 = cluster.process('transrv-t3');
    const stopping = t3.stop('SIGTERM');
    const goneAfterMs = await within(TTL * 1000, () => !nodeIds().includes('t3'));
    expect(goneAfterMs).toBeLessThan(TTL * 1000 - 2000);
    expect(await stopping).toBe(0);
    expect(t3.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });

  it('a killed node restarted under its node id comes back', async () => {
    await cluster.startTransrv('t1');
    await within(1000, async () => (await health()).body.transrv.serving === 2);
    expect(nodeIds()).toEqual(['t1', 't2']);
  });

  it('with no transrv left, /healthz answers 503', async () => {
    await Promise.all([cluster.process('transrv-t1').stop(), cluster.process('transrv-t2').stop()]);
    await within(2000, async () => (await health()).code === 503);
    const { body } = await health();
    expect(body.status).toBe('unavailable');
    expect(body.transrv).toEqual({ serving: 0, total: 0 });
    const open = await fetch(`${cluster.gatewayUrl}/healthz`);
    expect([open.status, await open.json()]).toEqual([503, { status: 'unavailable' }]);
  });
});

describe('start-up with a bad environment', () => {
  it.each([
    ['transrv', { TRANSRV_NODE_ID: 'Not Valid!' }, 'TRANSRV_NODE_ID'],
    ['transrv', {}, 'TRANSRV_NODE_ID'],
    ['gatesrv', { GATESRV_HTTP_ADDR: 'nowhere' }, 'GATESRV_HTTP_ADDR'],
    ['accountsrv', { MYSQL_URL: 'postgres://x/y' }, 'MYSQL_URL'],
    ['signsrv', { SIGNSRV_HTTP_ADRR: '127.0.0.1:1' }, 'SIGNSRV_HTTP_ADRR'],
  ] as const)('%s with %j exits 1 naming %s', async (service, env, variable) => {
    const p = cluster.spawnRaw(service, `${service}-badenv-${variable}`, env);
    expect(await p.exited).toBe(1);
    expect(p.stderr.join('\n')).toContain(variable);
    const fatal = p.lines.find((l) => l.level === 60);
    expect(fatal?.['code']).toBe('CONFIG_INVALID');
    expect(String(fatal?.msg)).toContain(variable);
  });
});

/** The keys of a JSON object line as written, top level only (JSON.parse keeps the last of two equal keys silently). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let j = i + 1;
      while (line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(line.slice(i + 1, j));
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) expectKey = true;
  }
  return keys;
}
