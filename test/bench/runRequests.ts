import { latencySummary } from './latencySummary.js';
import { Agent, request } from 'node:http';
import type { LoadResult, RequestSpec } from './loadGenerator.js';

/** What runRequests adds to the figures of a timed run: the answers that were not the expected one, as examples. */
export type CountedLoadResult = LoadResult & {
  /** Up to 10 failed answers (`<status> <body>`, or the transport error), for the report. */
  readonly errorSamples: readonly string[];
  /** Requests sent again because `retry` said so (0 without it). */
  readonly retries: number;
};

export type RunRequestsOptions = {
  /** Whether an answer is the expected one; the others are errors. @default status < 400 */
  readonly ok?: (status: number, body: string) => boolean;
  /**
   * Whether an answer is a refusal to send the same request again (after `retryAfterMs`), e.g. a node's full work
   * queue; its latency runs from the first attempt. @default never
   */
  readonly retry?: (status: number, body: string) => boolean;
  /** @default 10 */
  readonly retryAfterMs?: number;
  /** Called every `progressEveryMs` with the requests answered so far. */
  readonly onProgress?: (answered: number) => void;
  /** @default 1000 */
  readonly progressEveryMs?: number;
};

/**
 * Sends exactly `count` requests (`next(0)` .. `next(count - 1)`) over `concurrency` keep-alive connections, each
 * connection sending the next request as soon as its previous one answered: the closed loop of runLoad, bounded by
 * a number of requests instead of a duration, so two systems can be given the very same work.
 * @param baseUrl scheme, host and port; the specs carry the paths
 * @param next builds request `i`; called right before it is sent (signatures are fresh)
 * @returns throughput over the whole run, latency percentiles of every answered request, and the errors
 */
export async function runRequests(
  baseUrl: string,
  concurrency: number,
  count: number,
  next: (i: number) => RequestSpec,
  options: RunRequestsOptions = {},
): Promise<CountedLoadResult> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ok = options.ok ?? ((status: number) => status < 400);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let retries = 0;
  let issued = 0;

  const one = (spec: RequestSpec): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers: spec.headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(spec.body);
    });

  const progress =
    options.onProgress === undefined
      ? undefined
      : setInterval(() => options.onProgress?.(latencies.length), options.progressEveryMs ?? 1000);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (issued < count) {
        const spec = next(issued++);
        const t0 = performance.now();
        try {
          let { status, body } = await one(spec);
          while (options.retry?.(status, body) === true) {
            retries++;
            await new Promise((r) => setTimeout(r, options.retryAfterMs ?? 10));
            ({ status, body } = await one(spec));
          }
          latencies.push(performance.now() - t0);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (!ok(status, body)) {
            errors++;
            if (errorSamples.length < 10) errorSamples.push(`${status} ${body.slice(0, 300)}`);
          }
        } catch (error) {
          errors++;
          if (errorSamples.length < 10) errorSamples.push(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  clearInterval(progress);
  agent.destroy();
  return { ...latencySummary(latencies, elapsed), errors, statuses, errorSamples, retries };
}
