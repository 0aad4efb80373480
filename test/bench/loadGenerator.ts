import { latencySummary } from './latencySummary.js';
import { Agent, request } from 'node:http';

export type RequestSpec = { method: string; path: string; headers: Record<string, string>; body?: string };

/** Sends one request on `agent`'s connections and drains the answer. @returns its HTTP status */
export function sendRequest(url: URL, agent: Agent, spec: RequestSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers: spec.headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(spec.body);
  });
}

export type LoadResult = {
  readonly requests: number;
  readonly errors: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
};

/**
 * Drives `concurrency` keep-alive connections for `seconds`, each sending the next request from `next`
 * as soon as the previous one answered (closed loop, like autocannon), and records latencies.
 */
export async function runLoad(baseUrl: string, concurrency: number, seconds: number, next: () => RequestSpec): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();

  const one = (spec: RequestSpec): Promise<number> => sendRequest(url, agent, spec);

  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const spec = next();
        const t0 = performance.now();
        try {
          const status = await one(spec);
          latencies.push(performance.now() - t0);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 400) errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  return { ...latencySummary(latencies, elapsed), errors, statuses };
}
