import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a {@link FakeNode} handler decides for one JSON-RPC call. */
export type FakeAnswer =
  /** Answer `{ result }`. */
  | { result: unknown }
  /** Answer `{ error: { code, message, data? } }`. */
  | { error: { code: number; message: string; data?: unknown } }
  /** Pass the call on to the upstream node unchanged. */
  | 'forward';

/** A JSON-RPC call as the fake node received it. */
export type FakeCall = { id: unknown; method: string; params: unknown[] };

/** A local HTTP JSON-RPC server that a test scripts: to feed an adapter malformed or unusual answers. */
export type FakeNode = {
  readonly url: string;
  /** Every call received, in order. */
  readonly calls: FakeCall[];
  /** The headers of every HTTP request received, in order. */
  readonly headers: IncomingHttpHeaders[];
  /** Closes the server and its connections. */
  readonly close: () => Promise<void>;
};

/**
 * Starts a scripted JSON-RPC node on a free loopback port.
 * @param options.answer decides each call; `'forward'` needs `upstream`
 * @param options.rawBody when set, replaces the whole HTTP answer (status 200) to every request: for bodies that
 * are not JSON-RPC at all
 * @param options.upstream a real node to forward calls to
 */
export async function startFakeNode(options: {
  answer?: (call: FakeCall) => FakeAnswer | Promise<FakeAnswer>;
  rawBody?: (body: string) => { status: number; body: string } | undefined;
  upstream?: string;
}): Promise<FakeNode> {
  const calls: FakeCall[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    headers.push(request.headers);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const raw = options.rawBody?.(body);
    if (raw !== undefined) {
      response.writeHead(raw.status, { 'content-type': 'application/json' }).end(raw.body);
      return;
    }
    const parsed = JSON.parse(body) as FakeCall | FakeCall[];
    const batch = Array.isArray(parsed) ? parsed : [parsed];
    calls.push(...batch);
    const answers = await Promise.all(batch.map((call) => answerOne(call)));
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(parsed) ? answers : answers[0]));
  };
  const answerOne = async (call: FakeCall): Promise<unknown> => {
    const answer = (await options.answer?.(call)) ?? 'forward';
    if (answer !== 'forward') return { jsonrpc: '2.0', id: call.id, ...answer };
    if (options.upstream === undefined) return { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: 'no upstream' } };
    // fetch refuses a URL with credentials: they go as basic authentication (Bitcoin Core's RPC wants them)
    const target = new URL(options.upstream);
    const auth =
      target.username === ''
        ? {}
        : {
            authorization: `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`,
          };
    target.username = '';
    target.password = '';
    const upstream = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(call),
    });
    return upstream.json();
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => response.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    headers,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
