// Throughput of RequestAuthenticator.authenticate() against the real Redis, next to a baseline doing only
// the one Redis round trip authenticate() cannot avoid (the nonce's SET NX PX), at the same concurrency.
// The ratio is the cost of everything else (parsing, credential cache, HMAC, constant-time compare).
//
//   node --conditions=wallet-source --import tsx packages/client-auth/bench/authenticate.bench.ts
//
// Prints req/s and latency percentiles, and appends one JSON line to bench/results/client-auth.jsonl.
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { type AuthenticateInput, type ClientCredentials, RequestAuthenticator, signRequest } from '@wallet/client-auth';

const requests = 20_000;
const concurrency = 64;
const clientCount = 16;
const resultsDir = new URL('../../../bench/results/', import.meta.url);

type Run = { reqPerSec: number; p50Ms: number; p99Ms: number; failures: number };

/** Runs `task(i)` for i in [0, count) with `concurrency` in flight, timing each call. */
async function measure(count: number, task: (i: number) => Promise<unknown>): Promise<Run> {
  const latencies = new Float64Array(count);
  let next = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const start = performance.now();
      try {
        await task(i);
      } catch {
        failures++;
      }
      latencies[i] = performance.now() - start;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  latencies.sort();
  return {
    reqPerSec: Math.round((count / elapsedMs) * 1000),
    p50Ms: round(latencies[Math.floor(count * 0.5)] ?? 0),
    p99Ms: round(latencies[Math.floor(count * 0.99)] ?? 0),
    failures,
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** Deletes the run's keys (SCAN, so a shared Redis is not blocked). */
async function cleanup(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

async function main(): Promise<void> {
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const prefix = `wallet:bench:${randomBytes(6).toString('hex')}:`;
  try {
    const clients = new Map<string, ClientCredentials>();
    for (let c = 0; c < clientCount; c++) {
      const keyId = `key_bench_${c}`;
      clients.set(keyId, {
        clientId: `cl_bench_${c}`,
        keyId,
        secret: randomBytes(32).toString('base64url'),
        active: true,
        scopes: ['read'],
        allowedCidrs: [],
      });
    }
    const credentials = [...clients.values()];
    // The lookup stands in for accountsrv; after the first request per key the authenticator's cache answers.
    const authenticator = new RequestAuthenticator({ redis, prefix, lookup: async (keyId) => clients.get(keyId) });

    // Signing is the client's cost, so it happens before the clock starts. A typical withdrawal POST.
    const sign = (count: number): AuthenticateInput[] =>
      Array.from({ length: count }, (_, i) => {
        const client = credentials[i % credentials.length]!;
        const pathWithQuery = `/v1/accounts/acc_${i}/withdrawals`;
        const body = JSON.stringify({ asset: 'ETH', to: '0x52908400098527886E0F7030069857D2E4169EE7', amount: String(1_000_000_000 + i) });
        const headers = signRequest({ keyId: client.keyId, secret: client.secret, method: 'POST', pathWithQuery, body });
        const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
        return { headers: lower, method: 'POST', pathWithQuery, rawBody: Buffer.from(body) };
      });

    // Warm-up: JIT, the Redis connection, the script-free SET path and the credential cache.
    const warm = sign(2_000);
    await measure(warm.length, (i) => authenticator.authenticate(warm[i]!));
    await measure(2_000, (i) => redis.set(`${prefix}warm:${i}`, '1', 'PX', 65_000, 'NX'));

    const signed = sign(requests);
    const nonces = signed.map((r) => `${prefix}base:${String(r.headers['x-api-key'])}:${String(r.headers['x-nonce'])}`);
    const baseline = await measure(requests, (i) => redis.set(nonces[i]!, '1', 'PX', 65_000, 'NX'));
    const auth = await measure(requests, (i) => authenticator.authenticate(signed[i]!));
    if (auth.failures > 0 || baseline.failures > 0)
      throw new Error(`failures: authenticate ${auth.failures}, baseline ${baseline.failures}`);

    const ratio = Math.round((auth.reqPerSec / baseline.reqPerSec) * 1000) / 1000;
    console.log(`requests ${requests}, concurrency ${concurrency}, ${clientCount} keys`);
    console.log(`baseline SET NX PX : ${baseline.reqPerSec} req/s  p50 ${baseline.p50Ms} ms  p99 ${baseline.p99Ms} ms`);
    console.log(`authenticate()     : ${auth.reqPerSec} req/s  p50 ${auth.p50Ms} ms  p99 ${auth.p99Ms} ms`);
    console.log(`ratio authenticate / baseline: ${ratio}`);

    await mkdir(resultsDir, { recursive: true });
    const line = {
      bench: 'client-auth.authenticate',
      at: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      requests,
      concurrency,
      keys: clientCount,
      authenticate: auth,
      baselineSetNx: baseline,
      ratio,
    };
    await appendFile(new URL('client-auth.jsonl', resultsDir), `${JSON.stringify(line)}\n`);
  } finally {
    await cleanup(redis, prefix);
    await redis.quit();
  }
}

await main();
