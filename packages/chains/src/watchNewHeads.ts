import { WebSocket } from 'undici';

export type HeadWatch = { close(): void };

/**
 * Subscribes to a node's new heads (`eth_subscribe("newHeads")` over WebSocket) and calls `onHead` with each
 * head's number. A subscription is a wake-up call only: the scanner still reads every block over HTTP and
 * still polls, so a dropped socket or a missed notification delays a block, never loses it. The socket is
 * reopened with a backoff until `close()`.
 * @param wsUrl the node's WebSocket endpoint
 * @param onError told about connection problems (for a log line), never thrown
 */
export function watchNewHeads(wsUrl: string, onHead: (number: number) => void, onError: (error: Error) => void = () => {}): HeadWatch {
  let closed = false;
  let socket: WebSocket | undefined;
  let retryMs = 250;
  let timer: NodeJS.Timeout | undefined;

  const open = (): void => {
    if (closed) return;
    const ws = new WebSocket(wsUrl);
    socket = ws;
    ws.addEventListener('open', () => {
      retryMs = 250;
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));
    });
    ws.addEventListener('message', (event: { data: unknown }) => {
      try {
        const message = JSON.parse(String(event.data)) as { method?: string; params?: { result?: { number?: unknown } } };
        const hex = message.params?.result?.number;
        // Untrusted input: only a well-formed hex quantity wakes the scanner.
        if (message.method === 'eth_subscription' && typeof hex === 'string' && /^0x[0-9a-f]{1,16}$/i.test(hex))
          onHead(Number.parseInt(hex, 16));
      } catch {
        // a malformed frame is ignored: polling covers it
      }
    });
    ws.addEventListener('error', () => onError(new Error(`new-heads subscription to ${wsUrl} failed`)));
    ws.addEventListener('close', () => {
      if (closed) return;
      timer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    });
  };
  open();
  return {
    close: () => {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
