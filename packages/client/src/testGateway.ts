// Test scaffolding (imported only by *.test.ts beside it): a local HTTP server that plays the gateway with scripted
// answers and records every request exactly as it arrived on the wire.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the server received it: the raw target and body bytes, lower-case header names. */
export type Received = { method: string; target: string; headers: Record<string, string>; body: Buffer };

/** How to answer one request: a status with a JSON (or raw text) body, a dropped connection, or a stall. */
export type Answer =
  { status: number; json?: unknown; text?: string; headers?: Record<string, string> } | { drop: true } | { stallMs: number; then: Answer };

export type TestGateway = {
  readonly baseUrl: string;
  readonly received: Received[];
  close(): Promise<void>;
};

/**
 * Starts a gateway stand-in on 127.0.0.1.
 * @param answer called per request, in arrival order, with the request and its 0-based index
 */
export async function startTestGateway(answer: (request: Received, index: number) => Answer): Promise<TestGateway> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const request = { method: req.method ?? '', target: req.url ?? '', headers, body: Buffer.concat(chunks) };
      received.push(request);
      void respond(res, answer(request, received.length - 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function respond(res: ServerResponse, answer: Answer): Promise<void> {
  if ('drop' in answer) {
    res.socket?.destroy();
    return;
  }
  if ('stallMs' in answer) {
    await new Promise((resolve) => setTimeout(resolve, answer.stallMs));
    if (res.socket?.destroyed === true) return;
    return respond(res, answer.then);
  }
  const body = answer.text ?? (answer.json === undefined ? '' : JSON.stringify(answer.json));
  res.writeHead(answer.status, { 'content-type': answer.text === undefined ? 'application/json' : 'text/html', ...answer.headers });
  res.end(body);
}

/** The API's error envelope. */
export function apiError(
  status: number,
  code: string,
  headers: Record<string, string> = {},
  details: Record<string, unknown> = {},
): Answer {
  return { status, json: { error: { code, message: `${code} (test)`, details } }, headers: { 'x-request-id': `req-${code}`, ...headers } };
}
